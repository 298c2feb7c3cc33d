"""Output shapes of the AR ledger API, and the few query parameters it reads.

Amounts are decimal strings rounded to their currency's minor unit
("1250.00" EUR, "1250" JPY): the ledger stores four decimals for every
currency, which no invoice ever shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from otc.fx.money import is_known_currency, quantize_money
from otc.ledger.models import ItemKind, ItemStatus
from otc.ledger.selectors import DEFAULT_BUCKETS, aging_buckets

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
MAX_BUCKET_BOUNDARIES = 12
MAX_BUCKET_DAYS = 3650


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^-?\d+(\.\d+)?$",
        "example": "1250.00",
        "description": "A decimal string with the currency's minor units; credits negative.",
    }
)
class AmountField(serializers.Field):
    """An amount rounded to its currency: the object's `currency`, or the
    tenant's base currency (from the serializer context) with `base=True`."""

    def __init__(self, *, base: bool = False, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        self.base = base
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        return super().get_attribute(instance), instance

    def to_representation(self, value: Any) -> str:
        amount, instance = value
        if self.base:
            currency = str(self.context["base_currency"])
        elif isinstance(instance, dict):
            currency = str(instance["currency"])
        else:
            currency = str(instance.currency)
        return str(quantize_money(Decimal(amount), currency))


class BusinessDateField(serializers.DateField):
    default_error_messages = {"out_of_range": "Use a date between 1900-01-01 and 2199-12-31."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["iso-8601"])
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> date:
        parsed: date = super().to_internal_value(value)
        if not EARLIEST_DATE <= parsed <= LATEST_DATE:
            self.fail("out_of_range")
        return parsed


# --- open items ---------------------------------------------------------------------


class OpenItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    customer_number = serializers.CharField(source="customer.number")
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    number = serializers.CharField()
    currency = serializers.CharField()
    amount = AmountField(help_text="Signed: debits (invoices) positive, credits negative.")
    open_amount = AmountField(help_text="What is still open today.")
    fx_rate = serializers.DecimalField(
        max_digits=20,
        decimal_places=10,
        help_text="1 `currency` = `fx_rate` base currency, locked on the document date.",
    )
    base_currency = serializers.SerializerMethodField()
    base_amount = AmountField(base=True)
    open_base_amount = AmountField(base=True)
    document_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=ItemStatus.choices)
    closed_on = serializers.DateField(allow_null=True)
    source_type = serializers.CharField(help_text="The document behind the item, e.g. an invoice.")
    source_id = serializers.CharField()
    created_at = serializers.DateTimeField(source="recorded_at")
    updated_at = serializers.DateTimeField(
        help_text="When the item last changed: posted, or its open amount moved."
    )

    def get_base_currency(self, instance: Any) -> str:
        return str(self.context["base_currency"])


class OpenItemFilterSerializer(serializers.Serializer):
    customer = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="A customer id: only that customer's items (none for an unknown id).",
    )
    status = serializers.ChoiceField(choices=ItemStatus.choices, required=False)
    currency = serializers.CharField(
        required=False, min_length=3, max_length=3, help_text="ISO 4217, e.g. `USD`."
    )
    kind = serializers.ChoiceField(choices=ItemKind.choices, required=False)
    updated_since = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601 date-time. Only items changed at or after it (posted, or their "
        "open amount moved), oldest change first.",
    )

    def validate_currency(self, value: str) -> str:
        value = value.upper()
        if not is_known_currency(value):
            raise serializers.ValidationError(
                f"'{value}' is not an ISO 4217 currency code: use one such as EUR or USD."
            )
        return value


# --- balance and aging ------------------------------------------------------------


class CurrencyBalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    open_amount = AmountField(help_text="Open items in this currency, netted (credits negative).")


class BalanceSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    base_currency = serializers.CharField()
    balance_base = AmountField(
        base=True,
        help_text="Everything open, in the base currency at each item's locked rate.",
    )
    by_currency = CurrencyBalanceSerializer(many=True)


def parse_buckets(raw: str) -> tuple[int, ...]:
    """'0,30,60' -> (0, 30, 60), or ValidationError saying what to fix."""
    try:
        boundaries = tuple(int(part.strip()) for part in raw.split(","))
    except ValueError:
        raise serializers.ValidationError(
            "Give whole numbers of days separated by commas, e.g. 0,30,60,90,120."
        ) from None
    if len(boundaries) > MAX_BUCKET_BOUNDARIES:
        raise serializers.ValidationError(f"At most {MAX_BUCKET_BOUNDARIES} boundaries.")
    if any(days < 0 or days > MAX_BUCKET_DAYS for days in boundaries):
        raise serializers.ValidationError(f"Each boundary is 0 to {MAX_BUCKET_DAYS} days.")
    try:
        aging_buckets(boundaries)
    except ValueError as error:
        raise serializers.ValidationError(str(error)) from None
    return boundaries


class AgingFilterSerializer(serializers.Serializer):
    as_of = BusinessDateField(
        required=False, help_text="YYYY-MM-DD; default today in the tenant's time zone."
    )
    buckets = serializers.CharField(
        required=False,
        max_length=100,
        help_text="Bucket boundaries in days past due, starting at 0 and increasing: "
        "`0,30,60,90,120` (the default) gives Current, 1-30, 31-60, 61-90, 91-120, 120+.",
    )

    def validate_buckets(self, value: str) -> Sequence[int]:
        return parse_buckets(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.setdefault("buckets", DEFAULT_BUCKETS)
        return attrs


class AgingBucketSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # an output field, not Field.label
    days_from = serializers.IntegerField(
        allow_null=True, help_text="Days past due, inclusive; null: no lower bound (Current)."
    )
    days_to = serializers.IntegerField(
        allow_null=True, help_text="Inclusive; null: no upper bound."
    )
    amount = AmountField(base=True)


class AgingItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    number = serializers.CharField()
    currency = serializers.CharField()
    amount = AmountField()
    open_amount = AmountField(help_text="Open at the end of `as_of`, in the item's currency.")
    open_base_amount = AmountField(base=True, help_text="The same in the base currency.")
    document_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    days_past_due = serializers.IntegerField(
        help_text="From the due date (or the document date when there is none) to `as_of`."
    )
    bucket = serializers.CharField(
        allow_null=True, help_text="The aging bucket of a debit; null for credits (unapplied)."
    )


class AgingSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    as_of = serializers.DateField()
    base_currency = serializers.CharField()
    buckets = AgingBucketSerializer(many=True, help_text="Open debits per bucket.")
    unapplied = AmountField(
        base=True, help_text="Open credits (unapplied cash, unused credit memos), negative."
    )
    total = AmountField(base=True, help_text="The buckets plus `unapplied`: the net balance.")
    items = AgingItemSerializer(many=True, help_text="The items open at `as_of`, by due date.")
