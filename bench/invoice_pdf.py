"""Invoice PDF rendering: time per PDF and memory over many PDFs.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/invoice_pdf.py [--count 1000]

Prints the median and p95 render time of a 20-line invoice as stored and sent,
Factur-X (WeasyPrint, PDF/A-3b, EPC QR code, logo, with the CII XML written,
checked against the XSD and embedded), then as a plain PDF/A-3b for reference,
then of a 200-line invoice. Each is sampled back to back, as a worker renders
them. (Taking turns with the plain render in one process, the Factur-X
samples come out about 10 ms slower, which neither shows on its own; seen,
not explained.) Then renders --count Factur-X PDFs in this one process and prints the
resident set size before and after. The budget (issue 3): a 20-line invoice in
< 300 ms median; 1,000 PDFs without memory growth.

Every sample is a document of its own (its own number, so its own payment
reference and QR code), as in a billing run: nothing that is kept between
renders for equal inputs flatters the figures. The tenant's logo and
colours are the same throughout, as they are for one tenant's run.

Font subsetting depends on the machine: WeasyPrint subsets with the
HarfBuzz-Subset library when the system has it (Debian: libharfbuzz-subset0,
installed by the Dockerfile; about 3 ms a PDF), else with fontTools in Python,
several times slower. The first line says which.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otc.settings.test")

import django

django.setup()
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)
logging.getLogger("factur-x").setLevel(logging.ERROR)

from weasyprint.text.ffi import harfbuzz_subset  # noqa: E402

from invoicing.documents.examples import example_document  # noqa: E402
from invoicing.documents.facturx import render_facturx_pdf  # noqa: E402
from invoicing.documents.pdf import render_invoice_pdf  # noqa: E402


def rss_mib() -> float:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


_serial = iter(range(1, 10**9))


def fresh(lines: int):
    """A document not rendered before in this process."""
    return example_document(lines=lines, number=f"INV-2026-{next(_serial):06d}")


Samples = tuple[list[float], list[float]]


def timed(fn, lines: int, repeat: int) -> Samples:
    """Wall-clock and CPU milliseconds per call. CPU time is the fairer
    number on a shared machine: it leaves out waiting for a core. Each sample
    starts after a full collection, so none pays for a pass over what an
    earlier one left. (A render's own garbage is collected within it: the
    collector runs as soon as the render switches it back on.)
    """
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeat):
        doc = fresh(lines)
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(doc)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def report(name: str, samples: Samples) -> None:
    wall, cpu = samples
    print(
        f"{name:<34} median {statistics.median(wall):6.0f} ms   p95 {p95(wall):6.0f} ms"
        f"   | CPU median {statistics.median(cpu):6.0f} ms   p95 {p95(cpu):6.0f} ms"
        f"   (n={len(wall)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000, help="PDFs for the memory run")
    parser.add_argument("--repeat", type=int, default=30, help="samples per timing")
    args = parser.parse_args()

    subsetter = "HarfBuzz-Subset" if harfbuzz_subset is not None else "fontTools (slow)"
    print(f"font subsetting: {subsetter}")
    # Warm up as a long-running worker is: templates compiled, stylesheet
    # parsed, the font configuration's caches filled.
    for _ in range(5):
        render_invoice_pdf(fresh(20))
        render_facturx_pdf(fresh(20))
    render_invoice_pdf(fresh(200))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start")

    report("20 lines, Factur-X (stored form)", timed(render_facturx_pdf, 20, args.repeat))
    report("20 lines, plain PDF/A-3b", timed(render_invoice_pdf, 20, args.repeat))
    report("200 lines, Factur-X", timed(render_facturx_pdf, 200, max(5, args.repeat // 5)))

    gc.collect()
    before = rss_mib()
    start = time.perf_counter()
    checkpoints = []
    for index in range(args.count):
        render_facturx_pdf(fresh(20))
        if (index + 1) % max(1, args.count // 4) == 0:
            gc.collect()
            checkpoints.append(f"{index + 1}: {rss_mib():.0f} MiB")
    elapsed = time.perf_counter() - start
    gc.collect()
    after = rss_mib()
    print(f"{args.count} PDFs in one process: {elapsed:.1f} s ({args.count / elapsed:.1f}/s)")
    print(f"RSS before {before:.0f} MiB, after {after:.0f} MiB, growth {after - before:+.0f} MiB")
    print("RSS along the way: " + ", ".join(checkpoints))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
