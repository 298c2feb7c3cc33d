"""HTML forms of the FX pages. They check shape and offer choices; the
services decide the rules and their messages land on these fields."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from moneyed import CURRENCIES

from otc.fx.models import RATE_DECIMALS, RATE_DIGITS
from otc.fx.money import currency_name, is_known_currency

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
_DATE_MESSAGES = {"invalid": "Enter a date as YYYY-MM-DD, e.g. 2026-01-31."}


def currency_choices(*, blank: str | None = None) -> list[tuple[str, str]]:
    choices = [
        (code, f"{code} — {currency_name(code)}")
        for code in sorted(CURRENCIES)
        if is_known_currency(code)
    ]
    return [("", blank), *choices] if blank is not None else choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class BusinessDateField(forms.DateField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateInput())
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("error_messages", _DATE_MESSAGES)
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError("Enter a date between 1900-01-01 and 2199-12-31.")


class RatesDateForm(forms.Form):
    on = BusinessDateField(required=False, label="Rates on")


class HistoryForm(forms.Form):
    from_currency = forms.ChoiceField(label="From")
    to_currency = forms.ChoiceField(label="To")
    start = BusinessDateField(label="From date")
    end = BusinessDateField(label="To date")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("from_currency", "to_currency"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
            field.choices = currency_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_currency") and data.get("from_currency") == data.get("to_currency"):
            self.add_error("to_currency", "Choose a currency other than the first one.")
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be on or after the start date.")
        return data


class ManualRateForm(forms.Form):
    rate_date = BusinessDateField(
        label="Valid from", help_text="Applies from this date until a newer rate, up to 7 days."
    )
    from_currency = forms.ChoiceField(label="From currency")
    to_currency = forms.ChoiceField(label="To currency")
    rate = forms.DecimalField(
        label="Rate",
        max_digits=RATE_DIGITS,
        decimal_places=RATE_DECIMALS,
        min_value=Decimal("0.0000000001"),
        help_text="1 unit of the first currency in the second, e.g. 1.0850.",
        error_messages={
            "invalid": "Enter the rate as a number, e.g. 1.0850.",
            "min_value": "A rate must be greater than zero.",
            "max_digits": f"A rate has at most {RATE_DIGITS} digits in all.",
            "max_decimal_places": f"A rate has at most {RATE_DECIMALS} decimal places.",
            "max_whole_digits": (
                f"A rate has at most {RATE_DIGITS - RATE_DECIMALS} digits before the point."
            ),
        },
    )
    note = forms.CharField(
        label="Note", max_length=200, required=False, help_text="e.g. the bank or contract."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("from_currency", "to_currency"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
            field.choices = currency_choices(blank="Choose a currency")
            field.error_messages["required"] = "Choose a currency."
        self.fields["rate_date"].error_messages["required"] = (
            "Enter the date the rate applies from."
        )
        self.fields["rate"].error_messages["required"] = "Enter the rate."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_currency") and data.get("from_currency") == data.get("to_currency"):
            self.add_error("to_currency", "Choose a currency other than the first one.")
        return data


class RevaluationForm(forms.Form):
    as_of = BusinessDateField(
        required=False,
        label="As of",
        help_text="Usually a month end; rates fall back to the last business day.",
    )
