"""Input and output shapes of the exchange-rate API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from otc.api.serializers import StrictInputSerializer
from otc.fx.models import RATE_DECIMALS, RATE_DIGITS
from otc.fx.money import is_known_currency

# Dates outside this range are typing mistakes, and date arithmetic near
# year 1 or 9999 would overflow before any lookup could say "no rate".
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


class CurrencyCodeField(serializers.CharField):
    """ISO 4217, any case in, upper case out."""

    default_error_messages = {
        "unknown": "'{value}' is not an ISO 4217 currency code: use one such as EUR or USD."
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_length", 3)
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("help_text", "ISO 4217 currency code, e.g. `USD`.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data)).upper()
        if not is_known_currency(value):
            self.fail("unknown", value=value)
        return value


class BusinessDateField(serializers.DateField):
    """An ISO 8601 date (YYYY-MM-DD) between 1900 and 2199."""

    default_error_messages = {
        "out_of_range": "Use a date between 1900-01-01 and 2199-12-31.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["iso-8601"])
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> date:
        parsed: date = super().to_internal_value(value)
        if not EARLIEST_DATE <= parsed <= LATEST_DATE:
            self.fail("out_of_range")
        return parsed


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^\d+(\.\d+)?$",
        "example": "1.0982",
        "description": "A positive decimal as a string, without trailing zeros.",
    }
)
class RateField(serializers.Field):
    """A rate as a decimal string without trailing zeros ("1.0982", not
    "1.0982000000"): rates are exact, and JSON numbers are not."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> str:
        return format(value.normalize(), "f")


# `source` is an output field here; the stubs know it only as Field.source.
class PublishedRateSerializer(serializers.Serializer):
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=[("ECB", "ECB"), ("manual", "manual")],
        help_text="`ECB`: the ECB's euro reference rate; `manual`: a rate this tenant set.",
    )
    rate_date = serializers.DateField(
        help_text="The date of the rate; may precede the date asked for (weekends, holidays)."
    )
    from_currency = serializers.CharField()
    to_currency = serializers.CharField()
    rate = RateField(help_text="1 `from_currency` = `rate` `to_currency`.")
    note = serializers.CharField(help_text="The note of a manual rate; empty for ECB rates.")


class BaseRateSerializer(serializers.Serializer):
    currency = serializers.CharField()
    to_base = RateField(help_text="1 `currency` = `to_base` of the tenant's base currency.")
    per_base = RateField(help_text="1 of the tenant's base currency = `per_base` `currency`.")
    rate_date = serializers.DateField()
    source = serializers.ChoiceField(choices=[("ECB", "ECB"), ("manual", "manual")])  # type: ignore[assignment]
    via_eur = serializers.BooleanField(
        help_text="An ECB cross rate, computed through EUR (the ECB quotes only EUR -> X)."
    )


class RatesResponseSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The date asked for.")
    base_currency = serializers.CharField(help_text="The tenant's base currency.")
    rates = PublishedRateSerializer(
        many=True,
        help_text="The rates OTC chooses from on this date: the newest ECB rate of each "
        "currency and the newest manual rate of each pair, within 7 days before it.",
    )
    base_rates = BaseRateSerializer(
        many=True,
        help_text="What OTC converts with on this date, per currency against the base "
        "currency: a manual rate when there is one, else the ECB rate (through EUR).",
    )


class RatesFilterSerializer(serializers.Serializer):
    date = BusinessDateField(
        required=False,
        help_text="YYYY-MM-DD; default today in the tenant's time zone. Weekends and holidays "
        "give the last business day's rates (up to 7 days back).",
    )
    currency = CurrencyCodeField(
        required=False, help_text="Only rates to or from this ISO 4217 currency, e.g. `USD`."
    )


class ManualRateInputSerializer(StrictInputSerializer):
    rate_date = BusinessDateField(help_text="YYYY-MM-DD: the first day the rate applies to.")
    from_currency = CurrencyCodeField()
    to_currency = CurrencyCodeField()
    rate = serializers.DecimalField(
        max_digits=RATE_DIGITS,
        decimal_places=RATE_DECIMALS,
        min_value=Decimal("0.0000000001"),
        help_text="1 `from_currency` = `rate` `to_currency`; a positive decimal with up to "
        f"{RATE_DECIMALS} decimal places. Send it as a string to keep it exact.",
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["from_currency"] == attrs["to_currency"]:
            raise serializers.ValidationError(
                {"to_currency": "A rate needs two different currencies."}
            )
        return attrs


class ManualRateOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rate_date = serializers.DateField()
    from_currency = serializers.CharField()
    to_currency = serializers.CharField()
    rate = RateField()
    note = serializers.CharField()
    source = serializers.SerializerMethodField()  # type: ignore[assignment]
    created_at = serializers.DateTimeField()

    def get_source(self, instance: Any) -> str:
        return "manual"
