"""HTML forms of invoicing. They check shape and offer choices; the services
decide the business rules, and their messages land on these fields."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_name
from django import forms
from moneyed import CURRENCIES

from invoicing.models import (
    PRICE_DECIMALS,
    QUANTITY_DECIMALS,
    DeliveryStatus,
    InvoiceKind,
    InvoiceStatus,
    TaxCategory,
)
from invoicing.services import LineInput
from invoicing.services.imports import MAX_ROWS
from otc.customers.models import Customer, PaymentTerms
from otc.customers.selectors import customer_list, payment_terms_list
from otc.tenancy.models import Tenant

LINE_PREFIX = "lines"
# The units people pick most; the API takes any UN/ECE Recommendation 20 code.
UNIT_CHOICES = [
    ("C62", "piece"),
    ("HUR", "hour"),
    ("DAY", "day"),
    ("MON", "month"),
    ("KGM", "kg"),
    ("TNE", "tonne"),
    ("MTR", "metre"),
    ("MTK", "m²"),
    ("LTR", "litre"),
    ("SET", "set"),
    ("XPK", "package"),
    ("LS", "lump sum"),
]
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def currency_choices(*, blank: str) -> list[tuple[str, str]]:
    codes = sorted(code for code in CURRENCIES if code not in {"XXX", "XTS"})
    choices = []
    for code in codes:
        try:
            name = get_currency_name(code, locale="en")
        except (KeyError, ValueError):
            name = code
        choices.append((code, f"{code} — {name}"))
    return [("", blank), *choices]


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101 - a programming error, not input
    field.choices = choices


class InvoiceFilterForm(forms.Form):
    """The filter bar above the invoice list; values that do not parse are
    ignored rather than failing the page."""

    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Number, PO, ERP ref"}),
    )
    customer = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Number or name"}),
    )
    kind = forms.ChoiceField(
        required=False, choices=[("", "All documents"), *InvoiceKind.choices], label="Document"
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *InvoiceStatus.choices])
    currency = forms.ChoiceField(required=False)
    due_after = forms.DateField(
        required=False, label="Due from", widget=forms.DateInput(attrs={"type": "date"})
    )
    due_before = forms.DateField(
        required=False, label="Due until", widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = forms.ChoiceField(
        required=False,
        choices=[("", "Any"), ("yes", "Overdue"), ("no", "Not overdue")],
        label="Overdue",
    )

    def __init__(self, *args: Any, currencies: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "currency", [("", "Any"), *((c, c) for c in currencies)])


class InvoiceForm(forms.Form):
    """The header of a draft; the lines come in a LineFormSet beside it."""

    kind = forms.ChoiceField(
        choices=[
            (InvoiceKind.INVOICE, "Invoice"),
            (InvoiceKind.DEBIT_MEMO, "Debit memo (an extra charge)"),
        ],
        label="Document",
    )
    customer_number = forms.CharField(
        max_length=32,
        label="Customer",
        help_text="Type the customer number or pick from the list.",
        error_messages={"required": "Enter the number of the customer to invoice."},
    )
    currency = forms.ChoiceField(
        required=False, help_text="Leave on “customer's currency” unless this one differs."
    )
    issue_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The invoice date. Empty: the day it is issued.",
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )
    payment_terms = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        help_text="Empty: the customer's terms. They give the due date and early-payment discount.",
    )
    due_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Only to override the terms; leave empty to follow them.",
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )
    po_number = forms.CharField(max_length=100, required=False, label="Customer PO number")
    buyer_reference = forms.CharField(
        max_length=100,
        required=False,
        help_text="The buyer's routing reference for e-invoices (e.g. a Leitweg-ID).",
    )
    external_ref = forms.CharField(
        max_length=100,
        required=False,
        label="ERP reference",
        help_text="The invoice's id in your ERP; unique.",
    )
    series = forms.CharField(
        max_length=16,
        required=False,
        help_text="Numbering series; empty: INV for invoices, DBN for debit memos.",
    )
    notes = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on the invoice.",
    )

    def __init__(
        self,
        *args: Any,
        tenant: Tenant,
        current_terms: PaymentTerms | None = None,
        with_kind: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not with_kind:
            del self.fields["kind"]
        _set_choices(self, "currency", currency_choices(blank="Customer's currency"))
        terms = list(payment_terms_list(tenant=tenant, active_only=True))
        if current_terms is not None and all(t.pk != current_terms.pk for t in terms):
            terms.append(current_terms)
        _set_choices(
            self,
            "payment_terms",
            [("", "Customer's terms"), *((str(t.pk), f"{t.code} — {t.name}") for t in terms)],
        )
        self.terms = {t.pk: t for t in terms}
        self.tenant = tenant
        self.fields["customer_number"].widget.attrs.update(
            {"list": "customer-options", "autocomplete": "off"}
        )

    def clean_customer_number(self) -> Customer:
        number = self.cleaned_data["customer_number"].strip()
        # Pick lists show "number — name"; take the number.
        number = number.split(" — ", 1)[0].strip()
        customer = customer_list(tenant=self.tenant).filter(number=number).first()
        if customer is None:
            raise forms.ValidationError(f"No customer has the number {number}: check the number.")
        return customer

    def clean_payment_terms(self) -> PaymentTerms | None:
        value = self.cleaned_data["payment_terms"]
        if value is None:
            return None
        if value not in self.terms:
            raise forms.ValidationError("Choose payment terms from the list.")
        return self.terms[value]

    def clean_series(self) -> str:
        return str(self.cleaned_data["series"]).strip().upper()


class LineForm(forms.Form):
    description = forms.CharField(
        max_length=500, error_messages={"required": "Describe what is invoiced."}
    )
    product_code = forms.CharField(max_length=64, required=False)
    quantity = forms.DecimalField(
        max_digits=18,
        decimal_places=QUANTITY_DECIMALS,
        error_messages={"required": "Enter a quantity."},
    )
    unit = forms.ChoiceField(choices=UNIT_CHOICES, initial="C62")
    unit_price = forms.DecimalField(
        max_digits=18, decimal_places=PRICE_DECIMALS, error_messages={"required": "Enter a price."}
    )
    discount_percent = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        min_value=0,
        max_value=Decimal("99.99"),
        label="Discount %",
    )
    tax_category = forms.ChoiceField(
        label="Tax",
        choices=[
            (TaxCategory.STANDARD, "Standard"),
            (TaxCategory.ZERO, "Zero rated"),
            (TaxCategory.EXEMPT, "Exempt"),
            (TaxCategory.REVERSE_CHARGE, "Reverse charge"),
            (TaxCategory.INTRA_COMMUNITY, "Intra-EU supply"),
            (TaxCategory.EXPORT, "Export"),
        ],
        initial=TaxCategory.STANDARD,
    )
    tax_rate = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=Decimal("99.99"),
        label="Tax rate %",
        error_messages={"required": "Enter the tax rate (0 for exempt lines)."},
    )

    # Kept through edits so a line made from an order still bills that order line.
    order_line = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def has_changed(self) -> bool:
        """A row counts only once something is typed into it: the unit, tax
        category and rate a new row starts with do not make it a line."""
        if not self.is_bound:
            return super().has_changed()
        typed = ("description", "product_code", "quantity", "unit_price", "discount_percent")
        return any(str(self.data.get(self.add_prefix(name), "")).strip() for name in typed)

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            tax_rate=data["tax_rate"],
            tax_category=data["tax_category"],
            discount_percent=data["discount_percent"] or Decimal(0),
            unit=data["unit"],
            product_code=data["product_code"],
            order_line_id=data.get("order_line"),
        )


LineFormSet = forms.formset_factory(LineForm, extra=0, max_num=1000, validate_max=True)
LINE_FIELDS = tuple(LineForm.base_fields)


def line_formset(data: Any = None, *, initial: list[dict[str, Any]] | None = None) -> Any:
    return LineFormSet(data, initial=initial, prefix=LINE_PREFIX)


def posted_rows(data: Any) -> list[dict[str, str]]:
    """The line rows as typed, from a posted form (for re-rendering the editor
    after adding or removing a row without validating anything)."""
    try:
        total = min(int(data.get(f"{LINE_PREFIX}-TOTAL_FORMS", 0)), 1000)
    except (TypeError, ValueError):
        total = 0
    return [
        {name: str(data.get(f"{LINE_PREFIX}-{index}-{name}", "")) for name in LINE_FIELDS}
        for index in range(max(total, 0))
    ]


def row_preview(row: dict[str, str]) -> LineInput | None:
    """A typed row as a line to price, when its numbers read (the editor's
    live figures); None otherwise."""
    try:
        quantity = Decimal(row.get("quantity") or "x")
        price = Decimal(row.get("unit_price") or "x")
        discount = Decimal(row.get("discount_percent") or "0")
        rate = Decimal(row.get("tax_rate") or "0")
    except InvalidOperation:
        return None
    if not all(value.is_finite() for value in (quantity, price, discount, rate)):
        return None
    if abs(quantity) >= Decimal(10) ** 14 or abs(price) >= Decimal(10) ** 12:
        return None
    return LineInput(
        description=row.get("description", ""),
        quantity=quantity,
        unit_price=price,
        tax_rate=rate,
        tax_category=row.get("tax_category") or TaxCategory.STANDARD,
        discount_percent=discount,
    )


class IssueForm(forms.Form):
    issue_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The invoice date: its number's year and its exchange rate come from it.",
        error_messages={"required": "Enter the issue date.", "invalid": "Use YYYY-MM-DD."},
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on the credit memo and kept in the history.",
    )


class CreditMemoForm(forms.Form):
    issue_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: today.",
        error_messages={"invalid": "Use YYYY-MM-DD."},
    )
    notes = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the customer is credited; printed on the memo.",
    )
    issue = forms.BooleanField(
        required=False,
        initial=True,
        label="Issue it now",
        help_text="Issued memos are numbered and applied to the invoice at once.",
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8, first row the column names below; up to 10 MB and {MAX_ROWS:,} rows.",
        error_messages={"required": "Choose the CSV file to import."},
    )
    dry_run = forms.BooleanField(
        required=False,
        label="Check only",
        help_text="Check every row and count what would be imported, without importing.",
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB: split it.")
        content: bytes = upload.read()
        return content


class SendForm(forms.Form):
    """Whom to e-mail the invoice to: the AP contacts (ticked) and more."""

    recipients = forms.MultipleChoiceField(
        label="AP contacts",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other = forms.CharField(
        label="More recipients",
        required=False,
        max_length=1000,
        help_text="E-mail addresses separated by commas, e.g. a buyer who asked for a copy.",
    )

    def __init__(self, *args: Any, ap_contacts: list[tuple[str, str]], **kwargs: Any) -> None:
        """`ap_contacts`: (e-mail address, label) of the customer's AP contacts."""
        super().__init__(*args, **kwargs)
        field = self.fields["recipients"]
        field.choices = ap_contacts  # type: ignore[attr-defined]
        field.initial = [address for address, _ in ap_contacts]
        self._recipients: list[str] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        extra = [part.strip() for part in cleaned.get("other", "").replace(";", ",").split(",")]
        chosen = [*cleaned.get("recipients", []), *(part for part in extra if part)]
        if not chosen and not self.errors:
            raise forms.ValidationError(
                "Choose at least one recipient: tick an AP contact or enter an address."
            )
        self._recipients = chosen
        return cleaned

    def chosen_recipients(self) -> list[str]:
        return self._recipients


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "All"), *DeliveryStatus.choices],
    )
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "Number, customer or e-mail"}),
    )
