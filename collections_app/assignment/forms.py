"""HTML form of an assignment rule; collector choices come from the view,
so nothing queries tenant tables at import time."""

from __future__ import annotations

from typing import Any

from django import forms


class CollectorRuleForm(forms.Form):
    priority = forms.IntegerField(min_value=1, max_value=32767, help_text="Lowest number wins.")
    collector_id = forms.TypedChoiceField(coerce=int, label="Collector")
    country = forms.CharField(max_length=2, required=False, help_text="e.g. DE; empty: any.")
    region = forms.CharField(max_length=60, required=False, help_text="Empty: any.")
    segment = forms.CharField(max_length=60, required=False, help_text="Empty: any.")
    min_exposure = forms.DecimalField(
        max_digits=18, decimal_places=2, required=False, label="Exposure from (base currency)"
    )
    max_exposure = forms.DecimalField(
        max_digits=18, decimal_places=2, required=False, label="Exposure below (base currency)"
    )

    def __init__(self, *args: Any, collector_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        collector = self.fields["collector_id"]
        assert isinstance(collector, forms.TypedChoiceField)  # noqa: S101  (narrows the type)
        collector.choices = collector_choices
