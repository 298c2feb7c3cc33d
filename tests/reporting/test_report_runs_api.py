"""/api/v1/report-runs/: request (202 + Location), poll, download, retry;
problem+json for bad input; another tenant can neither see nor download."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from otc.tenancy.context import tenant_context
from reporting.models import ReportRun, RunStatus
from reporting.services.report_runs import report_run_generate

pytestmark = pytest.mark.django_db
URL = "/api/v1/report-runs/"


def run_worker(tenant, run_id):
    with tenant_context(tenant):
        report_run_generate(tenant=tenant, run_id=run_id)


def test_request_poll_and_download_an_aging_csv(book, api_client_for):
    client = api_client_for(book.tenant)
    response = client.post(
        URL,
        {"kind": "aging", "format": "csv", "filters": {"group_by": "country"}},
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == f"{URL}{body['id']}/"
    assert (body["status"], body["progress"], body["download_url"]) == ("queued", 0, None)
    assert body["parameters"]["group_by"] == "country"

    run_worker(book.tenant, body["id"])
    polled = client.get(response["Location"]).json()
    assert (polled["status"], polled["progress"]) == ("succeeded", 100)
    assert polled["download_url"] == f"{URL}{body['id']}/download/"

    download = client.get(polled["download_url"], HTTP_ACCEPT="text/csv")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    totals = {row[0]: row for row in rows[1:]}
    assert {"DE", "AT", "GB", "Total"} <= set(totals)
    assert totals["Total"][10] == "3800.00"

    listed = client.get(URL).json()["results"]
    assert [run["id"] for run in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "balance_sheet", "format": "pdf"}, "kind"),
        ({"kind": "aging", "format": "docx"}, "format"),
        ({"kind": "aging", "format": "csv", "filters": {"group_by": "planet"}}, "filters.group_by"),
        ({"kind": "aging", "format": "csv", "filters": {"colour": "red"}}, "filters.colour"),
        ({"kind": "customer_statement", "format": "pdf"}, "filters.customer"),
    ],
)
def test_bad_input_is_a_problem_and_queues_nothing(book, api_client_for, payload, field):
    response = api_client_for(book.tenant).post(URL, payload)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in str(response.json())
    with tenant_context(book.tenant):
        assert not ReportRun.objects.for_tenant(book.tenant).exists()


def test_a_future_as_of_date_is_refused(book, api_client_for):
    tomorrow = (book.today + timedelta(days=1)).isoformat()
    response = api_client_for(book.tenant).post(
        URL, {"kind": "kpi_pack", "format": "pdf", "filters": {"as_of": tomorrow}}
    )
    assert response.status_code == 400
    assert "future" in str(response.json())


def test_a_statement_of_another_tenants_customer_is_refused(book, api_client_for, tenant_b):
    from otc.customers.models import Customer

    with tenant_context(tenant_b):
        other = Customer.objects.for_tenant(tenant_b).get()
    response = api_client_for(book.tenant).post(
        URL, {"kind": "customer_statement", "format": "pdf", "filters": {"customer": other.pk}}
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")


def test_download_before_it_is_ready_is_a_conflict_and_a_failed_run_can_be_retried(
    book, api_client_for
):
    client = api_client_for(book.tenant)
    run_id = client.post(URL, {"kind": "aging", "format": "xlsx"}).json()["id"]
    assert client.get(f"{URL}{run_id}/download/").status_code == 409
    assert client.post(f"{URL}{run_id}/retry/").status_code == 409
    with tenant_context(book.tenant):
        ReportRun.objects.for_tenant(book.tenant).filter(pk=run_id).update(
            parameters={"age_by": "moon"}
        )
    run_worker(book.tenant, run_id)
    failed = client.get(f"{URL}{run_id}/").json()
    assert failed["status"] == "failed"
    assert "moon" in failed["error"]
    retried = client.post(f"{URL}{run_id}/retry/")
    assert retried.status_code == 202
    assert retried.json()["status"] == "queued"


def test_another_tenant_can_neither_see_nor_download_nor_retry(book, api_client_for, tenant_b):
    run_id = api_client_for(book.tenant).post(URL, {"kind": "aging", "format": "csv"}).json()["id"]
    run_worker(book.tenant, run_id)
    other = api_client_for(tenant_b)
    assert other.get(f"{URL}{run_id}/").status_code == 404
    assert other.get(f"{URL}{run_id}/download/").status_code == 404
    assert other.post(f"{URL}{run_id}/retry/").status_code == 404
    assert other.get(URL).json()["results"] == []
    with tenant_context(book.tenant):
        assert ReportRun.objects.for_tenant(book.tenant).get(pk=run_id).status == (
            RunStatus.SUCCEEDED
        )
