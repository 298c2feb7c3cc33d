"""Credit and debit memos, cancelling, and payment status following the ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoicing.models import Invoice, InvoiceLine
from invoicing.services import (
    credit_memo_create,
    debit_memo_create,
    invoice_cancel,
    invoice_issue,
    invoice_refresh_payment_status,
)
from invoicing.services.transitions import TRANSITIONS, _transition
from otc.audit.models import AuditEvent
from otc.errors import ConflictError, IllegalTransition, NotFound, ValidationFailed
from otc.ledger.models import Application, ApplicationKind, ItemKind, OpenItem
from otc.ledger.services import ledger_application_reverse, ledger_apply, ledger_item_post
from otc.tenancy.context import tenant_context
from tests.invoicing.conftest import FEB, JAN
from tests.invoicing.factories import SYSTEM, draft_invoice, issued_invoice, line

pytestmark = pytest.mark.django_db
D = Decimal


def pay(tenant, invoice, amount, *, day=FEB, currency=None):
    """Cash received and applied to the invoice, as cash application will do it."""
    payment = ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=invoice.customer,
        kind=ItemKind.PAYMENT,
        number=f"PAY-{invoice.pk}-{amount}",
        currency=currency or invoice.currency,
        amount=D(amount),
        document_date=day,
    )
    application = ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.open_item_id,
        credit_item_id=payment.pk,
        amount=D(amount),
        effective_date=day,
        kind=ApplicationKind.CASH,
    )
    return application, invoice_refresh_payment_status(tenant=tenant, invoice=invoice)


def item(invoice):
    return OpenItem.objects.get(pk=invoice.open_item_id)


# --- the transition table ------------------------------------------------------------


def test_transition_table_is_the_documented_one():
    assert {k: sorted(v) for k, v in TRANSITIONS.items()} == {
        "draft": ["cancelled", "issued"],
        "issued": ["cancelled", "paid", "partially_paid"],
        "partially_paid": ["cancelled", "issued", "paid"],
        "paid": ["issued", "partially_paid"],
        "cancelled": [],
    }


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("draft", "paid"),
        ("draft", "partially_paid"),
        ("issued", "draft"),
        ("paid", "cancelled"),
        ("paid", "draft"),
        ("cancelled", "issued"),
        ("cancelled", "draft"),
    ],
)
def test_illegal_transitions_raise(current, target):
    invoice = Invoice(status=current)
    with pytest.raises(IllegalTransition) as caught:
        _transition(invoice, target)
    assert (caught.value.current, caught.value.requested) == (current, target)
    assert invoice.status == current


# --- payment status follows the ledger ---------------------------------------------------


def test_payments_move_the_status_and_a_reversal_moves_it_back(tenant_a, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
        first, invoice = pay(tenant_a, invoice, "19.00")
        assert invoice.status == "partially_paid"
        second, invoice = pay(tenant_a, invoice, "100.00")
        assert invoice.status == "paid"
        ledger_application_reverse(
            tenant=tenant_a,
            actor=SYSTEM,
            application_id=second.pk,
            effective_date=FEB,
            reason="bounced",
        )
        invoice = invoice_refresh_payment_status(tenant=tenant_a, invoice=invoice)
        assert invoice.status == "partially_paid"
        ledger_application_reverse(
            tenant=tenant_a, actor=SYSTEM, application_id=first.pk, effective_date=FEB, reason="x"
        )
        invoice = invoice_refresh_payment_status(tenant=tenant_a, invoice=invoice)
        assert invoice.status == "issued"
        moves = list(
            AuditEvent.objects.filter(action="invoice.status_changed")
            .order_by("id")
            .values_list("changes__status__after", flat=True)
        )
    assert moves == ["partially_paid", "paid", "partially_paid", "issued"]


def test_refresh_leaves_drafts_and_unchanged_documents_alone(tenant_a, customer_a):
    with tenant_context(tenant_a):
        draft = draft_invoice(tenant_a, customer_a)
        assert invoice_refresh_payment_status(tenant=tenant_a, invoice=draft).status == "draft"
        invoice = issued_invoice(tenant_a, customer_a, issue_date=JAN)
        invoice_refresh_payment_status(tenant=tenant_a, invoice=invoice)
        assert not AuditEvent.objects.filter(action="invoice.status_changed").exists()


def test_refresh_of_another_tenants_invoice_is_not_found(tenant_a, tenant_b, customer_b):
    with tenant_context(tenant_b):
        invoice_b = issued_invoice(tenant_b, customer_b, issue_date=JAN)
    with tenant_context(tenant_a), pytest.raises(NotFound):
        invoice_refresh_payment_status(tenant=tenant_a, invoice=invoice_b)


# --- credit memos ------------------------------------------------------------------------


def test_credit_memo_is_applied_to_the_invoice_to_the_cent(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(
            tenant_a, customer_a, [line("199.99", "3"), line("10.00", rate="7")], issue_date=JAN
        )
        # net 599.97 + 10.00; tax 113.99 (113.9943) + 0.70
        assert invoice.gross_amount == D("724.66")
        memo = credit_memo_create(
            tenant=tenant_a,
            actor=actor,
            related_invoice=invoice,
            lines=[line("199.99")],
            issue_date=FEB,
            notes="One unit returned",
        )
        application = Application.objects.get(credit_item_id=memo.open_item_id)
        invoice.refresh_from_db()
        memo_item, invoice_item = item(memo), item(invoice)
    assert memo.number == "CRN-2026-000001"
    assert (memo.kind, memo.status, memo.gross_amount) == ("credit_memo", "paid", D("237.99"))
    assert memo.status_label == "Fully applied"
    assert (memo.customer_id, memo.currency, memo.related_invoice_id) == (
        customer_a.pk,
        "EUR",
        invoice.pk,
    )
    assert (application.kind, application.amount, application.effective_date) == (
        "credit_memo",
        D("237.99"),
        FEB,
    )
    assert memo_item.amount == D("-237.99")
    assert memo_item.open_amount == D("0")
    assert invoice_item.open_amount == D("486.67")
    assert invoice.status == "partially_paid"


def test_credit_memo_beyond_the_open_amount_leaves_the_rest_on_account(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
        pay(tenant_a, invoice, "100.00")  # 19.00 still open
        memo = credit_memo_create(
            tenant=tenant_a, actor=actor, related_invoice=invoice, lines=[line("50.00")]
        )
        invoice.refresh_from_db()
        memo_item, invoice_item = item(memo), item(invoice)
    assert memo.gross_amount == D("59.50")
    assert invoice_item.open_amount == D("0")
    assert invoice.status == "paid"
    assert memo_item.open_amount == D("-40.50")  # on account
    assert memo.status == "partially_paid"
    assert memo.status_label == "Partially applied"


def test_credit_memos_of_an_invoice_never_exceed_its_gross(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
        credit_memo_create(
            tenant=tenant_a, actor=actor, related_invoice=invoice, lines=[line("60.00")]
        )
        with pytest.raises(ValidationFailed) as caught:
            credit_memo_create(
                tenant=tenant_a, actor=actor, related_invoice=invoice, lines=[line("40.01")]
            )
        assert "at most 47.60" in caught.value.errors["lines"][0]
        assert Invoice.objects.filter(kind="credit_memo").count() == 1


def test_credit_memo_on_account_and_as_draft(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        on_account = credit_memo_create(
            tenant=tenant_a, actor=actor, customer=customer_a, lines=[line("10.00")]
        )
        assert (on_account.status, item(on_account).open_amount) == ("issued", D("-11.90"))
        invoice = issued_invoice(tenant_a, customer_a, issue_date=JAN)
        draft = credit_memo_create(
            tenant=tenant_a,
            actor=actor,
            related_invoice=invoice,
            lines=[line("10.00")],
            issue=False,
        )
        assert (draft.status, draft.number, draft.open_item_id) == ("draft", "", None)
        assert item(invoice).open_amount == D("119.00")
        issued = invoice_issue(tenant=tenant_a, actor=actor, invoice=draft, issue_date=FEB)
        assert issued.number == "CRN-2026-000002"
        assert item(invoice).open_amount == D("107.10")


def test_credit_memo_needs_an_issued_invoice_of_the_same_customer(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        draft = draft_invoice(tenant_a, customer_a)
        with pytest.raises(ValidationFailed) as caught:
            credit_memo_create(tenant=tenant_a, actor=actor, related_invoice=draft, lines=[line()])
        assert set(caught.value.errors) == {"related_invoice"}
        with pytest.raises(ValidationFailed) as caught:
            credit_memo_create(tenant=tenant_a, actor=actor, lines=[line()])
        assert set(caught.value.errors) == {"customer"}


def test_memo_cannot_be_dated_before_its_invoice(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, issue_date=FEB)
        with pytest.raises(ValidationFailed) as caught:
            credit_memo_create(
                tenant=tenant_a,
                actor=actor,
                related_invoice=invoice,
                lines=[line("1.00")],
                issue_date=JAN,
            )
    assert set(caught.value.errors) == {"issue_date"}


def test_credit_memo_for_another_tenants_invoice_is_not_found(
    tenant_a, tenant_b, actor, customer_b
):
    with tenant_context(tenant_b):
        invoice_b = issued_invoice(tenant_b, customer_b, issue_date=JAN)
    with tenant_context(tenant_a), pytest.raises(NotFound):
        credit_memo_create(tenant=tenant_a, actor=actor, related_invoice=invoice_b, lines=[line()])
    with tenant_context(tenant_b):
        assert item(invoice_b).open_amount == invoice_b.gross_amount


# --- debit memos ---------------------------------------------------------------------


def test_debit_memo_is_owed_like_an_invoice(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, issue_date=JAN)
        memo = debit_memo_create(
            tenant=tenant_a,
            actor=actor,
            related_invoice=invoice,
            lines=[line("25.00", description="Freight")],
            issue_date=FEB,
        )
        memo_item = item(memo)
        invoice_open = item(invoice).open_amount
    assert memo.number == "DBN-2026-000001"
    assert (memo.status, memo_item.kind, memo_item.amount) == ("issued", "debit_memo", D("29.75"))
    assert memo.due_date == date(2026, 3, 7)
    assert invoice_open == D("119.00")


# --- cancelling ------------------------------------------------------------------------


def test_discarding_a_draft_uses_no_number(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        draft = draft_invoice(tenant_a, customer_a)
        cancelled = invoice_cancel(tenant=tenant_a, actor=actor, invoice=draft, reason="typo")
        assert (cancelled.status, cancelled.number, cancelled.cancel_reason) == (
            "cancelled",
            "",
            "typo",
        )
        assert not OpenItem.objects.exists()
        with pytest.raises(IllegalTransition):
            invoice_issue(tenant=tenant_a, actor=actor, invoice=cancelled)


def test_cancel_issued_invoice_issues_the_full_credit_memo(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(
            tenant_a, customer_a, [line("100.00"), line("33.33", "3", rate="7")], issue_date=JAN
        )
        cancelled = invoice_cancel(
            tenant=tenant_a, actor=actor, invoice=invoice, reason="Wrong customer"
        )
        memo = cancelled.cancellation_memo
        memo_lines = list(
            InvoiceLine.objects.filter(invoice=memo).values_list("description", "line_net")
        )
        statuses = list(
            AuditEvent.objects.filter(object_id=str(invoice.pk), action="invoice.status_changed")
        )
        open_amounts = (item(invoice).open_amount, item(memo).open_amount)
    assert cancelled.status == "cancelled"
    assert (memo.kind, memo.gross_amount, memo.related_invoice_id) == (
        "credit_memo",
        invoice.gross_amount,
        invoice.pk,
    )
    assert memo_lines == [("Consulting", D("100.00")), ("Consulting", D("99.99"))]
    assert open_amounts == (D("0"), D("0"))
    assert "Wrong customer" in memo.notes
    assert statuses == []  # straight to cancelled, never via paid


def test_cancel_partially_paid_invoice_leaves_the_paid_part_on_account(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
        _, invoice = pay(tenant_a, invoice, "50.00")
        cancelled = invoice_cancel(tenant=tenant_a, actor=actor, invoice=invoice)
        memo_item = item(cancelled.cancellation_memo)
        invoice_open = item(invoice).open_amount
    assert cancelled.status == "cancelled"
    assert invoice_open == D("0")
    assert memo_item.amount == D("-119.00")
    assert memo_item.open_amount == D("-50.00")


def test_paid_and_partly_credited_invoices_cannot_be_cancelled(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        paid = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
        _, paid = pay(tenant_a, paid, "119.00")
        with pytest.raises(IllegalTransition):
            invoice_cancel(tenant=tenant_a, actor=actor, invoice=paid)
        credited = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
        credit_memo_create(
            tenant=tenant_a, actor=actor, related_invoice=credited, lines=[line("1.00")]
        )
        with pytest.raises(ConflictError) as caught:
            invoice_cancel(tenant=tenant_a, actor=actor, invoice=credited)
        assert caught.value.code == "partly_credited"
        memo = Invoice.objects.get(kind="credit_memo")
        with pytest.raises(IllegalTransition):
            invoice_cancel(tenant=tenant_a, actor=actor, invoice=memo)
        assert Invoice.objects.filter(kind="credit_memo").count() == 1


def test_cancelled_invoice_cannot_be_credited_again(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, issue_date=JAN)
        invoice = invoice_cancel(tenant=tenant_a, actor=actor, invoice=invoice)
        with pytest.raises(ValidationFailed):
            credit_memo_create(
                tenant=tenant_a, actor=actor, related_invoice=invoice, lines=[line("1.00")]
            )
        with pytest.raises(IllegalTransition):
            invoice_cancel(tenant=tenant_a, actor=actor, invoice=invoice)
