"""Issuing: gap-free numbers, the locked rate, the ledger item, and that a
failure leaves neither a gap nor a half-issued document."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoicing.models import Invoice, NumberSequence
from invoicing.services import InvoiceFields, invoice_issue, invoice_update_draft
from otc.audit.models import AuditEvent
from otc.errors import ConflictError, IllegalTransition, NotFound, ValidationFailed
from otc.ledger.models import ItemStatus, OpenItem, PostingLine
from otc.ledger.selectors import customer_balance
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory
from tests.invoicing.conftest import FEB, JAN
from tests.invoicing.factories import draft_invoice, issued_invoice, line

pytestmark = pytest.mark.django_db
D = Decimal


def test_issue_numbers_locks_rate_and_posts_the_ledger_item(
    tenant_a, actor, customer_a, usd_rates_a
):
    with tenant_context(tenant_a):
        draft = draft_invoice(
            tenant_a, customer_a, [line("1000.00"), line("250.50", rate="7")], currency="USD"
        )
        invoice = invoice_issue(tenant=tenant_a, actor=actor, invoice=draft, issue_date=JAN)
        item = OpenItem.objects.get(pk=invoice.open_item_id)
        postings = list(
            PostingLine.objects.filter(open_item=item).values_list("account", "base_amount")
        )
        event = AuditEvent.objects.get(action="invoice.issued")
    assert invoice.status == "issued"
    assert invoice.number == "INV-2026-000001"
    # 1000.00 + 250.50 net; 190.00 + 17.535 -> 17.54 tax; gross 1458.04 USD
    assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (
        D("1250.50"),
        D("207.54"),
        D("1458.04"),
    )
    assert invoice.fx_rate == D("0.9")
    assert (invoice.base_currency, invoice.base_gross_amount) == ("EUR", D("1312.24"))  # 1312.236
    assert invoice.issue_date == JAN
    assert invoice.due_date == date(2026, 2, 4)  # net 30
    assert invoice.discount_date == date(2026, 1, 15)
    assert invoice.discount_amount == D("29.16")  # 2 % of 1458.04 = 29.1608
    assert invoice.issued_at is not None
    assert item.kind == "invoice"
    assert (item.number, item.currency, item.amount) == ("INV-2026-000001", "USD", D("1458.04"))
    assert (item.fx_rate, item.base_amount, item.open_amount) == (
        D("0.9"),
        D("1312.24"),
        D("1458.04"),
    )
    assert (item.document_date, item.due_date) == (JAN, date(2026, 2, 4))
    assert (item.source_type, item.source_id) == ("invoicing.invoice", str(invoice.pk))
    assert postings == [("receivable", D("1312.24"))]
    assert event.changes["number"]["after"] == "INV-2026-000001"


def test_numbers_are_consecutive_per_series_and_year(tenant_a, customer_a):
    with tenant_context(tenant_a):
        numbers = [
            issued_invoice(tenant_a, customer_a, issue_date=date(2026, 3, 1)).number
            for _ in range(3)
        ]
        numbers.append(issued_invoice(tenant_a, customer_a, issue_date=date(2027, 1, 2)).number)
        numbers.append(
            issued_invoice(tenant_a, customer_a, issue_date=date(2026, 3, 1), series="EXP").number
        )
        numbers.append(issued_invoice(tenant_a, customer_a, issue_date=date(2026, 12, 31)).number)
    assert numbers == [
        "INV-2026-000001",
        "INV-2026-000002",
        "INV-2026-000003",
        "INV-2027-000001",
        "EXP-2026-000001",
        "INV-2026-000004",
    ]


def test_each_tenant_counts_on_its_own(tenant_a, tenant_b, customer_a, customer_b):
    with tenant_context(tenant_a):
        issued_invoice(tenant_a, customer_a, issue_date=JAN)
        issued_invoice(tenant_a, customer_a, issue_date=JAN)
    with tenant_context(tenant_b):
        invoice_b = issued_invoice(tenant_b, customer_b, issue_date=JAN)
        assert NumberSequence.objects.get().next_value == 2
    assert invoice_b.number == "INV-2026-000001"


def test_a_failed_issue_uses_no_number_and_changes_nothing(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        first = issued_invoice(tenant_a, customer_a, issue_date=JAN)
        # No USD rate exists: the issue fails after validation, before the ledger.
        usd = draft_invoice(tenant_a, customer_a, currency="USD")
        with pytest.raises(ValidationFailed) as caught:
            invoice_issue(tenant=tenant_a, actor=actor, invoice=usd, issue_date=JAN)
        assert "USD/EUR" in caught.value.errors["issue_date"][0]
        stored = Invoice.objects.get(pk=usd.pk)
        assert (stored.status, stored.number, stored.open_item_id) == ("draft", "", None)
        assert OpenItem.objects.count() == 1
        nxt = issued_invoice(tenant_a, customer_a, issue_date=JAN)
    assert (first.number, nxt.number) == ("INV-2026-000001", "INV-2026-000002")


def test_a_failure_after_the_number_was_drawn_rolls_it_back(
    tenant_a, actor, customer_a, monkeypatch
):
    from invoicing.services import issuing

    def broken_post(**kwargs):
        raise RuntimeError("ledger unavailable")

    with tenant_context(tenant_a):
        draft = draft_invoice(tenant_a, customer_a)
        monkeypatch.setattr(issuing, "ledger_items_post_many", broken_post)
        with pytest.raises(RuntimeError):
            invoice_issue(tenant=tenant_a, actor=actor, invoice=draft, issue_date=JAN)
        monkeypatch.undo()
        assert Invoice.objects.get(pk=draft.pk).status == "draft"
        assert not NumberSequence.objects.filter(next_value__gt=1).exists()
        invoice = invoice_issue(tenant=tenant_a, actor=actor, invoice=draft, issue_date=JAN)
    assert invoice.number == "INV-2026-000001"


def test_issuing_twice_is_an_illegal_transition(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, issue_date=JAN)
        with pytest.raises(IllegalTransition) as caught:
            invoice_issue(tenant=tenant_a, actor=actor, invoice=invoice)
        assert (caught.value.current, caught.value.requested) == ("issued", "issued")
        assert OpenItem.objects.count() == 1


def test_an_issued_invoice_cannot_be_edited(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, issue_date=JAN)
        with pytest.raises(ConflictError) as caught:
            invoice_update_draft(
                tenant=tenant_a, actor=actor, invoice=invoice, data=InvoiceFields(notes="x")
            )
    assert caught.value.code == "not_a_draft"


def test_issue_needs_lines_and_a_positive_total(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        empty = draft_invoice(tenant_a, customer_a, [])
        with pytest.raises(ValidationFailed) as caught:
            invoice_issue(tenant=tenant_a, actor=actor, invoice=empty)
        assert "at least one line" in caught.value.errors["lines"][0]
        negative = draft_invoice(tenant_a, customer_a, [line("10.00"), line("-20.00")])
        with pytest.raises(ValidationFailed) as caught:
            invoice_issue(tenant=tenant_a, actor=actor, invoice=negative)
        assert "greater than zero" in caught.value.errors["lines"][0]
        assert not NumberSequence.objects.filter(next_value__gt=1).exists()


def test_issue_date_defaults_to_the_drafts_date_and_due_date_follows_it(
    tenant_a, actor, customer_a
):
    with tenant_context(tenant_a):
        draft = draft_invoice(tenant_a, customer_a, issue_date=date(2026, 2, 27))
        assert draft.due_date == date(2026, 3, 29)
        invoice = invoice_issue(tenant=tenant_a, actor=actor, invoice=draft)
        assert (invoice.issue_date, invoice.due_date) == (date(2026, 2, 27), date(2026, 3, 29))
        moved = draft_invoice(tenant_a, customer_a, issue_date=date(2026, 2, 27))
        moved = invoice_issue(
            tenant=tenant_a, actor=actor, invoice=moved, issue_date=date(2026, 3, 2)
        )
    assert moved.due_date == date(2026, 4, 1)


def test_a_customer_closed_after_the_draft_cannot_be_invoiced(tenant_a, actor):
    with tenant_context(tenant_a):
        customer = CustomerFactory()
        draft = draft_invoice(tenant_a, customer)
        customer.status = "closed"
        customer.save()
        with pytest.raises(ValidationFailed) as caught:
            invoice_issue(tenant=tenant_a, actor=actor, invoice=draft)
    assert set(caught.value.errors) == {"customer"}


def test_one_customer_in_several_currencies(tenant_a, actor, customer_a, usd_rates_a):
    with tenant_context(tenant_a):
        eur = issued_invoice(tenant_a, customer_a, [line("500.00")], issue_date=FEB)
        usd = issued_invoice(tenant_a, customer_a, [line("500.00")], issue_date=FEB, currency="USD")
        balance = customer_balance(tenant=tenant_a, customer=customer_a)
    assert (eur.currency, eur.fx_rate, eur.base_gross_amount) == ("EUR", D(1), D("595.00"))
    assert (usd.currency, usd.fx_rate, usd.base_gross_amount) == ("USD", D("0.85"), D("505.75"))
    assert balance.by_currency == {"EUR": D("595.00"), "USD": D("595.00")}
    assert balance.base == D("1100.75")


def test_jpy_invoice_posts_whole_yen(tenant_a, actor, customer_a):
    from otc.fx.services import manual_rate_set
    from tests.invoicing.factories import SYSTEM

    with tenant_context(tenant_a):
        manual_rate_set(
            tenant=tenant_a,
            actor=SYSTEM,
            rate_date=JAN,
            from_currency="JPY",
            to_currency="EUR",
            rate=D("0.0061234"),
        )
        invoice = issued_invoice(
            tenant_a, customer_a, [line("333.5", "3", rate="10")], issue_date=JAN, currency="JPY"
        )
        item = OpenItem.objects.get(pk=invoice.open_item_id)
    assert (invoice.gross_amount, item.amount) == (D("1101"), D("1101"))
    assert invoice.base_gross_amount == D("6.74")  # 1101 * 0.0061234 = 6.7418...
    assert item.status == ItemStatus.OPEN


def test_another_tenants_draft_cannot_be_issued(tenant_a, tenant_b, actor, customer_b):
    with tenant_context(tenant_b):
        draft_b = draft_invoice(tenant_b, customer_b)
    with tenant_context(tenant_a), pytest.raises(NotFound):
        invoice_issue(tenant=tenant_a, actor=actor, invoice=draft_b)
    with tenant_context(tenant_b):
        assert Invoice.objects.get(pk=draft_b.pk).status == "draft"


def test_an_amount_too_large_in_base_currency_is_refused_before_numbering(
    tenant_a, actor, customer_a
):
    from otc.fx.services import manual_rate_set
    from tests.invoicing.factories import SYSTEM

    with tenant_context(tenant_a):
        manual_rate_set(
            tenant=tenant_a,
            actor=SYSTEM,
            rate_date=JAN,
            from_currency="KWD",
            to_currency="EUR",
            rate=D("3.0"),
        )
        lines = [line("1000000000", "50000", rate="0", category="Z")]
        huge = draft_invoice(tenant_a, customer_a, lines, currency="KWD")
        with pytest.raises(ValidationFailed) as caught:
            invoice_issue(tenant=tenant_a, actor=actor, invoice=huge, issue_date=JAN)
        assert "split it into smaller documents" in caught.value.errors["lines"][0]
        assert Invoice.objects.get(pk=huge.pk).status == "draft"
        assert not NumberSequence.objects.exists()
