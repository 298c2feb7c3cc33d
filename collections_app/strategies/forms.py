"""HTML forms of worklist tasks and strategies: they check input; services
decide. Choices that come from tenant tables are passed in by the view, so
nothing queries at import time."""

from __future__ import annotations

from typing import Any

from django import forms

from collections_app.strategies.models import RISK_CLASSES, TaskKind
from collections_app.strategies.services.strategies import MAX_STEP_DAYS


class TaskActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("done", "Done"), ("snooze", "Snooze"), ("reassign", "Reassign")]
    )
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Snooze until"
    )
    user_id = forms.TypedChoiceField(coerce=int, required=False, label="Hand to")

    def __init__(self, *args: Any, collector_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.fields["user_id"]
        assert isinstance(user, forms.TypedChoiceField)  # noqa: S101  (narrows the type)
        user.choices = [("", "—"), *collector_choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "snooze" and not data.get("until"):
            self.add_error("until", "Say until which day the task sleeps.")
        if data.get("action") == "reassign" and not data.get("user_id"):
            self.add_error("user_id", "Choose whom to hand the task to.")
        return data


class StrategyStepForm(forms.Form):
    risk_class = forms.ChoiceField(choices=RISK_CLASSES, label="Risk class")
    kind = forms.ChoiceField(choices=TaskKind.choices, label="Task")
    days_overdue = forms.IntegerField(min_value=0, max_value=MAX_STEP_DAYS, label="At days overdue")
