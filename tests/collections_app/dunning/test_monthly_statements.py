"""Monthly statements of account: on the first of the month, at the dunning
hour, every customer with open items of a tenant that asks for them gets
one e-mail with the PDF; never twice for a period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail

from collections_app.dunning.models import StatementDelivery, StatementStatus
from collections_app.dunning.services.policies import dunning_settings_set
from collections_app.dunning.services.statements import statement_deliver, statements_select
from collections_app.dunning.tasks import statements_tick
from otc.tenancy.context import tenant_context
from tests.collections_app.dunning.helpers import SYSTEM, customer, invoice

pytestmark = pytest.mark.django_db
FIRST = date(2026, 12, 1)


def _book(tenant, *, monthly: bool, currency: str = "EUR"):
    dunning_settings_set(
        tenant=tenant, actor=SYSTEM, is_enabled=True, local_hour=None, monthly_statements=monthly
    )
    owing = customer(tenant, "C1", currency=currency)
    invoice(tenant, owing, "INV-1", "250.00", due=FIRST - timedelta(days=10), currency=currency)
    customer(tenant, "C2", currency=currency)  # nothing open: no statement
    legal = customer(tenant, "C3", status="in_legal", currency=currency)
    invoice(tenant, legal, "INV-3", "90.00", due=FIRST - timedelta(days=10), currency=currency)
    return owing


def test_the_first_of_the_month_sends_one_statement_per_customer_once(
    tenant_a, tenant_b, eager_tasks
):
    with tenant_context(tenant_b):
        _book(tenant_b, monthly=False, currency="USD")
    with tenant_context(tenant_a):
        owing = _book(tenant_a, monthly=True)

    # 07:30 in Berlin on 1 December: after the default dunning hour.
    with time_machine.travel("2026-12-01T06:30:00Z", tick=False):
        assert statements_tick() == 1
        assert statements_tick() == 0  # a second tick of the day
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ap-c1@example.com"]
    assert "statement of account as of 2026-11-30" in message.subject
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("statement-C1-2026-11.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    with tenant_context(tenant_a):
        delivery = StatementDelivery.objects.get()
        assert (delivery.customer_id, delivery.status) == (owing.pk, StatementStatus.SENT)
        # Selecting and delivering again (a retried task) sends nothing more.
        assert statements_select(tenant=tenant_a, period=FIRST) == []
        assert statement_deliver(tenant=tenant_a, delivery_id=delivery.pk) == "skipped"
    assert len(mail.outbox) == 1
    with tenant_context(tenant_b):
        assert StatementDelivery.objects.count() == 0

    # Not the first: nothing.
    with time_machine.travel("2026-12-02T06:30:00Z", tick=False):
        assert statements_tick() == 0
