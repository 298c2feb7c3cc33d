"""Shared set-up for the benchmark scripts: Django against the database named
by DATABASE_URL (as the owner, which may bulk-load), then timings printed.

Run them through the embedded launcher or with DATABASE_URL/REDIS_URL set, e.g.
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/otc_bench \\
        .venv/bin/python -m bench.ledger_aging
They create their own tenant (slug `bench-...`) and leave it for re-runs.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otc.settings.dev")
    # Measure what production runs: with DEBUG on, Django also formats and
    # keeps every SQL statement, which is not part of any budget.
    os.environ.setdefault("DEBUG", "0")
    os.environ["OTC_DB_AS_OWNER"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(label: str, runs: int, fn: Callable[[], Any]) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    print(
        f"{label}: median {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms, "
        f"min {samples[0]:.1f} ms over {runs} runs"
    )
    return samples
