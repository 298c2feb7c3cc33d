"""The invoice pages: list, detail, draft editor (htmx), issue, cancel,
credit memo, CSV import, roles and tenant isolation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoicing.models import Invoice, InvoiceLine
from invoicing.services import credit_memo_create
from otc.ledger.models import OpenItem
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory
from tests.invoicing.conftest import FEB, JAN
from tests.invoicing.factories import SYSTEM, draft_invoice, issued_invoice, line

D = Decimal


@pytest.fixture
def clerk(signed_in_client, tenant_a):
    return signed_in_client(tenant_a, "ar_clerk")


@pytest.fixture
def collector(signed_in_client, tenant_a):
    return signed_in_client(tenant_a, "collector")


def line_data(rows, **extra):
    """POST data of the line editor: rows of field values."""
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0", **extra}
    for index, row in enumerate(rows):
        base = {"unit": "C62", "tax_category": "S"}
        for name, value in {**base, **row}.items():
            data[f"lines-{index}-{name}"] = value
    return data


PUMP = {"description": "Pump", "quantity": "2", "unit_price": "1249.00", "tax_rate": "19"}


# --- list ---------------------------------------------------------------------------


def test_list_filters_sorts_and_totals_per_currency(clerk, tenant_a, customer_a, usd_rates_a):
    with tenant_context(tenant_a):
        other = CustomerFactory(number="A-200", legal_name="Zeta Werke AG")
        draft = draft_invoice(tenant_a, customer_a, [line("10.00")])
        eur = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
        usd = issued_invoice(
            tenant_a, other, [line("50.00")], issue_date=FEB, currency="USD", po_number="PO-9"
        )
    url = reverse("invoicing:list")

    def numbers(**params):
        response = clerk.get(url, params)
        assert response.status_code == 200
        return [i.pk for i in response.context["listing"].page.object_list]

    assert set(numbers()) == {draft.pk, eur.pk, usd.pk}
    assert numbers(status="draft") == [draft.pk]
    assert numbers(customer="zeta") == [usd.pk]
    # Newest issue date first; drafts (no date yet) lead.
    assert numbers(customer="A-100") == [draft.pk, eur.pk]
    assert numbers(currency="USD") == [usd.pk]
    assert numbers(due_before="2026-02-04") == [eur.pk]
    assert numbers(due_after="2026-02-05") == [usd.pk]
    assert numbers(overdue="yes") == [usd.pk, eur.pk]
    assert numbers(overdue="no") == [draft.pk]
    assert numbers(q="PO-9") == [usd.pk]
    assert numbers(sort="gross") == [draft.pk, usd.pk, eur.pk]
    assert numbers(sort="-gross") == [eur.pk, usd.pk, draft.pk]
    response = clerk.get(url)
    totals = {t.currency: (t.count, t.gross, t.open) for t in response.context["totals"]}
    assert totals == {
        "EUR": (2, D("130.90"), D("119.00")),
        "USD": (1, D("59.50"), D("59.50")),
    }
    page = response.content.decode()
    assert "59.50" in page.replace(",", ".")
    assert "overdue" in page


def test_list_paginates_and_never_shows_another_tenant(
    clerk, tenant_a, tenant_b, customer_a, customer_b
):
    with tenant_context(tenant_a):
        for _ in range(55):
            draft_invoice(tenant_a, customer_a)
    with tenant_context(tenant_b):
        other = draft_invoice(tenant_b, customer_b, po_number="SECRET-PO")
    response = clerk.get(reverse("invoicing:list"))
    assert response.context["listing"].page.paginator.count == 55
    assert len(response.context["listing"].page.object_list) == 50
    second = clerk.get(reverse("invoicing:list"), {"page": 2})
    assert len(second.context["listing"].page.object_list) == 5
    assert "SECRET-PO" not in response.content.decode()
    assert other.pk not in [i.pk for i in second.context["listing"].page.object_list]


# --- detail ---------------------------------------------------------------------------


def test_detail_shows_lines_tax_amounts_applications_and_history(
    clerk, tenant_a, customer_a, usd_rates_a
):
    with tenant_context(tenant_a):
        invoice = issued_invoice(
            tenant_a,
            customer_a,
            [line("1000.00", description="Pump HP-220"), line("10.00", rate="7")],
            issue_date=JAN,
            currency="USD",
        )
        memo = credit_memo_create(
            tenant=tenant_a,
            actor=SYSTEM,
            related_invoice=invoice,
            lines=[line("100.00")],
            issue_date=FEB,
        )
    response = clerk.get(reverse("invoicing:detail", args=[invoice.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "INV-2026-000001" in page
    assert "Pump HP-220" in page
    assert len(response.context["tax_summary"]) == 2
    assert response.context["open_amount"] == D("1200.70") - D("119.00")
    assert memo.number in page
    [application] = response.context["applications"]
    assert (application.counter_number, application.amount, application.base_amount) == (
        memo.number,
        D("119.00"),
        D("107.10"),
    )
    assert application.fx_gain_base == D("0.00")  # a memo takes its invoice's rate
    assert "invoice.issued" in page
    assert response.context["can_credit"] is True
    assert response.context["can_cancel"] is False  # partly credited: finish with a memo


def test_detail_of_another_tenants_invoice_is_404(clerk, tenant_b, customer_b):
    with tenant_context(tenant_b):
        other = issued_invoice(tenant_b, customer_b, issue_date=JAN)
    for name in ("detail", "edit", "issue", "cancel", "credit_memo"):
        assert clerk.get(reverse(f"invoicing:{name}", args=[other.pk])).status_code == 404
        if name != "detail":  # the detail page only answers GET
            assert clerk.post(reverse(f"invoicing:{name}", args=[other.pk]), {}).status_code == 404
    with tenant_context(tenant_b):
        assert Invoice.objects.get(pk=other.pk).status == "issued"
        assert Invoice.objects.count() == 1


# --- the draft editor -------------------------------------------------------------------


def test_create_draft_with_lines_and_blank_rows_ignored(clerk, tenant_a, customer_a):
    data = line_data(
        [PUMP, {"description": "", "quantity": "", "unit_price": "", "tax_rate": "19"}],
        kind="invoice",
        customer_number="A-100",
        po_number="PO-1",
    )
    response = clerk.post(reverse("invoicing:create"), data)
    assert response.status_code == 302
    with tenant_context(tenant_a):
        invoice = Invoice.objects.get()
        lines = list(InvoiceLine.objects.filter(invoice=invoice))
    assert response["Location"] == reverse("invoicing:detail", args=[invoice.pk])
    assert (invoice.status, invoice.gross_amount, invoice.po_number) == (
        "draft",
        D("2972.62"),
        "PO-1",
    )
    assert invoice.created_by == clerk.user
    assert [x.description for x in lines] == ["Pump"]


def test_create_shows_errors_on_the_row_and_writes_nothing(clerk, tenant_a, customer_a):
    bad = {**PUMP, "tax_rate": "0"}  # standard rate at 0 %: the service refuses it
    response = clerk.post(
        reverse("invoicing:create"),
        line_data([PUMP, bad, {**PUMP, "quantity": "x"}], kind="invoice", customer_number="A-100"),
    )
    assert response.status_code == 200
    rows = response.context["line_rows"]
    assert "quantity" in rows[2][0].errors
    response = clerk.post(
        reverse("invoicing:create"),
        line_data([PUMP, bad], kind="invoice", customer_number="A-100"),
    )
    rows = response.context["line_rows"]
    assert "standard-rated" in rows[1][0].errors["tax_rate"][0]
    assert "standard-rated" in response.content.decode()
    unknown = clerk.post(
        reverse("invoicing:create"), line_data([PUMP], kind="invoice", customer_number="NOPE")
    )
    assert "No customer has the number NOPE" in unknown.content.decode()
    with tenant_context(tenant_a):
        assert not Invoice.objects.exists()


def test_save_and_issue_goes_to_the_confirmation(clerk, tenant_a, customer_a):
    response = clerk.post(
        reverse("invoicing:create"),
        line_data([PUMP], kind="invoice", customer_number="A-100", save_and_issue="1"),
    )
    with tenant_context(tenant_a):
        invoice = Invoice.objects.get()
    assert response["Location"] == reverse("invoicing:issue", args=[invoice.pk])


def test_edit_replaces_lines_and_issued_invoices_are_not_editable(clerk, tenant_a, customer_a):
    with tenant_context(tenant_a):
        draft = draft_invoice(tenant_a, customer_a, [line("10.00"), line("20.00")])
    page = clerk.get(reverse("invoicing:edit", args=[draft.pk]))
    assert len(page.context["line_rows"]) == 2
    response = clerk.post(
        reverse("invoicing:edit", args=[draft.pk]),
        line_data([PUMP], customer_number="A-100", currency="EUR", notes="Thanks"),
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        draft.refresh_from_db()
        assert InvoiceLine.objects.filter(invoice=draft).count() == 1
        issued = issued_invoice(tenant_a, customer_a, issue_date=JAN)
    assert (draft.notes, draft.gross_amount) == ("Thanks", D("2972.62"))
    response = clerk.get(reverse("invoicing:edit", args=[issued.pk]), follow=True)
    assert "only drafts can be changed" in response.content.decode()


def test_line_editor_adds_and_removes_rows_and_previews_totals(clerk, customer_a):
    rows = [PUMP, {**PUMP, "description": "Fitting", "unit_price": "3.335", "quantity": "3"}]
    added = clerk.post(
        reverse("invoicing:line_editor") + "?action=add",
        line_data(rows, customer_number="A-100"),
        HTTP_HX_REQUEST="true",
    )
    assert added.status_code == 200
    assert len(added.context["line_rows"]) == 3
    assert 'name="lines-TOTAL_FORMS" value="3"' in added.content.decode()
    assert 'hx-swap-oob="true"' in added.content.decode()  # totals follow the rows
    removed = clerk.post(
        reverse("invoicing:line_editor") + "?action=remove&index=0",
        line_data(rows, customer_number="A-100"),
        HTTP_HX_REQUEST="true",
    )
    assert [form.initial["description"] for form, _ in removed.context["line_rows"]] == ["Fitting"]
    preview = clerk.post(
        reverse("invoicing:line_preview"),
        line_data([*rows, {"description": "typing", "quantity": "2", "unit_price": "abc"}]),
        HTTP_HX_REQUEST="true",
    )
    totals = preview.context["totals"]
    # 2498.00 + 10.01 net (3 x 3.335 = 10.005 half-up); tax 474.62 + 1.90
    assert (totals.net, totals.tax, totals.gross) == (D("2508.01"), D("476.52"), D("2984.53"))
    assert preview.context["incomplete"] is True
    body = preview.content.decode()
    assert 'id="line-net-1" hx-swap-oob="true"' in body
    assert "2.984,53" in body or "2,984.53" in body


def test_line_editor_ignores_another_tenants_invoice(clerk, tenant_b, customer_a, customer_b):
    with tenant_context(tenant_b):
        other = draft_invoice(tenant_b, customer_b, currency="JPY")
    preview = clerk.post(
        reverse("invoicing:line_preview"), line_data([PUMP], invoice_id=str(other.pk))
    )
    # Priced in tenant A's base currency, not in B's invoice's JPY.
    assert preview.context["currency"] == "EUR"
    assert preview.context["totals"].gross == D("2972.62")


def test_line_preview_uses_the_chosen_currency(clerk, customer_a):
    preview = clerk.post(
        reverse("invoicing:line_preview"),
        line_data(
            [{**PUMP, "unit_price": "333.5", "quantity": "3", "tax_rate": "10"}], currency="JPY"
        ),
    )
    assert preview.context["totals"].gross == D("1101")


# --- actions --------------------------------------------------------------------------


def test_issue_page_confirms_then_issues(clerk, tenant_a, customer_a):
    with tenant_context(tenant_a):
        draft = draft_invoice(tenant_a, customer_a, [line("100.00")])
    url = reverse("invoicing:issue", args=[draft.pk])
    assert clerk.get(url).status_code == 200
    response = clerk.post(url, {"issue_date": "2026-01-05"}, follow=True)
    assert "Issued as INV-2026-000001" in response.content.decode()
    with tenant_context(tenant_a):
        draft.refresh_from_db()
    assert (draft.status, draft.issue_date) == ("issued", JAN)


def test_issue_without_a_rate_says_what_to_do(clerk, tenant_a, customer_a):
    with tenant_context(tenant_a):
        draft = draft_invoice(tenant_a, customer_a, currency="USD")
    response = clerk.post(reverse("invoicing:issue", args=[draft.pk]), {"issue_date": "2026-01-05"})
    assert response.status_code == 200
    assert "enter a manual rate" in response.content.decode()
    with tenant_context(tenant_a):
        assert Invoice.objects.get(pk=draft.pk).status == "draft"


def test_cancel_discards_drafts_and_cancels_issued_with_a_memo(clerk, tenant_a, customer_a):
    with tenant_context(tenant_a):
        draft = draft_invoice(tenant_a, customer_a)
        issued = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
    clerk.post(reverse("invoicing:cancel", args=[draft.pk]), {"reason": "typo"})
    page = clerk.get(reverse("invoicing:cancel", args=[issued.pk]))
    assert page.context["is_allowed"] is True
    assert "119.00" in page.content.decode().replace(",", ".")
    response = clerk.post(
        reverse("invoicing:cancel", args=[issued.pk]), {"reason": "wrong"}, follow=True
    )
    assert "is cancelled by credit memo CRN-" in response.content.decode()
    with tenant_context(tenant_a):
        assert Invoice.objects.get(pk=draft.pk).status == "cancelled"
        issued.refresh_from_db()
        assert issued.status == "cancelled"
        assert OpenItem.objects.get(pk=issued.open_item_id).open_amount == 0


def test_illegal_cancel_is_a_message_not_an_error_page(clerk, tenant_a, customer_a):
    with tenant_context(tenant_a):
        issued = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
        memo = credit_memo_create(
            tenant=tenant_a, actor=SYSTEM, related_invoice=issued, lines=[line("1.00")]
        )
    page = clerk.get(reverse("invoicing:cancel", args=[memo.pk]))
    assert page.context["is_allowed"] is False
    response = clerk.post(reverse("invoicing:cancel", args=[memo.pk]), {}, follow=True)
    assert "reverse a credit memo with a debit memo" in response.content.decode()
    with tenant_context(tenant_a):
        assert Invoice.objects.get(pk=memo.pk).status == "paid"


def test_credit_memo_form_prefills_lines_and_applies_the_memo(clerk, tenant_a, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(
            tenant_a, customer_a, [line("100.00"), line("50.00", rate="7")], issue_date=JAN
        )
    url = reverse("invoicing:credit_memo", args=[invoice.pk])
    page = clerk.get(url)
    assert [f.initial["unit_price"] for f, _ in page.context["line_rows"]] == ["100", "50"]
    too_much = clerk.post(url, line_data([{**PUMP, "unit_price": "500"}], issue="on", notes=""))
    assert too_much.status_code == 200
    assert "at most" in too_much.content.decode()
    response = clerk.post(
        url, line_data([{**PUMP, "quantity": "1", "unit_price": "10.00"}], issue="on", notes="Dent")
    )
    with tenant_context(tenant_a):
        memo = Invoice.objects.get(kind="credit_memo")
        invoice_open = OpenItem.objects.get(pk=invoice.open_item_id).open_amount
    assert response["Location"] == reverse("invoicing:detail", args=[memo.pk])
    assert (memo.number, memo.gross_amount, memo.notes) == ("CRN-2026-000001", D("11.90"), "Dent")
    assert invoice_open == D("172.50") - D("11.90")


# --- import ------------------------------------------------------------------------------


CSV = (
    "customer_number,invoice_number,issue_date,due_date,currency,open_amount\n"
    "A-100,OLD-1,2026-01-05,2026-02-04,EUR,100.00\n"
)


def upload(client, text, **extra):
    file = SimpleUploadedFile("open.csv", text.encode(), content_type="text/csv")
    return client.post(reverse("invoicing:import"), {"file": file, **extra}, follow=True)


def test_import_page_shows_the_guide_and_imports(clerk, tenant_a, customer_a):
    page = clerk.get(reverse("invoicing:import")).content.decode()
    for column in ("customer_number", "invoice_number", "open_amount", "original_amount"):
        assert column in page
    checked = upload(clerk, CSV, dry_run="on")
    assert "1 invoices would be imported" in checked.content.decode()
    with tenant_context(tenant_a):
        assert not Invoice.objects.exists()
    done = upload(clerk, CSV)
    assert "Imported 1 open invoices; 0 were imported before" in done.content.decode()
    again = upload(clerk, CSV)
    assert "Imported 0 open invoices; 1 were imported before" in again.content.decode()
    with tenant_context(tenant_a):
        assert Invoice.objects.get().number == "OLD-1"


def test_import_errors_name_row_and_column_and_nothing_is_written(
    clerk, tenant_a, tenant_b, customer_a, customer_b
):
    bad = CSV + "B-100,OLD-2,2026-01-05,2026-02-04,EUR,1.5.0\n"
    response = upload(clerk, bad)
    problems = [(p.row, p.column) for p in response.context["problems"]]
    assert problems == [(3, "customer_number"), (3, "open_amount")]
    assert "Nothing was imported" in response.content.decode()
    with tenant_context(tenant_a):
        assert not Invoice.objects.exists()
    with tenant_context(tenant_b):
        assert not Invoice.objects.exists()


# --- roles and navigation ------------------------------------------------------------------


def test_view_only_roles_read_but_cannot_write(collector, signed_in_client, tenant_a, customer_a):
    with tenant_context(tenant_a):
        draft = draft_invoice(tenant_a, customer_a)
    assert collector.get(reverse("invoicing:list")).status_code == 200
    assert collector.get(reverse("invoicing:detail", args=[draft.pk])).status_code == 200
    for url in (
        reverse("invoicing:create"),
        reverse("invoicing:import"),
        reverse("invoicing:edit", args=[draft.pk]),
        reverse("invoicing:issue", args=[draft.pk]),
        reverse("invoicing:cancel", args=[draft.pk]),
    ):
        assert collector.get(url).status_code == 403
        assert collector.post(url, {}).status_code == 403
    assert collector.post(reverse("invoicing:line_preview"), {}).status_code == 403
    executive = signed_in_client(tenant_a, "executive")
    assert executive.get(reverse("invoicing:list")).status_code == 403
    with tenant_context(tenant_a):
        assert Invoice.objects.get(pk=draft.pk).status == "draft"


def test_navigation_offers_invoices_to_roles_that_may_see_them(clerk, signed_in_client, tenant_a):
    assert reverse("invoicing:list") in clerk.get(reverse("invoicing:list")).content.decode()
    executive = signed_in_client(tenant_a, "executive")
    home = executive.get("/", follow=True).content.decode()
    assert 'href="/invoices/"' not in home


def test_anonymous_users_are_sent_to_sign_in(client, db):
    response = client.get(reverse("invoicing:list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_dates_render_in_the_tenants_zone(clerk, tenant_a, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, issue_date=date(2026, 3, 31))
    page = clerk.get(reverse("invoicing:detail", args=[invoice.pk])).content.decode()
    assert "31 Mar 2026" in page
    assert "30 Apr 2026" in page  # net 30
