"""HTML forms of collections: they check input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from collections_app.dunning.models import ActivityKind, CallOutcome


class WorklistFilterForm(forms.Form):
    scope = forms.ChoiceField(
        required=False,
        choices=[("mine", "Assigned to me"), ("all", "Everyone"), ("unassigned", "Unassigned")],
    )
    q = forms.CharField(required=False, label="Customer", max_length=100)


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=ActivityKind.choices)
    subject = forms.CharField(max_length=200, help_text="In a few words: what happened.")
    outcome = forms.ChoiceField(choices=CallOutcome.choices, required=False, label="Call outcome")
    contact_name = forms.CharField(max_length=200, required=False, label="Spoke with")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Notes")
    next_action_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Next action on"
    )


class PromiseForm(forms.Form):
    amount = forms.DecimalField(max_digits=18, decimal_places=2, min_value=0)
    currency = forms.CharField(max_length=3)
    promised_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    items = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for a promise on the account as a whole.",
    )
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, item_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        items = self.fields["items"]
        assert isinstance(items, forms.MultipleChoiceField)  # noqa: S101  (narrows the type)
        items.choices = item_choices


class CollectorForm(forms.Form):
    collector = forms.ChoiceField(required=False, label="Collector")

    def __init__(self, *args: Any, collector_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        collector = self.fields["collector"]
        assert isinstance(collector, forms.ChoiceField)  # noqa: S101  (narrows the type)
        collector.choices = [("", "— nobody —"), *collector_choices]


class StartRunForm(forms.Form):
    run_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Run for")


class DisputeForm(forms.Form):
    invoice = forms.TypedChoiceField(coerce=int, label="Invoice")
    amount = forms.DecimalField(
        max_digits=18,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Leave empty to dispute all that is open.",
    )
    note = forms.CharField(max_length=300, label="What the customer disputes")

    def __init__(self, *args: Any, invoice_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        invoice = self.fields["invoice"]
        assert isinstance(invoice, forms.TypedChoiceField)  # noqa: S101  (narrows the type)
        invoice.choices = invoice_choices
