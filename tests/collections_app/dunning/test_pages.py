from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from collections_app.dunning.models import (
    CollectionActivity,
    DunningLetter,
    DunningRun,
    PromiseToPay,
)
from collections_app.dunning.services.runs import dunning_run_deliver_all, dunning_run_start
from otc.tenancy.context import tenant_context
from tests.collections_app.dunning.helpers import SYSTEM, customer, invoice, standard_policy

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)


@pytest.fixture
def book(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        standard_policy(tenant_b)
        other = customer(tenant_b, "B1")
        invoice(tenant_b, other, "B-INV", "500.00", due=DAY - timedelta(days=30))
    with tenant_context(tenant_a):
        policy = standard_policy(tenant_a, fee="5.00")
        c1 = customer(tenant_a, "C1")
        inv = invoice(tenant_a, c1, "INV-1", "300.00", due=DAY - timedelta(days=25))
        run = dunning_run_start(tenant=tenant_a, actor=SYSTEM, run_date=DAY, trigger="manual")
        dunning_run_deliver_all(tenant=tenant_a, run=run)
        letter = DunningLetter.objects.for_tenant(tenant_a).get()
    return {
        "policy": policy,
        "customer": c1,
        "invoice": inv,
        "run": run,
        "letter": letter,
        "other": other,
    }


@time_machine.travel(DAY, tick=False)
def test_collector_pages_render(book, tenant_a, signed_in_client):
    client = signed_in_client(tenant_a, "collector")
    c1 = book["customer"]
    response = client.get("/collections/?scope=all")
    assert response.status_code == 200
    assert b"C1 GmbH" in response.content
    assert b"dunning level 3 reached" in response.content
    for url in (
        f"/collections/customers/{c1.pk}/",
        "/collections/runs/",
        "/collections/runs/preview/",
        f"/collections/runs/{book['run'].pk}/",
        f"/collections/letters/{book['letter'].pk}/",
        "/collections/policies/",
        f"/collections/policies/{book['policy'].pk}/",
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/collections/customers/{c1.pk}/").content.decode()
    assert "Dunning letter, level 3" in page
    pdf = client.get(f"/collections/letters/{book['letter'].pk}/?pdf=1")
    assert pdf["Content-Type"] == "application/pdf"
    statement = client.get(f"/collections/customers/{c1.pk}/statement.pdf")
    assert statement.status_code == 200
    assert statement.content.startswith(b"%PDF")
    with tenant_context(tenant_a):
        template_id = book["policy"].levels.get(number=3).templates.first().pk
    preview = client.get(f"/collections/templates/{template_id}/preview/")
    assert b"Example Customer Ltd" in preview.content


@time_machine.travel(DAY, tick=False)
def test_log_call_and_record_promise(book, tenant_a, signed_in_client):
    client = signed_in_client(tenant_a, "collector")
    c1 = book["customer"]
    url = f"/collections/customers/{c1.pk}/"
    response = client.post(
        url,
        {
            "action": "activity",
            "activity-kind": "call",
            "activity-subject": "Spoke to AP",
            "activity-outcome": "reached",
            "activity-next_action_date": "2026-11-25",
        },
    )
    assert response.status_code == 302
    bad = client.post(
        url,
        {
            "action": "promise",
            "promise-amount": "301.00",
            "promise-currency": "EUR",
            "promise-promised_date": "2026-11-27",
            "promise-items": [str(book["invoice"].pk)],
        },
    )
    assert bad.status_code == 200
    assert "larger than what the chosen items still owe" in bad.content.decode()
    good = client.post(
        url,
        {
            "action": "promise",
            "promise-amount": "300.00",
            "promise-currency": "EUR",
            "promise-promised_date": "2026-11-27",
            "promise-items": [str(book["invoice"].pk)],
        },
    )
    assert good.status_code == 302
    with tenant_context(tenant_a):
        promise = PromiseToPay.objects.for_tenant(tenant_a).get()
        assert promise.amount == Decimal("300.0000")
        assert CollectionActivity.objects.for_tenant(tenant_a).filter(kind="call").count() == 1


def test_other_tenants_objects_are_404(book, tenant_a, tenant_b, signed_in_client):
    client = signed_in_client(tenant_b, "collector")
    for url in (
        f"/collections/customers/{book['customer'].pk}/",
        f"/collections/customers/{book['customer'].pk}/statement.pdf",
        f"/collections/runs/{book['run'].pk}/",
        f"/collections/letters/{book['letter'].pk}/",
        f"/collections/policies/{book['policy'].pk}/",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        f"/collections/customers/{book['customer'].pk}/",
        {"action": "activity", "activity-kind": "note", "activity-subject": "x"},
    )
    assert response.status_code == 404
    with tenant_context(tenant_a):
        assert not CollectionActivity.objects.for_tenant(tenant_a).exists()


def test_start_run_by_hand(
    book, tenant_a, signed_in_client, eager_tasks, django_capture_on_commit_callbacks
):
    client = signed_in_client(tenant_a, "collector")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/collections/runs/", {"run_date": DAY.isoformat()})
    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert DunningRun.objects.for_tenant(tenant_a).count() == 1  # the same day's run
    future = client.post("/collections/runs/", {"run_date": "2999-01-01"})
    assert "future day" in future.content.decode()
