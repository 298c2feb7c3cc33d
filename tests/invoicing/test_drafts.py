"""Drafts: defaults from the customer, validation, lines replaced atomically,
external references and tenant isolation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoicing.models import Invoice, InvoiceLine
from invoicing.services import (
    InvoiceFields,
    LineInput,
    invoice_create_draft,
    invoice_update_draft,
)
from otc.audit.models import AuditEvent
from otc.errors import ConflictError, NotFound, ValidationFailed
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory, PaymentTermsFactory
from tests.invoicing.factories import draft_invoice, line

pytestmark = pytest.mark.django_db
D = Decimal


def test_draft_takes_currency_terms_and_series_from_customer_and_kind(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = invoice_create_draft(
            tenant=tenant_a,
            actor=actor,
            customer=customer_a,
            lines=[line("100.00"), line("50.00", rate="7")],
            issue_date=date(2026, 3, 10),
            po_number=" PO-77 ",
        )
        stored = Invoice.objects.get(pk=invoice.pk)
        lines = list(InvoiceLine.objects.filter(invoice=invoice))
        event = AuditEvent.objects.get(action="invoice.draft_created")
    assert stored.status == "draft"
    assert stored.number == ""
    assert (stored.currency, stored.series) == ("EUR", "INV")
    assert stored.payment_terms_id == customer_a.payment_terms_id
    assert stored.po_number == "PO-77"
    assert (stored.net_amount, stored.tax_amount, stored.gross_amount) == (
        D("150.00"),
        D("22.50"),
        D("172.50"),
    )
    # 2/10 net 30 from the draft's date: due 9 April, discount until 20 March.
    assert stored.due_date == date(2026, 4, 9)
    assert stored.discount_date == date(2026, 3, 20)
    assert stored.discount_amount == D("3.45")  # 2 % of 172.50
    assert [(x.position, x.line_net) for x in lines] == [(1, D("100.00")), (2, D("50.00"))]
    assert stored.open_item is None
    assert event.object_id == str(invoice.pk)
    assert event.actor_label == actor.label


def test_every_bad_line_is_reported_with_its_path(tenant_a, actor, customer_a):
    bad = [
        LineInput(description="", quantity=D(0), unit_price=D("1.1234567"), tax_rate=D(19)),
        LineInput(description="Ok", quantity=D(1), unit_price=D(1), tax_rate=D(0)),
        LineInput(
            description="Ok",
            quantity=D(1),
            unit_price=D(1),
            tax_rate=D(19),
            tax_category="AE",
            discount_percent=D(100),
            unit="piece",
        ),
    ]
    with tenant_context(tenant_a), pytest.raises(ValidationFailed) as caught:
        invoice_create_draft(tenant=tenant_a, actor=actor, customer=customer_a, lines=bad)
    errors = caught.value.errors
    assert set(errors) == {
        "lines[0].description",
        "lines[0].quantity",
        "lines[0].unit_price",
        "lines[1].tax_rate",
        "lines[2].tax_rate",
        "lines[2].discount_percent",
        "lines[2].unit",
    }
    assert "standard-rated" in errors["lines[1].tax_rate"][0]
    with tenant_context(tenant_a):
        assert not Invoice.objects.exists()


def test_update_replaces_all_lines_and_recomputes(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = draft_invoice(tenant_a, customer_a, [line("10.00"), line("20.00")])
        invoice = invoice_update_draft(
            tenant=tenant_a,
            actor=actor,
            invoice=invoice,
            data=InvoiceFields(notes="Thanks", currency="usd"),
            lines=[line("33.33", "3")],
        )
        lines = list(InvoiceLine.objects.filter(invoice=invoice))
        event = AuditEvent.objects.get(action="invoice.draft_updated")
    assert invoice.currency == "USD"
    assert [(x.position, x.line_net) for x in lines] == [(1, D("99.99"))]
    assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (
        D("99.99"),
        D("19.00"),  # 18.9981
        D("118.99"),
    )
    assert event.changes["lines"] == {"before": 2, "after": 1}
    assert event.changes["currency"] == {"before": "EUR", "after": "USD"}


def test_a_failed_update_leaves_lines_and_header_as_they_were(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        invoice = draft_invoice(tenant_a, customer_a, [line("10.00"), line("20.00")])
        with pytest.raises(ValidationFailed):
            invoice_update_draft(
                tenant=tenant_a,
                actor=actor,
                invoice=invoice,
                data=InvoiceFields(notes="changed"),
                lines=[line("5.00"), LineInput(description="", quantity=D(1), unit_price=D(1))],
            )
        stored = Invoice.objects.get(pk=invoice.pk)
        nets = list(InvoiceLine.objects.filter(invoice=invoice).values_list("line_net", flat=True))
    assert stored.notes == ""
    assert nets == [D("10.00"), D("20.00")]
    assert stored.gross_amount == D("35.70")


def test_changing_the_customer_keeps_chosen_terms_and_manual_due_date(tenant_a, actor, customer_a):
    with tenant_context(tenant_a):
        net60 = PaymentTermsFactory(code="NET60", net_days=60)
        invoice = draft_invoice(
            tenant_a, customer_a, issue_date=date(2026, 1, 31), payment_terms=net60
        )
        assert invoice.due_date == date(2026, 4, 1)
        invoice = invoice_update_draft(
            tenant=tenant_a,
            actor=actor,
            invoice=invoice,
            data=InvoiceFields(due_date=date(2026, 2, 14)),
        )
        assert (invoice.due_date, invoice.due_date_manual) == (date(2026, 2, 14), True)
        invoice = invoice_update_draft(
            tenant=tenant_a, actor=actor, invoice=invoice, data=InvoiceFields(due_date=None)
        )
    assert (invoice.due_date, invoice.due_date_manual) == (date(2026, 4, 1), False)


def test_due_date_before_issue_date_is_refused(tenant_a, actor, customer_a):
    with tenant_context(tenant_a), pytest.raises(ValidationFailed) as caught:
        draft_invoice(tenant_a, customer_a, issue_date=date(2026, 3, 1), due_date=date(2026, 2, 28))
    assert set(caught.value.errors) == {"due_date"}


def test_external_ref_is_unique_per_tenant_only(tenant_a, tenant_b, customer_a, customer_b):
    with tenant_context(tenant_a):
        draft_invoice(tenant_a, customer_a, external_ref="ERP-1")
        with pytest.raises(ConflictError) as caught:
            draft_invoice(tenant_a, customer_a, external_ref=" ERP-1 ")
        assert caught.value.code == "duplicate_external_ref"
        blank = draft_invoice(tenant_a, customer_a, external_ref="  ")
        assert blank.external_ref is None
    with tenant_context(tenant_b):
        other = draft_invoice(tenant_b, customer_b, external_ref="ERP-1")
    assert other.external_ref == "ERP-1"


def test_another_tenants_customer_or_terms_cannot_be_used(
    tenant_a, tenant_b, actor, customer_a, customer_b
):
    with tenant_context(tenant_a), pytest.raises(NotFound):
        invoice_create_draft(tenant=tenant_a, actor=actor, customer=customer_b, lines=[line()])
    with tenant_context(tenant_b):
        terms_b = PaymentTermsFactory(code="NET10", net_days=10)
    with tenant_context(tenant_a), pytest.raises(ValidationFailed) as caught:
        invoice_create_draft(
            tenant=tenant_a, actor=actor, customer=customer_a, lines=[line()], payment_terms=terms_b
        )
    assert set(caught.value.errors) == {"payment_terms"}
    with tenant_context(tenant_b):
        assert not Invoice.objects.exists()


def test_another_tenants_draft_cannot_be_updated(tenant_a, tenant_b, actor, customer_b):
    with tenant_context(tenant_b):
        invoice_b = draft_invoice(tenant_b, customer_b)
    with tenant_context(tenant_a), pytest.raises(NotFound):
        invoice_update_draft(
            tenant=tenant_a, actor=actor, invoice=invoice_b, data=InvoiceFields(notes="mine")
        )
    with tenant_context(tenant_b):
        assert Invoice.objects.get(pk=invoice_b.pk).notes == ""


def test_closed_customer_cannot_be_invoiced(tenant_a, actor):
    with tenant_context(tenant_a):
        closed = CustomerFactory(status="closed")
        with pytest.raises(ValidationFailed) as caught:
            draft_invoice(tenant_a, closed)
    assert "closed" in caught.value.errors["customer"][0]


def test_invoices_cannot_refer_to_another_invoice(tenant_a, customer_a):
    with tenant_context(tenant_a):
        first = draft_invoice(tenant_a, customer_a)
        with pytest.raises(ValidationFailed) as caught:
            draft_invoice(tenant_a, customer_a, related_invoice=first)
    assert set(caught.value.errors) == {"related_invoice"}


def test_series_must_be_a_short_code(tenant_a, customer_a):
    with tenant_context(tenant_a):
        assert draft_invoice(tenant_a, customer_a, series="exp").series == "EXP"
        with pytest.raises(ValidationFailed) as caught:
            draft_invoice(tenant_a, customer_a, series="INV-2026")
    assert set(caught.value.errors) == {"series"}
