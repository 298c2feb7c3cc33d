"""The summaries the ledger's triggers keep equal the open items they
summarise, after posting, applying, reversing and moving to a deduction,
and one tenant's rows are invisible to the other."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from otc.ledger.models import AgingBalance, CustomerBalance, ItemStatus, OpenItem
from otc.ledger.services import ledger_application_reverse
from otc.tenancy.context import tenant_context
from tests.otc.ledger.conftest import SYSTEM

pytestmark = pytest.mark.django_db


def side(item):
    if item.kind == "deduction":
        return "deduction"
    return "credit" if item.amount < 0 else "debit"


def expected_aging(tenant):
    rows = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for item in OpenItem.objects.for_tenant(tenant).filter(status=ItemStatus.OPEN):
        key = (item.customer_id, item.currency, side(item), item.due_date or item.document_date)
        rows[key][0] += item.open_amount
        rows[key][1] += item.open_base_amount
        rows[key][2] += 1
    return {key: tuple(value) for key, value in rows.items()}


def summarised_aging(tenant):
    return {
        (row.customer_id, row.currency, row.side, row.aging_date): (
            row.open_amount,
            row.open_base_amount,
            row.item_count,
        )
        for row in AgingBalance.objects.for_tenant(tenant)
    }


def test_summaries_follow_every_change(book, tenant_b):
    tenant = book.tenant
    with tenant_context(tenant):
        assert summarised_aging(tenant) == expected_aging(tenant)
        application = book.items["inv_15"].debit_applications.get()
        ledger_application_reverse(
            tenant=tenant,
            actor=SYSTEM,
            application_id=application.pk,
            effective_date=book.today - timedelta(days=1),
            reason="bounced",
        )
        assert summarised_aging(tenant) == expected_aging(tenant)
        balances = {
            (row.customer_id, row.side): row.open_base_amount
            for row in CustomerBalance.objects.for_tenant(tenant)
        }
        assert balances[(book.acme.pk, "debit")] == Decimal("3000")
        assert balances[(book.acme.pk, "credit")] == Decimal("-700")
        # closed items leave no rows behind
        assert not AgingBalance.objects.for_tenant(tenant).filter(item_count=0).exists()
        tenant_a_customers = {row.customer_id for row in AgingBalance.objects.for_tenant(tenant)}
    with tenant_context(tenant_b):
        other = {row.customer_id for row in AgingBalance.objects.for_tenant(tenant_b)}
        assert other
        assert not other & tenant_a_customers
        assert summarised_aging(tenant_b) == expected_aging(tenant_b)
