"""HTML forms of deductions: they validate input; services decide."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import forms

from deductions.models import (
    DeductionSource,
    DeductionStatus,
    MappingSource,
    OwnerTeam,
    ReasonCategory,
    ReasonCode,
    ResolutionKind,
)
from deductions.services import MANUAL_TARGETS
from otc.errors import ValidationFailed


def apply_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Put a service's field errors on the form's fields (the rest on top)."""
    if not error.errors:
        form.add_error(None, error.detail)
    for field, messages in error.errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Open (all open statuses)"), *DeductionStatus.choices, ("all", "Any status")],
    )
    reason = forms.ModelChoiceField(
        required=False, queryset=ReasonCode.objects.unscoped().none(), empty_label="Any reason"
    )
    owner = forms.ChoiceField(required=False)
    source = forms.ChoiceField(
        required=False, choices=[("", "Any source"), *DeductionSource.choices]
    )
    sla = forms.BooleanField(required=False, label="SLA breached only")

    def __init__(
        self, *args: object, reasons: object, owners: list[tuple[str, str]], **kwargs: object
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reason"].queryset = reasons  # type: ignore[attr-defined]
        self.fields["owner"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            ("me", "My items"),
            ("none", "Unassigned"),
            *owners,
        ]


class DisputeForm(forms.Form):
    invoice_number = forms.CharField(max_length=64, label="Invoice number")
    line_position = forms.IntegerField(
        required=False, min_value=1, label="Line", help_text="Leave empty to dispute the invoice."
    )
    amount = forms.DecimalField(
        required=False,
        max_digits=16,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="Leave empty for the line's gross amount, or all that is open.",
    )
    reason = forms.ModelChoiceField(queryset=ReasonCode.objects.unscoped().none(), required=False)
    claim_code = forms.CharField(max_length=32, required=False, label="Customer's claim code")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: object, reasons: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reason"].queryset = reasons  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    owner = forms.ChoiceField(required=False, label="Owner")
    owner_team = forms.ChoiceField(choices=[("", "—"), *OwnerTeam.choices], required=False)

    def __init__(self, *args: object, owners: list[tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["owner"].choices = [("", "Nobody"), *owners]  # type: ignore[attr-defined]


class TransitionForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s, label) for s, label in DeductionStatus.choices if s in MANUAL_TARGETS]
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when reopening a resolved or closed deduction.",
    )

    def __init__(self, *args: object, allowed: Sequence[str], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (s, label) for s, label in DeductionStatus.choices if s in allowed
        ]


class ReasonForm(forms.Form):
    reason = forms.ModelChoiceField(queryset=ReasonCode.objects.unscoped().none())

    def __init__(self, *args: object, reasons: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reason"].queryset = reasons  # type: ignore[attr-defined]


class ResolveForm(forms.Form):
    """Up to three parts; a split must add up to the open amount exactly."""

    kind_1 = forms.ChoiceField(choices=ResolutionKind.choices, label="Resolution")
    amount_1 = forms.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal("0.01"), label="Amount"
    )
    kind_2 = forms.ChoiceField(
        choices=[("", "—"), *ResolutionKind.choices], required=False, label="Second part"
    )
    amount_2 = forms.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal("0.01"), required=False, label="Amount"
    )
    kind_3 = forms.ChoiceField(
        choices=[("", "—"), *ResolutionKind.choices], required=False, label="Third part"
    )
    amount_3 = forms.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal("0.01"), required=False, label="Amount"
    )
    note = forms.CharField(max_length=500, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def parts(self) -> list[tuple[str, Decimal]]:
        data = self.cleaned_data
        found = []
        for index in (1, 2, 3):
            kind, amount = data.get(f"kind_{index}"), data.get(f"amount_{index}")
            if kind and amount is not None:
                found.append((kind, amount))
            elif kind or amount is not None:
                self.add_error(f"amount_{index}", "Give both the kind and the amount of this part.")
        return found


class AttachmentForm(forms.Form):
    file = forms.FileField()
    description = forms.CharField(max_length=200, required=False)


class ReasonCodeForm(forms.Form):
    code = forms.CharField(max_length=32)
    name = forms.CharField(max_length=120)
    category = forms.ChoiceField(choices=ReasonCategory.choices)
    owner_team = forms.ChoiceField(choices=OwnerTeam.choices)
    research_sla_days = forms.IntegerField(min_value=1, max_value=365, initial=10)


class MappingForm(forms.Form):
    source = forms.ChoiceField(choices=MappingSource.choices)
    pattern = forms.CharField(max_length=100, label="Code or phrase")
    reason = forms.ModelChoiceField(queryset=ReasonCode.objects.unscoped().none())

    def __init__(self, *args: object, reasons: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reason"].queryset = reasons  # type: ignore[attr-defined]


class PolicyForm(forms.Form):
    auto_write_off_limit = forms.DecimalField(
        max_digits=16,
        decimal_places=2,
        min_value=Decimal(0),
        label="Auto write-off up to (base currency)",
        help_text="0 turns the rule off.",
    )
    auto_write_off_reasons = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="For these reasons"
    )

    def __init__(self, *args: object, codes: list[tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["auto_write_off_reasons"].choices = codes  # type: ignore[attr-defined]
