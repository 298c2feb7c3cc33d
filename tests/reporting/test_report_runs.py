"""Report files: requested, made by the worker's service (idempotently),
written as CSV, XLSX and PDF, failures recorded and retried, and the other
tenant's runs out of reach."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from otc.audit.services import Actor
from otc.errors import IllegalTransition, NotFound, ValidationFailed
from otc.tenancy.context import tenant_context
from reporting.models import ReportFormat, ReportKind, ReportRun, RunStatus
from reporting.reports.parameters import ReportParameters
from reporting.selectors.aging import AmountIn
from reporting.selectors.common import BookFilter
from reporting.services.report_runs import (
    report_run_generate,
    report_run_request,
    report_run_retry,
)

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


def request(tenant, kind, file_format, parameters=None):
    with tenant_context(tenant):
        return report_run_request(
            tenant=tenant,
            actor=ACTOR,
            kind=kind,
            file_format=file_format,
            parameters=parameters or ReportParameters(),
        )


def generate(tenant, run):
    with tenant_context(tenant):
        report_run_generate(tenant=tenant, run_id=run.pk)
        return ReportRun.objects.for_tenant(tenant).get(pk=run.pk)


def content(run):
    with default_storage.open(run.file.name, "rb") as handle:
        return handle.read()


def test_aging_csv_holds_the_book_to_the_cent(book):
    run = request(book.tenant, ReportKind.AGING, ReportFormat.CSV)
    assert (run.status, run.progress) == (RunStatus.QUEUED, 0)
    done = generate(book.tenant, run)
    assert (done.status, done.progress, done.error) == (RunStatus.SUCCEEDED, 100, "")
    assert done.file_name == f"aging-{book.today.isoformat()}.csv"
    assert done.started_at <= done.finished_at
    rows = list(csv.reader(io.StringIO(content(done).decode())))
    assert rows[0] == [
        "Customer", "Currency", "Current", "1-30", "31-60", "61-90", "91-120", "120+",
        "Deductions", "Unapplied", "Total", "Items",
    ]  # fmt: skip
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["C-1 Acme Group AG"][2:4] == ["1000.00", "1600.00"]
    assert by_name["C-1 Acme Group AG"][9] == "-300.00"
    assert by_name["C-2 Acme Austria GmbH"][8] == "100.00"
    assert by_name["C-3 Bolt Ltd"][4] == "900.00"
    assert by_name["Total"][10] == "3800.00"
    # The other tenant's customer is not in it.
    assert not any("Other Tenant" in row[0] for row in rows)


def test_aging_xlsx_keeps_numbers_as_numbers_with_formats(book):
    run = request(
        book.tenant,
        ReportKind.AGING,
        ReportFormat.XLSX,
        ReportParameters(book=BookFilter(country="GB"), amount_in=AmountIn.DOCUMENT),
    )
    done = generate(book.tenant, run)
    sheet = load_workbook(io.BytesIO(content(done))).worksheets[0]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    bolt = list(sheet[2])
    assert bolt[0].value == "C-3 Bolt Ltd"
    usd = bolt[header.index("31-60")]
    assert (usd.value, usd.number_format) == (1000, "#,##0.00")
    assert sheet.max_row == 3  # Bolt and the total


def test_kpi_pack_pdf_shows_tiles_formulas_and_charts(book):
    done = generate(book.tenant, request(book.tenant, ReportKind.KPI_PACK, ReportFormat.PDF))
    assert done.status == RunStatus.SUCCEEDED, done.error
    data = content(done)
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    for expected in (
        "KPI pack",
        "DSO (countback)",
        "Receivables not yet due / sales of the last 3 months",
        "Aging today (EUR)",
        "DSO trend",
        "Cash forecast, next 13 weeks",
        "Monthly trend",
        "Most overdue customers",
    ):
        assert expected in text, expected


def test_kpi_pack_xlsx_has_a_sheet_per_table_and_the_kpis(book):
    done = generate(book.tenant, request(book.tenant, ReportKind.KPI_PACK, ReportFormat.XLSX))
    workbook = load_workbook(io.BytesIO(content(done)))
    assert workbook.sheetnames[0] == "Monthly trend"
    assert "KPIs" in workbook.sheetnames
    overdue = workbook[workbook.sheetnames[2]]
    rows = {row[0]: row for row in overdue.iter_rows(min_row=2, values_only=True)}
    # Acme is 1,600 overdue (I-2), Bolt 900 (USD 1,000 at 0.90).
    assert Decimal(str(rows["C-1"][2])) == Decimal("1600.00")
    assert Decimal(str(rows["C-3"][2])) == Decimal("900.00")


def test_customer_statement_pdf_is_the_collections_statement(book):
    run = request(
        book.tenant,
        ReportKind.CUSTOMER_STATEMENT,
        ReportFormat.PDF,
        ReportParameters(book=BookFilter(customer_id=book.acme.pk)),
    )
    done = generate(book.tenant, run)
    assert done.file_name == f"statement-C-1-{book.today.isoformat()}.pdf"
    text = PdfReader(io.BytesIO(content(done))).pages[0].extract_text()
    assert "Statement of account" in text
    assert "I-2" in text
    assert "I-3" not in text  # Acme Austria's


def test_customer_statement_csv_lists_the_open_items(book):
    run = request(
        book.tenant,
        ReportKind.CUSTOMER_STATEMENT,
        ReportFormat.CSV,
        ReportParameters(book=BookFilter(customer_id=book.bolt.pk)),
    )
    rows = list(csv.reader(io.StringIO(content(generate(book.tenant, run)).decode())))
    assert rows[1][0] == "I-5"
    assert rows[1][5:] == ["USD", "1000.00", "1000.00"]


def test_a_statement_needs_a_customer_of_this_tenant(book, tenant_b):
    with tenant_context(tenant_b):
        from otc.customers.models import Customer

        other = Customer.objects.for_tenant(tenant_b).get()
    with pytest.raises(ValidationFailed):
        request(
            book.tenant,
            ReportKind.CUSTOMER_STATEMENT,
            ReportFormat.PDF,
            ReportParameters(book=BookFilter(customer_id=other.pk)),
        )
    with pytest.raises(ValidationFailed):
        request(
            book.tenant,
            ReportKind.AGING,
            ReportFormat.CSV,
            ReportParameters(as_of=book.today + timedelta(days=1)),
        )
    with tenant_context(book.tenant):
        assert not ReportRun.objects.for_tenant(book.tenant).exists()


def test_deductions_and_cash_forecast_reports(book):
    deductions = generate(
        book.tenant, request(book.tenant, ReportKind.DEDUCTIONS, ReportFormat.XLSX)
    )
    assert deductions.status == RunStatus.SUCCEEDED, deductions.error
    assert load_workbook(io.BytesIO(content(deductions))).sheetnames[0] == "Open deductions"
    forecast = generate(
        book.tenant, request(book.tenant, ReportKind.CASH_FORECAST, ReportFormat.CSV)
    )
    rows = list(csv.reader(io.StringIO(content(forecast).decode())))
    assert rows[0][0] == "Week from"
    assert len(rows) == 1 + 13 + 1  # header, 13 weeks, total


def test_a_second_task_for_the_same_run_does_nothing(book):
    run = request(book.tenant, ReportKind.AGING, ReportFormat.CSV)
    first = generate(book.tenant, run)
    with tenant_context(book.tenant):
        assert report_run_generate(tenant=book.tenant, run_id=run.pk) is None
        again = ReportRun.objects.for_tenant(book.tenant).get(pk=run.pk)
    assert (again.attempt, again.file.name, again.finished_at) == (
        1,
        first.file.name,
        first.finished_at,
    )
    assert default_storage.listdir(f"reports/{book.tenant.pk}/{run.pk}")[1] == [first.file_name]


def test_a_run_held_by_a_live_worker_is_left_alone_a_dead_ones_is_taken_over(book):
    run = request(book.tenant, ReportKind.AGING, ReportFormat.CSV)
    with tenant_context(book.tenant):
        ReportRun.objects.for_tenant(book.tenant).filter(pk=run.pk).update(
            status=RunStatus.RUNNING, attempt=1, heartbeat_at=timezone.now()
        )
        assert report_run_generate(tenant=book.tenant, run_id=run.pk) is None
        ReportRun.objects.for_tenant(book.tenant).filter(pk=run.pk).update(
            heartbeat_at=timezone.now() - timedelta(hours=1)
        )
        # The dead worker had written its file under the run's one name.
        default_storage.save(
            f"reports/{book.tenant.pk}/{run.pk}/aging-{book.today}.csv", io.BytesIO(b"partial")
        )
    done = generate(book.tenant, run)
    assert (done.status, done.attempt) == (RunStatus.SUCCEEDED, 2)
    assert content(done).startswith(b"Customer,")
    assert default_storage.listdir(f"reports/{book.tenant.pk}/{run.pk}")[1] == [done.file_name]


def test_a_failed_run_shows_its_error_and_can_be_retried(book, tenant_b):
    run = request(book.tenant, ReportKind.AGING, ReportFormat.CSV)
    with tenant_context(book.tenant):
        # Buckets changed under a stored run into something no aging accepts.
        ReportRun.objects.for_tenant(book.tenant).filter(pk=run.pk).update(
            parameters={"group_by": "planet"}
        )
    failed = generate(book.tenant, run)
    assert failed.status == RunStatus.FAILED
    assert "planet" in failed.error
    assert not failed.file
    with tenant_context(tenant_b), pytest.raises(NotFound):
        report_run_retry(tenant=tenant_b, actor=ACTOR, run_id=run.pk)
    with tenant_context(book.tenant):
        retried = report_run_retry(tenant=book.tenant, actor=ACTOR, run_id=run.pk)
        assert (retried.status, retried.error, retried.progress) == (RunStatus.QUEUED, "", 0)
        with pytest.raises(IllegalTransition):
            report_run_retry(tenant=book.tenant, actor=ACTOR, run_id=run.pk)


def test_the_other_tenant_never_sees_a_run(book, tenant_b):
    run = request(book.tenant, ReportKind.AGING, ReportFormat.CSV)
    with tenant_context(tenant_b):
        assert not ReportRun.objects.for_tenant(tenant_b).filter(pk=run.pk).exists()
        assert report_run_generate(tenant=tenant_b, run_id=run.pk) is None
    with tenant_context(book.tenant):
        assert ReportRun.objects.for_tenant(book.tenant).get(pk=run.pk).status == RunStatus.QUEUED
