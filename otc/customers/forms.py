"""HTML forms of the customer master. They check shape and offer choices; the
services decide the business rules and their messages land on these fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_name
from django import forms
from django_countries import countries
from moneyed import CURRENCIES

from otc.customers.models import (
    DOCUMENT_LANGUAGES,
    AddressKind,
    ContactRole,
    Customer,
    CustomerStatus,
    PaymentTerms,
    PaymentTermsKind,
)
from otc.customers.selectors import collector_choices, payment_terms_list
from otc.tenancy.models import Tenant

_ANY = [("", "Any")]


def country_choices(*, blank: str) -> list[tuple[str, str]]:
    return [("", blank), *((code, str(name)) for code, name in countries)]


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


class CustomerFilterForm(forms.Form):
    """The filter bar above the customer list. Invalid values are ignored
    rather than failing the page."""

    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, number, ERP id or tax id"}
        ),
    )
    status = forms.ChoiceField(required=False, choices=_ANY + list(CustomerStatus.choices))
    country = forms.ChoiceField(required=False)
    currency = forms.ChoiceField(required=False)
    collector = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "country", country_choices(blank="Any"))
        _set_choices(self, "currency", currency_choices(blank="Any"))
        collectors = collector_choices(tenant=tenant)
        _set_choices(self, "collector", _ANY + [(str(c.user_id), c.name) for c in collectors])


class CustomerForm(forms.Form):
    legal_name = forms.CharField(
        max_length=200,
        help_text="As registered and printed on invoices.",
        error_messages={"required": "Enter the customer's legal name as it appears on invoices."},
    )
    trading_name = forms.CharField(
        max_length=200, required=False, help_text="The name people use, if it differs."
    )
    number = forms.CharField(
        max_length=32,
        required=False,
        label="Customer number",
        help_text="Leave empty and OTC assigns the next free number.",
    )
    external_ref = forms.CharField(
        max_length=100,
        required=False,
        label="ERP reference",
        help_text="The customer's id in your ERP; unique within your company.",
    )
    country = forms.ChoiceField(
        help_text="Where the customer is registered; decides the tax id.",
        error_messages={"required": "Choose the country the customer is registered in."},
    )
    tax_id = forms.CharField(
        max_length=40,
        required=False,
        label="Tax id",
        help_text=(
            "Checked against the country: EU VAT number, UK VAT number, US EIN, Swiss UID, "
            "or the country's own tax number."
        ),
    )
    currency = forms.ChoiceField(
        help_text="The currency invoices to this customer are in.",
        error_messages={"required": "Choose the currency invoices to this customer are in."},
    )
    payment_terms = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Default payment terms"
    )
    language = forms.ChoiceField(
        choices=DOCUMENT_LANGUAGES,
        label="Document language",
        help_text="Invoices, statements and reminders are printed in this language.",
    )
    parent_number = forms.CharField(
        max_length=32,
        required=False,
        label="Parent customer number",
        help_text="The customer number of the group or parent account this customer belongs to.",
    )
    collector = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Assigned collector"
    )
    segment = forms.CharField(max_length=60, required=False)
    region = forms.CharField(max_length=60, required=False, label="Sales region")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(
        self,
        *args: Any,
        tenant: Tenant,
        current_terms: PaymentTerms | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "country", country_choices(blank="Choose a country…"))
        _set_choices(self, "currency", currency_choices(blank="Choose a currency…"))
        terms = list(payment_terms_list(tenant=tenant, active_only=True))
        # Inactive terms a customer already has stay selectable for it.
        if current_terms is not None and all(t.pk != current_terms.pk for t in terms):
            terms.append(current_terms)
        terms_choices = [(str(t.pk), f"{t.code} — {t.name}") for t in terms]
        _set_choices(self, "payment_terms", [("", "None"), *terms_choices])
        collectors = collector_choices(tenant=tenant)
        _set_choices(
            self,
            "collector",
            [("", "Nobody yet")] + [(str(c.user_id), f"{c.name} ({c.email})") for c in collectors],
        )

    @staticmethod
    def initial_for(customer: Customer) -> dict[str, Any]:
        return {
            "legal_name": customer.legal_name,
            "trading_name": customer.trading_name,
            "number": customer.number,
            "external_ref": customer.external_ref or "",
            "country": str(customer.country),
            "tax_id": customer.tax_id,
            "currency": customer.currency,
            "payment_terms": customer.payment_terms_id,
            "language": customer.language,
            "parent_number": customer.parent.number if customer.parent else "",
            "collector": customer.collector_id,
            "segment": customer.segment,
            "region": customer.region,
            "notes": customer.notes,
        }


class StatusChangeForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the customer's history, e.g. 'Payment plan agreed'.",
    )


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200, error_messages={"required": "Enter the contact's name."})
    job_title = forms.CharField(max_length=120, required=False)
    email = forms.EmailField(
        required=False,
        label="E-mail",
        error_messages={"invalid": "Enter an e-mail address like name@company.com."},
    )
    phone = forms.CharField(max_length=40, required=False)
    roles = forms.MultipleChoiceField(
        required=False,
        choices=ContactRole.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="A contact may hold several roles. Dunning recipients need an e-mail address.",
    )


class AddressForm(forms.Form):
    kind = forms.ChoiceField(choices=AddressKind.choices)
    is_default = forms.BooleanField(
        required=False,
        label="Default address of this kind",
        help_text="Documents use the default billing or shipping address.",
    )
    line1 = forms.CharField(
        max_length=200,
        label="Street and number",
        error_messages={"required": "Enter the street and number."},
    )
    line2 = forms.CharField(max_length=200, required=False, label="Address line 2")
    line3 = forms.CharField(max_length=200, required=False, label="Address line 3")
    postal_code = forms.CharField(max_length=20, required=False)
    city = forms.CharField(max_length=100, error_messages={"required": "Enter the city."})
    region = forms.CharField(max_length=100, required=False, label="State / region")
    country = forms.ChoiceField(error_messages={"required": "Choose the country of this address."})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "country", country_choices(blank="Choose a country…"))


class PaymentTermsForm(forms.Form):
    code = forms.CharField(
        max_length=32,
        help_text="Short and unique, e.g. NET30. ERPs refer to terms by code.",
        error_messages={"required": "Enter a short code such as NET30."},
    )
    name = forms.CharField(
        max_length=200,
        help_text="Shown to people, e.g. '2% 10, net 30'.",
        error_messages={"required": "Enter a name people recognise, such as 'Net 30 days'."},
    )
    kind = forms.ChoiceField(choices=PaymentTermsKind.choices, label="Due date counted from")
    net_days = forms.IntegerField(
        min_value=0,
        max_value=32767,
        label="Net days",
        help_text="Days until the invoice falls due (after the month end for end-of-month terms).",
        error_messages={"required": "Enter the number of days until invoices fall due, e.g. 30."},
    )
    discount_percent = forms.DecimalField(
        min_value=Decimal(0),
        max_value=Decimal("99.99"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal(0),
        label="Early-payment discount (%)",
    )
    discount_days = forms.IntegerField(
        min_value=0,
        max_value=32767,
        initial=0,
        label="Discount days",
        help_text="How long the discount applies; 0 when there is no discount.",
    )
    is_active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active",
        help_text="Inactive terms stay on the customers that have them but cannot be newly chosen.",
    )
    installments = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "30, 30\n30, 60\n40, 90"}),
        label="Installments (optional)",
        help_text=(
            "To split every invoice into parts, one part per line: share %, days, and "
            "'eom' for days after the month end, e.g. '30, 30' '30, 60' '40, 90' for "
            "30/30/40 at 30/60/90 days. Shares add up to 100; no early-payment discount."
        ),
    )

    def clean_installments(self) -> list[dict[str, Any]]:
        """Lines such as "30, 60" or "40 % 90 eom" into parts; the payment
        terms service checks the shares and the order."""
        text = self.cleaned_data.get("installments") or ""
        parts: list[dict[str, Any]] = []
        problems: list[str] = []
        for number, line in enumerate(text.splitlines(), start=1):
            words = line.replace("%", " ").replace(",", " ").replace(";", " ").split()
            if not words:
                continue
            kind = PaymentTermsKind.NET
            if words[-1].lower() in {"eom", "net"}:
                kind = PaymentTermsKind(words.pop().lower())
            try:
                share, days = Decimal(words[0]), int(words[1])
            except (IndexError, ValueError, ArithmeticError):
                problems.append(f"Line {number} ('{line.strip()}'): write the share and the days.")
                continue
            if len(words) != 2:
                problems.append(f"Line {number} ('{line.strip()}'): write the share and the days.")
                continue
            parts.append({"share_percent": share, "net_days": days, "kind": kind})
        if problems:
            raise forms.ValidationError(problems)
        return parts


def installments_text(parts: list[dict[str, Any]]) -> str:
    """The installments field's text for existing parts (the edit form)."""
    return "\n".join(
        f"{part['share_percent']:f}, {part['net_days']}"
        + (" eom" if part["kind"] == PaymentTermsKind.END_OF_MONTH else "")
        for part in parts
    )
