"""HTML forms of credit: they validate what a person typed; the services
decide."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms

from credit.models import OrderStatus, ReviewDecision, RiskClass
from otc.errors import ValidationFailed

_LINE_FIELD = re.compile(r"\w+\[(\d+)\]\.(\w+)")


def apply_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Put a service's field errors on the form's fields (the rest on top)."""
    if not error.errors:
        form.add_error(None, error.detail)
    for field, messages in error.errors.items():
        target = field if field in form.fields else None
        where = ""
        if target is None and field:
            line = _LINE_FIELD.fullmatch(field)
            where = f"Line {int(line[1]) + 1}, {line[2].replace('_', ' ')}: " if line else ""
        for message in messages:
            form.add_error(target, where + message)


class OrderFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Customer or reference")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *OrderStatus.choices], label="Status"
    )


class ReleaseForm(forms.Form):
    amount = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        decimal_places=4,
        label="Release amount (order currency)",
        help_text="Leave empty to release the whole order; enter less for a partial release.",
    )
    prepayment_required = forms.BooleanField(required=False, label="Only against prepayment")
    note = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Note"
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note",
        error_messages={"required": "Write a note: the ERP and sales see it."},
    )


class LimitForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("customer", "Customer limit"), ("group", "Group limit (this customer heads)")],
        initial="customer",
        label="Which limit",
    )
    amount = forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        decimal_places=2,
        label="New limit",
        help_text="In the tenant's base currency. Empty removes a group limit.",
    )
    reason = forms.CharField(
        max_length=500,
        label="Reason",
        error_messages={"required": "Give a reason: it is kept in the limit history."},
    )


class ProfileForm(forms.Form):
    risk_class = forms.ChoiceField(
        choices=[("", "Follow the scorecard"), *RiskClass.choices],
        required=False,
        label="Risk class",
        help_text="Choosing a class overrides the nightly score until you hand it back.",
    )
    external_rating = forms.CharField(
        required=False, max_length=8, label="External rating", help_text="Agency grade, AAA to D."
    )
    external_rating_agency = forms.CharField(required=False, max_length=60, label="Agency")
    next_review_date = forms.DateField(
        required=False,
        label="Next review",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Orders are held once this date has passed (if the policy says so).",
    )
    is_blocked = forms.BooleanField(required=False, label="Blocked for credit")
    blocked_reason = forms.CharField(required=False, max_length=500, label="Why blocked")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_blocked") and not (data.get("blocked_reason") or "").strip():
            self.add_error("blocked_reason", "Say why the customer is blocked.")
        return data


