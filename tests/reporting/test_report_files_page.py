"""The report files page: request a report, see its progress (the page
reloads itself while one runs), download it, retry a failed one; another
tenant's runs are neither listed nor downloadable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otc.tenancy.context import tenant_context
from reporting.models import ReportRun, RunStatus
from reporting.services.report_runs import report_run_generate

pytestmark = pytest.mark.django_db
URL = "/reports/files/"


def test_request_follow_and_download(book, signed_in_client):
    client = signed_in_client(book.tenant, "executive")
    response = client.post(URL, {"kind": "aging", "format": "csv", "group_by": "currency"})
    assert response.status_code == 302
    with tenant_context(book.tenant):
        run = ReportRun.objects.for_tenant(book.tenant).get()
    assert (run.requested_by, run.parameters["group_by"]) == (client.user, "currency")

    page = client.get(URL).content.decode()
    assert 'http-equiv="refresh"' in page  # queued: the page follows it
    assert 'data-status="queued"' in page

    with tenant_context(book.tenant):
        report_run_generate(tenant=book.tenant, run_id=run.pk)
    page = client.get(URL).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert f"/reports/files/{run.pk}/download/" in page
    download = client.get(f"/reports/files/{run.pk}/download/")
    assert download.status_code == 200
    body = download.content.decode()
    assert body.splitlines()[0].startswith("Currency,Currency,Current")
    assert "3800.00" in body


def test_bad_filters_say_what_to_fix_and_queue_nothing(book, signed_in_client):
    client = signed_in_client(book.tenant, "executive")
    tomorrow = (book.today + timedelta(days=1)).isoformat()
    response = client.post(URL, {"kind": "aging", "format": "pdf", "as_of": tomorrow})
    assert response.status_code == 200
    assert "The as-of date is in the future" in response.content.decode()
    response = client.post(URL, {"kind": "customer_statement", "format": "pdf"})
    assert "A customer statement needs the customer" in response.content.decode()
    with tenant_context(book.tenant):
        assert not ReportRun.objects.for_tenant(book.tenant).exists()


def test_a_failed_run_shows_its_error_and_is_retried(book, signed_in_client):
    client = signed_in_client(book.tenant, "executive")
    client.post(URL, {"kind": "deductions", "format": "xlsx"})
    with tenant_context(book.tenant):
        run = ReportRun.objects.for_tenant(book.tenant).get()
        ReportRun.objects.for_tenant(book.tenant).filter(pk=run.pk).update(
            status=RunStatus.FAILED, error="The database went away."
        )
    page = client.get(URL).content.decode()
    assert "The database went away." in page
    assert client.post(f"/reports/files/{run.pk}/retry/").status_code == 302
    with tenant_context(book.tenant):
        assert ReportRun.objects.for_tenant(book.tenant).get().status == RunStatus.QUEUED


def test_another_tenants_runs_are_invisible(book, signed_in_client, tenant_b):
    owner = signed_in_client(book.tenant, "executive")
    owner.post(URL, {"kind": "aging", "format": "csv"})
    with tenant_context(book.tenant):
        run = ReportRun.objects.for_tenant(book.tenant).get()
        report_run_generate(tenant=book.tenant, run_id=run.pk)
    other = signed_in_client(tenant_b, "executive")
    assert 'data-testid="report-run"' not in other.get(URL).content.decode()
    assert other.get(f"/reports/files/{run.pk}/download/").status_code == 404
    assert other.post(f"/reports/files/{run.pk}/retry/").status_code == 404


def test_aging_items_export_streams_every_item_of_the_cell(book, signed_in_client, tenant_b):
    client = signed_in_client(book.tenant, "executive")
    query = {"group_by": "currency", "key": "EUR", "column": "total"}
    response = client.get("/reports/aging/items/export.csv", query)
    assert response.status_code == 200
    assert response.streaming
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("Document,Type,Customer number")
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert set(rows) == {"I-1", "I-2", "I-3", "D-1", "P-1"}  # I-5 is in USD
    assert rows["I-2"][6:11] == ["EUR", "2000.00", "1600.00", "1600.00", "EUR"]
    assert rows["P-1"][7:10] == ["-700.00", "-300.00", "-300.00"]
    # The other tenant's invoice of 99,999 is not in it, nor in theirs ours.
    assert "99999.00" not in "\n".join(lines)
    other = signed_in_client(tenant_b, "executive")
    theirs = b"".join(
        other.get("/reports/aging/items/export.csv", {**query, "key": "USD"}).streaming_content
    ).decode()
    assert "I-5" not in theirs
    assert "99999.00" in theirs
