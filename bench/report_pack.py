"""The executive's KPI pack PDF at scale (issue 8 budget: < 10 s in the
worker), on the data of bench/reporting.py (1,000,000 open items / 50,000
customers / 24 months): run `python -m bench.reporting` once to load it,
then this script times what the worker's task runs for a KPI pack run:
the figures (KPIs over 12 months, aging, cash forecast, top overdue,
collectors), the PDF (WeasyPrint) and storing the file.

- cold: the cash forecast is not cached yet (computed inside the run);
- warm: the forecast cached by the dashboard's refresh, as in production.

The last PDF is written to --pdf (default /tmp/kpi-pack.pdf) to look at:
    pdftoppm -png -r 60 /tmp/kpi-pack.pdf /tmp/kpi-pack
Timings run as the application role (`otc_app`, row-level security on).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_500_000, help="as bench.reporting")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pdf", default=str(Path(tempfile.gettempdir()) / "kpi-pack.pdf"))
    args = parser.parse_args()
    setup_django()

    from django.core.cache import cache
    from django.db import connection, transaction

    from otc.audit.services import Actor
    from otc.ledger.models import OpenItem
    from otc.tenancy.context import tenant_context
    from otc.tenancy.models import Tenant
    from reporting.models import ReportFormat, ReportKind, ReportRun
    from reporting.report_cache import _keys
    from reporting.reports.parameters import ReportParameters
    from reporting.services.report_runs import report_run_generate, report_run_request

    tenant = Tenant.objects.filter(slug=f"bench-reporting-{args.items}").first()
    if tenant is None:
        raise SystemExit(f"no data: run `python -m bench.reporting --items {args.items}` first")

    def as_app_run(run_id: int) -> Any:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL ROLE otc_app")
            return report_run_generate(tenant=tenant, run_id=run_id)

    with tenant_context(tenant):
        open_count = OpenItem.objects.filter(status="open").count()
        print(f"tenant {tenant.slug}: {open_count:,} open items", flush=True)
        print(f"load average: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
        for label in ("cold", *["warm"] * args.runs):
            if label == "cold":
                for key in _keys(tenant, "cash_forecast"):
                    cache.delete(key)
            run = report_run_request(
                tenant=tenant,
                actor=Actor.system("bench"),
                kind=ReportKind.KPI_PACK,
                file_format=ReportFormat.PDF,
                parameters=ReportParameters(),
            )
            start = time.perf_counter()
            done = as_app_run(run.pk)
            seconds = time.perf_counter() - start
            if done is None or done.status != "succeeded":
                error = ReportRun.objects.for_tenant(tenant).get(pk=run.pk).error
                raise SystemExit(f"the KPI pack failed: {error}")
            print(
                f"KPI pack PDF ({label}): {seconds:.2f} s in the worker's service, "
                f"{done.file_size / 1024:.0f} KiB (budget < 10 s)",
                flush=True,
            )
        with done.file.open("rb") as handle:
            Path(args.pdf).write_bytes(handle.read())
        print(f"last PDF written to {args.pdf}")


if __name__ == "__main__":
    main()
