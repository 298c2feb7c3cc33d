"""Forms of the returns and refunds pages. Choices that come from tenant
tables are passed in by the view, never read at import time."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import forms

from deductions.models import (
    ReasonCode,
    RefundStatus,
    ReturnLine,
    ReturnSettlement,
    ReturnStatus,
)
from deductions.selectors_returns import ReturnableLine
from deductions.services.returns import ReturnLineInput


class ReturnFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ReturnStatus.choices])
    search = forms.CharField(required=False, max_length=100, label="Return or invoice number")


class RefundFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *RefundStatus.choices])
    search = forms.CharField(required=False, max_length=100, label="Refund or customer")


class ReturnNewForm(forms.Form):
    """One quantity field per invoice line (`qty_<line id>`), left empty for
    lines that do not come back."""

    reason = forms.ModelChoiceField(queryset=ReasonCode.objects.unscoped().none())
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(
        self, *args: object, lines: Sequence[ReturnableLine], reasons: object, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reason"].queryset = reasons  # type: ignore[attr-defined]
        self.returnable = list(lines)
        for item in self.returnable:
            self.fields[f"qty_{item.line.pk}"] = forms.DecimalField(
                required=False,
                min_value=Decimal(0),
                label=f"{item.line.position}. {item.line.description}",
                help_text=f"{item.available.normalize():f} of {item.line.quantity.normalize():f} "
                "can be returned",
                max_digits=15,
                decimal_places=4,
            )

    def line_inputs(self) -> list[ReturnLineInput]:
        return [
            ReturnLineInput(invoice_line_id=item.line.pk, quantity=quantity)
            for item in self.returnable
            if (quantity := self.cleaned_data.get(f"qty_{item.line.pk}"))
        ]


class ReceiveForm(forms.Form):
    """The accepted quantity of every return line (`line_<return line id>`)."""

    note = forms.CharField(
        required=False,
        max_length=500,
        label="Why goods were rejected",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: object, lines: Sequence[ReturnLine], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for row in lines:
            self.fields[f"line_{row.pk}"] = forms.DecimalField(
                min_value=Decimal(0),
                initial=row.quantity,
                label=f"Accepted of {row.quantity.normalize():f}: {row.invoice_line.description}",
                max_digits=15,
                decimal_places=4,
            )


class CloseForm(forms.Form):
    settlement = forms.ChoiceField(
        choices=ReturnSettlement.choices,
        label="The credit left on account",
        widget=forms.RadioSelect,
    )
    payee_iban = forms.CharField(required=False, max_length=50, label="Customer IBAN (refund)")
    payee_bic = forms.CharField(required=False, max_length=14, label="Customer BIC (optional)")


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500, label="Why")


class RefundNewForm(forms.Form):
    credit_item = forms.TypedChoiceField(coerce=int, label="Credit to refund")
    amount = forms.DecimalField(min_value=Decimal("0.01"), max_digits=16, decimal_places=2)
    payee_iban = forms.CharField(max_length=50, label="Customer IBAN")
    payee_bic = forms.CharField(required=False, max_length=14, label="Customer BIC (optional)")
    payee_name = forms.CharField(
        required=False, max_length=70, label="Account holder (default: the customer)"
    )
    note = forms.CharField(required=False, max_length=140, label="Payment reference")
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args: object, credit: Sequence[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["credit_item"].choices = list(credit)  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, max_length=500, label="Note")


class ExportForm(forms.Form):
    execution_date = forms.DateField(
        required=False,
        label="Pay on (default: today)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)