class PolicyForm(forms.Form):
    check_over_limit = forms.BooleanField(required=False, label="Hold orders over the limit")
    limit_tolerance_percent = forms.DecimalField(
        min_value=Decimal(0),
        max_value=Decimal("99.99"),
        decimal_places=2,
        label="Tolerance over the limit (%)",
        help_text="0 holds every order that does not fit; 5 lets orders overrun by 5 %.",
    )
    check_group_limit = forms.BooleanField(required=False, label="Hold orders over a group limit")
    count_pending_orders = forms.BooleanField(
        required=False,
        label="Count held and waiting orders against the limit",
        help_text="Keeps a held order from being split or re-entered past the check.",
    )
    check_overdue = forms.BooleanField(required=False, label="Hold on overdue items")
    overdue_days = forms.IntegerField(
        min_value=0, max_value=3650, label="Overdue by more than (days)"
    )
    overdue_min_amount = forms.DecimalField(
        min_value=Decimal(0),
        decimal_places=2,
        label="Minimum overdue amount",
        help_text="Overdue totals at or below this (base currency) do not hold an order.",
    )
    check_blocked = forms.BooleanField(required=False, label="Hold orders of blocked customers")
    check_review_expired = forms.BooleanField(
        required=False, label="Hold when the credit review is overdue"
    )
    review_grace_days = forms.IntegerField(
        min_value=0, max_value=3650, label="Grace after the review date (days)"
    )
    hold_risk_classes = forms.MultipleChoiceField(
        required=False,
        choices=RiskClass.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Always hold these risk classes",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for risk_class in RiskClass:
            self.fields[f"review_months_{risk_class.value}"] = forms.IntegerField(
                min_value=1,
                max_value=60,
                label=f"Review every (months), class {risk_class.value}",
            )

    def policy_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["review_months"] = {c.value: data.pop(f"review_months_{c.value}") for c in RiskClass}
        return data


class ApplicationForm(forms.Form):
    customer_number = forms.CharField(
        max_length=32,
        label="Customer number",
        help_text="The customer must exist in the customer master (create a prospect first).",
    )
    requested_limit = forms.DecimalField(
        min_value=Decimal(0), decimal_places=2, label="Requested limit"
    )
    justification = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Why this limit"
    )
    fiscal_year_end = forms.DateField(
        required=False, label="Fiscal year end", widget=forms.DateInput(attrs={"type": "date"})
    )
    revenue = forms.DecimalField(required=False, decimal_places=2, label="Revenue")
    net_income = forms.DecimalField(required=False, decimal_places=2, label="Net income")
    ebit = forms.DecimalField(required=False, decimal_places=2, label="EBIT")
    interest_expense = forms.DecimalField(
        required=False, decimal_places=2, label="Interest expense"
    )
    current_assets = forms.DecimalField(required=False, decimal_places=2, label="Current assets")
    inventory = forms.DecimalField(required=False, decimal_places=2, label="Inventory")
    current_liabilities = forms.DecimalField(
        required=False, decimal_places=2, label="Current liabilities"
    )
    total_liabilities = forms.DecimalField(
        required=False, decimal_places=2, label="Total liabilities"
    )
    equity = forms.DecimalField(required=False, decimal_places=2, label="Equity")
    statements_file = forms.FileField(
        required=False,
        label="Financial statements (file)",
        help_text="PDF or spreadsheet, at most 10 MB.",
    )
    references = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Trade references",
        help_text="One per line: name; contact; years known; limit; experience.",
    )

    def clean_references(self) -> list[dict[str, Any]]:
        rows = []
        for number, line in enumerate(self.cleaned_data["references"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(";")]
            parts += [""] * (5 - len(parts))
            years = parts[2]
            if years and not years.isdigit():
                raise forms.ValidationError(f"Line {number}: years known must be a whole number.")
            rows.append(
                {
                    "name": parts[0],
                    "contact": parts[1],
                    "years": int(years or 0),
                    "limit": parts[3],
                    "experience": parts[4],
                }
            )
        return rows


class ApproveForm(forms.Form):
    approved_limit = forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        decimal_places=2,
        label="Approve at",
        help_text="Empty approves the requested limit.",
    )
    note = forms.CharField(
        required=False, max_length=5000, label="Note", widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.choices, label="Decision")
    new_limit = forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        decimal_places=2,
        label="New limit",
        help_text="To raise or lower the limit.",
    )
    risk_class = forms.ChoiceField(
        required=False,
        choices=[("", "As the fresh score says"), *RiskClass.choices],
        label="Risk class",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Summary",
        error_messages={"required": "Summarise the review."},
    )


class OrderForm(forms.Form):
    customer_number = forms.CharField(max_length=32, label="Customer number")
    currency = forms.CharField(
        required=False,
        max_length=3,
        label="Currency",
        help_text="ISO code; empty takes the customer's currency.",
    )
    requested_ship_date = forms.DateField(
        required=False, label="Requested ship date", widget=forms.DateInput(attrs={"type": "date"})
    )
    external_ref = forms.CharField(required=False, max_length=100, label="ERP order number")
    customer_po = forms.CharField(required=False, max_length=100, label="Customer PO")


class OrderLineForm(forms.Form):
    description = forms.CharField(required=False, max_length=300, label="Item")
    sku = forms.CharField(required=False, max_length=64, label="SKU")
    quantity = forms.DecimalField(required=False, decimal_places=4, label="Quantity")
    unit_price = forms.DecimalField(required=False, decimal_places=6, label="Unit price")
    tax_rate = forms.DecimalField(required=False, decimal_places=2, label="Tax %", initial=0)

    def has_content(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("description") or data.get("quantity") or data.get("unit_price"))


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=5, max_num=50)
