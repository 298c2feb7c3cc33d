"""Issuing many drafts at once: the same rules and results as one by one,
all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicing.models import Invoice
from invoicing.services import invoice_issue, invoice_issue_many
from otc.audit.models import AuditEvent
from otc.errors import NotFound, ValidationFailed
from otc.ledger.models import OpenItem, PostingLine
from otc.ledger.selectors import customer_balance
from otc.tenancy.context import tenant_context
from tests.invoicing.conftest import FEB, JAN
from tests.invoicing.factories import draft_invoice, line

pytestmark = pytest.mark.django_db
D = Decimal


def test_issues_all_with_consecutive_numbers_and_ledger_items(
    tenant_a, actor, customer_a, usd_rates_a
):
    with tenant_context(tenant_a):
        drafts = [
            draft_invoice(
                tenant_a, customer_a, [line("1000.00"), line("250.50", rate="7")], currency="USD"
            )
            for _ in range(3)
        ] + [draft_invoice(tenant_a, customer_a, [line("99.99")]) for _ in range(2)]
        issued = invoice_issue_many(tenant=tenant_a, actor=actor, invoices=drafts, issue_date=JAN)
        assert [invoice.number for invoice in issued] == [f"INV-2026-{n:06d}" for n in range(1, 6)]
        stored = {
            invoice.pk: invoice for invoice in Invoice.objects.filter(pk__in=[d.pk for d in drafts])
        }
        usd = stored[drafts[0].pk]
        # Same figures as the one-by-one test: 1458.04 USD at 0.90 -> 1312.24 EUR.
        assert (usd.status, usd.gross_amount, usd.fx_rate, usd.base_gross_amount) == (
            "issued",
            D("1458.04"),
            D("0.9"),
            D("1312.24"),
        )
        assert usd.discount_amount == D("29.16")
        eur = stored[drafts[3].pk]
        assert (eur.gross_amount, eur.base_gross_amount) == (D("118.99"), D("118.99"))
        for invoice in stored.values():
            item = OpenItem.objects.get(pk=invoice.open_item_id)
            assert (item.number, item.amount, item.source_id) == (
                invoice.number,
                invoice.gross_amount,
                str(invoice.pk),
            )
            lines = PostingLine.objects.filter(posting__lines__open_item=item).distinct()
            assert sum(entry.base_amount for entry in lines) == 0
        assert AuditEvent.objects.filter(action="invoice.issued").count() == 5
        assert AuditEvent.objects.filter(action="ledger.item_posted").count() == 5
        balance = customer_balance(tenant=tenant_a, customer=customer_a)
        assert balance.by_currency == {"USD": D("4374.12"), "EUR": D("237.98")}
        assert balance.base == D("3936.72") + D("237.98")


def test_one_bad_draft_issues_nothing_and_uses_no_number(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        good = draft_invoice(tenant_a, customer_a, [line("10.00")])
        bad = draft_invoice(tenant_a, customer_a, [line("10.00")], currency="USD")  # no USD rate
        with pytest.raises(ValidationFailed) as refused:
            invoice_issue_many(tenant=tenant_a, actor=actor, invoices=[good, bad], issue_date=FEB)
        assert "issue_date" in refused.value.errors
        assert set(Invoice.objects.values_list("status", flat=True)) == {"draft"}
        assert OpenItem.objects.count() == 0
        single = invoice_issue(tenant=tenant_a, actor=actor, invoice=good, issue_date=FEB)
        assert single.number == "INV-2026-000001"


def test_memos_with_a_related_invoice_go_one_by_one(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = invoice_issue(
            tenant=tenant_a,
            actor=actor,
            invoice=draft_invoice(tenant_a, customer_a, [line("10.00")]),
            issue_date=JAN,
        )
        memo = draft_invoice(
            tenant_a, customer_a, [line("5.00")], kind="debit_memo", related_invoice=invoice
        )
        with pytest.raises(ValidationFailed, match="issue it on its own"):
            invoice_issue_many(tenant=tenant_a, actor=actor, invoices=[memo], issue_date=JAN)


def test_other_tenants_drafts_are_not_found(tenant_a, tenant_b, actor, customer_b):
    with tenant_context(tenant_b):
        theirs = draft_invoice(tenant_b, customer_b, [line("10.00")])
    with tenant_context(tenant_a), pytest.raises(NotFound):
        invoice_issue_many(tenant=tenant_a, actor=actor, invoices=[theirs], issue_date=JAN)
    with tenant_context(tenant_b):
        assert Invoice.objects.get(pk=theirs.pk).status == "draft"
