"""Go-live import of open invoices: all rows or none, errors naming the row
and the column, a second import of the same file creating nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from invoicing.models import Invoice
from invoicing.services import invoice_refresh_payment_status
from invoicing.services.imports import ImportFailed, open_invoices_import
from otc.audit.models import AuditEvent
from otc.ledger.models import ApplicationKind, ItemKind, OpenItem
from otc.ledger.selectors import customer_balance
from otc.ledger.services import ledger_apply, ledger_item_post
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory
from tests.invoicing.factories import SYSTEM, issued_invoice

pytestmark = pytest.mark.django_db
D = Decimal

HEADER = (
    "customer_number,invoice_number,external_ref,issue_date,due_date,currency,"
    "open_amount,original_amount,po_number\n"
)
GOOD = (
    HEADER
    + "A-100,2025-0042,OLD-42,2026-01-05,2026-02-04,EUR,1190.00,,PO-1\n"
    + "A-100,2025-0043,,2026-01-05,2026-02-04,USD,500.00,1000.00,\n"
    + "A-200,R-7,,2025-12-20,2026-01-19,JPY,120000,,\n"
)


@pytest.fixture
def customers(tenant_a, customer_a, usd_rates_a):
    from otc.fx.services import manual_rate_set

    with tenant_context(tenant_a):
        manual_rate_set(
            tenant=tenant_a,
            actor=SYSTEM,
            rate_date=date(2025, 12, 19),
            from_currency="JPY",
            to_currency="EUR",
            rate=D("0.0061"),
        )
        return customer_a, CustomerFactory(number="A-200", external_ref="ERP-C-200")


def run(tenant, text, **kwargs):
    with tenant_context(tenant):
        return open_invoices_import(tenant=tenant, actor=SYSTEM, content=text.encode(), **kwargs)


def test_import_creates_issued_invoices_with_ledger_items_at_their_dates_rates(tenant_a, customers):
    result = run(tenant_a, GOOD)
    assert (result.rows, result.created, result.existing) == (3, 3, 0)
    with tenant_context(tenant_a):
        eur, usd, jpy = (Invoice.objects.get(number=n) for n in ("2025-0042", "2025-0043", "R-7"))
        items = {i.number: i for i in OpenItem.objects.all()}
        balance = customer_balance(tenant=tenant_a, customer=customers[0])
        events = AuditEvent.objects.filter(action="invoice.imported").count()
    assert (eur.origin, eur.status, eur.series, eur.external_ref, eur.po_number) == (
        "import",
        "issued",
        "IMPORT",
        "OLD-42",
        "PO-1",
    )
    assert (eur.gross_amount, eur.due_date, eur.base_gross_amount) == (
        D("1190.00"),
        date(2026, 2, 4),
        D("1190.00"),
    )
    # Partly paid in the old system: 500 of 1000 USD still open, at 0.90.
    assert (usd.status, usd.gross_amount, usd.fx_rate, usd.base_gross_amount) == (
        "partially_paid",
        D("1000.00"),
        D("0.9"),
        D("900.00"),
    )
    assert (items["2025-0043"].amount, items["2025-0043"].base_amount) == (D("500.00"), D("450.00"))
    assert (items["2025-0043"].document_date, items["2025-0043"].due_date) == (
        date(2026, 1, 5),
        date(2026, 2, 4),
    )
    # JPY: the rate of the last day before the issue date within the window.
    assert (jpy.customer_id, jpy.fx_rate, items["R-7"].base_amount) == (
        customers[1].pk,
        D("0.0061"),
        D("732.00"),
    )
    assert balance.by_currency == {"EUR": D("1190.00"), "USD": D("500.00")}
    assert events == 3


def test_the_same_file_twice_creates_nothing_new(tenant_a, customers):
    run(tenant_a, GOOD)
    again = run(tenant_a, GOOD)
    assert (again.created, again.existing) == (0, 3)
    extended = GOOD + "A-100,2025-0044,,2026-01-06,2026-02-05,EUR,10.00,,\n"
    third = run(tenant_a, extended)
    assert (third.created, third.existing) == (1, 3)
    with tenant_context(tenant_a):
        assert Invoice.objects.count() == 4
        assert OpenItem.objects.count() == 4


def test_one_bad_row_imports_nothing_and_names_row_and_column(tenant_a, customers):
    bad = (
        GOOD
        + 'A-100,2025-0050,,2026-01-05,2026-02-04,EUR,"1.234,56",,\n'
        + "A-999,2025-0051,,05.01.2026,2026-02-04,EUR,10.00,,\n"
        + "A-100,2025-0042,,2026-01-05,2026-01-01,EUR,5.00,4.00,\n"
        + "A-100,2025-0052,,2026-01-05,2026-02-04,JPY,10.5,,\n"
        + "A-100,2025-0053,,2026-01-05,2026-02-04,GBP,10.00,,\n"
    )
    with pytest.raises(ImportFailed) as caught:
        run(tenant_a, bad)
    found = {(p.row, p.column) for p in caught.value.problems}
    assert found == {
        (5, "open_amount"),
        (6, "customer_number"),
        (6, "issue_date"),
        (7, "invoice_number"),  # repeats row 2
        (7, "due_date"),
        (7, "original_amount"),
        (8, "open_amount"),  # JPY has no decimals
        (8, "issue_date"),  # and no JPY rate near 5 January
        (9, "issue_date"),  # no GBP rate
    }
    messages = {str(p) for p in caught.value.problems}
    assert "row 7, invoice_number: Repeats row 2." in messages
    assert any(m.startswith("row 5, open_amount: Use a point") for m in messages)
    assert "row 7.due_date" in caught.value.errors
    with tenant_context(tenant_a):
        assert not Invoice.objects.exists()
        assert not OpenItem.objects.exists()


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("invoice_number,issue_date\nX,2026-01-01\n", "due_date"),
        (HEADER.replace("po_number", "po_numbr"), "po_numbr"),
        (HEADER, ""),
        ("", ""),
    ],
)
def test_bad_files_say_what_is_wrong(tenant_a, customers, text, column):
    with pytest.raises(ImportFailed) as caught:
        run(tenant_a, text)
    assert column in {p.column for p in caught.value.problems}


def test_semicolons_and_a_byte_order_mark_are_fine(tenant_a, customers):
    text = "\ufeff" + GOOD.replace(",", ";")
    assert run(tenant_a, text).created == 3


def test_clash_with_an_invoice_numbered_by_otc(tenant_a, customers):
    with tenant_context(tenant_a):
        ours = issued_invoice(tenant_a, customers[0], issue_date=date(2026, 1, 5))
    text = HEADER + f"A-100,{ours.number},,2026-01-05,2026-02-04,EUR,10.00,,\n"
    with pytest.raises(ImportFailed) as caught:
        run(tenant_a, text)
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "invoice_number")]


def test_dry_run_writes_nothing(tenant_a, customers):
    result = run(tenant_a, GOOD, dry_run=True)
    assert (result.created, result.created_ids) == (3, [])
    with tenant_context(tenant_a):
        assert not Invoice.objects.exists()


def test_imported_invoices_follow_payments(tenant_a, customers):
    run(tenant_a, GOOD)
    with tenant_context(tenant_a):
        invoice = Invoice.objects.get(number="2025-0042")
        payment = ledger_item_post(
            tenant=tenant_a,
            actor=SYSTEM,
            customer=invoice.customer,
            kind=ItemKind.PAYMENT,
            number="PAY-1",
            currency="EUR",
            amount=D("1190.00"),
            document_date=date(2026, 2, 1),
        )
        ledger_apply(
            tenant=tenant_a,
            actor=SYSTEM,
            debit_item_id=invoice.open_item_id,
            credit_item_id=payment.pk,
            amount=D("1190.00"),
            effective_date=date(2026, 2, 1),
            kind=ApplicationKind.CASH,
        )
        assert invoice_refresh_payment_status(tenant=tenant_a, invoice=invoice).status == "paid"


def test_customers_of_another_tenant_are_unknown(tenant_a, tenant_b, customers, customer_b):
    text = HEADER + "B-100,X-1,,2026-01-05,2026-02-04,EUR,10.00,,\n"
    with pytest.raises(ImportFailed) as caught:
        run(tenant_a, text)
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "customer_number")]
    with tenant_context(tenant_b):
        assert not Invoice.objects.exists()


def test_command_imports_and_reports(tenant_a, customers, tmp_path):
    path = tmp_path / "open.csv"
    path.write_text(GOOD, encoding="utf-8")
    out = StringIO()
    call_command("import_open_invoices", "--tenant", "alpha", str(path), stdout=out)
    assert "3 rows, imported 3, 0 already imported" in out.getvalue()
    out = StringIO()
    call_command("import_open_invoices", "--tenant", "alpha", str(path), stdout=out)
    assert "imported 0, 3 already imported" in out.getvalue()

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A-100,N-1,,2026-01-05,2026-02-04,EUR,-5,,\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_open_invoices", "--tenant", "alpha", str(bad), stderr=err)
    assert "row 2, open_amount: Enter an amount greater than 0." in err.getvalue()
    with pytest.raises(CommandError, match="No tenant"):
        call_command("import_open_invoices", "--tenant", "nope", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_open_invoices", "--tenant", "alpha", str(tmp_path / "missing.csv"))
    with tenant_context(tenant_a):
        assert Invoice.objects.count() == 3
