"""Input and output of the credit API. Inputs validate only; the views call
the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from moneyed import CURRENCIES
from rest_framework import serializers

from credit.models import (
    OPEN_ORDER_STATUSES,
    ApplicationKind,
    ApplicationStatus,
    HoldReason,
    OrderStatus,
    ReviewDecision,
    ReviewStatus,
    RiskClass,
)
from credit.selectors import order_customer_find
from otc.api.serializers import StrictInputSerializer
from otc.fx.money import quantize_money

_AMOUNT_SCHEMA = {"type": "string", "format": "decimal", "example": "1190.00"}

REASON_CODES_HELP = "Why the order is held. Every code the credit check gives:\n\n" + "\n".join(
    f"- `{code.value}`: {code.label}" for code in HoldReason
)


class CurrencyCodeField(serializers.CharField):
    default_error_messages = {
        "unknown": "'{value}' is not an ISO 4217 currency code: use one such as EUR or USD."
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_length", 3)
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data)).upper()
        if value not in CURRENCIES or value in {"XXX", "XTS"}:
            self.fail("unknown", value=value)
        return value


@extend_schema_field(_AMOUNT_SCHEMA)
class AmountField(serializers.Field):
    """An amount of the object, at the minor unit of the object's currency."""

    def __init__(self, attribute: str, *, currency_attribute: str = "currency", **kwargs: Any):
        self.attribute = attribute
        self.currency_attribute = currency_attribute
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        amount = getattr(value, self.attribute)
        currency = str(getattr(value, self.currency_attribute) or "")
        if amount is None or not currency:
            return None
        return str(quantize_money(Decimal(amount), currency))


@extend_schema_field({**_AMOUNT_SCHEMA, "nullable": True})
class NullableAmountField(AmountField):
    pass


# --- orders: input ------------------------------------------------------------------


_NAME_CUSTOMER_ONCE = (
    "Name the customer once: customer_id, customer_external_ref or customer_number."
)


class OrderLineInputSerializer(StrictInputSerializer):
    sku = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    description = serializers.CharField(max_length=300)
    quantity = serializers.DecimalField(
        max_digits=18,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        help_text="Greater than zero.",
    )
    unit_price = serializers.DecimalField(
        max_digits=18, decimal_places=6, min_value=Decimal(0), help_text="Net, zero or more."
    )
    tax_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal("99.99"),
        required=False,
        default=Decimal(0),
        help_text="Percent, e.g. 19.00.",
    )


class OrderInputSerializer(StrictInputSerializer):
    external_ref = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=100,
        help_text="The ERP's id of the order, unique per tenant. Sending one that exists "
        "answers 409 `duplicate_external_ref` and changes nothing.",
    )
    customer_id = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="OTC id of the customer."
    )
    customer_external_ref = serializers.CharField(
        required=False, max_length=100, help_text="Or the ERP's id of the customer."
    )
    customer_number = serializers.CharField(
        required=False, max_length=32, help_text="Or the customer number."
    )
    currency = CurrencyCodeField()
    order_date = serializers.DateField(required=False, help_text="Default: today.")
    requested_ship_date = serializers.DateField(required=False, allow_null=True)
    customer_po = serializers.CharField(required=False, allow_blank=True, max_length=100)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    lines = OrderLineInputSerializer(many=True, allow_empty=False)
    submit = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Run the credit check now (default) and answer with the decision; "
        "false keeps a draft to submit later.",
    )

    _CUSTOMER_FIELDS = ("customer_id", "customer_external_ref", "customer_number")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        sent = [name for name in self._CUSTOMER_FIELDS if name in attrs]
        if len(sent) != 1:
            raise serializers.ValidationError(
                {(sent[1] if sent else "customer_id"): [_NAME_CUSTOMER_ONCE]}
            )
        name = sent[0]
        value = attrs.pop(name)
        field = {"customer_id": "pk", "customer_external_ref": "external_ref"}.get(name, "number")
        customer = order_customer_find(
            tenant=self.context["tenant"], by="id" if field == "pk" else field, value=value
        )
        if customer is None:
            raise serializers.ValidationError({name: [f"No customer has the {field} {value}."]})
        attrs["customer"] = customer
        return attrs


class OrderFilterSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    customer_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    external_ref = serializers.CharField(required=False, max_length=100)
    updated_since = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601. Only orders changed at or after it (a decision changes the "
        "order), oldest change first: poll this to learn outcomes.",
    )
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False)


class ReleaseInputSerializer(StrictInputSerializer):
    amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=4,
        required=False,
        allow_null=True,
        help_text="Release only this much (order currency); default the whole order.",
    )
    prepayment_required = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class NoteInputSerializer(StrictInputSerializer):
    note = serializers.CharField(max_length=1000, help_text="Required: said to the ERP and sales.")


class OrderCancelInputSerializer(StrictInputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


# --- orders: output -------------------------------------------------------------------


class ReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=HoldReason.choices, help_text=REASON_CODES_HELP)
    message = serializers.CharField(help_text="The reason in words, with the figures.")
    amount = serializers.CharField(
        required=False, help_text="Over limit by / overdue amount, base currency."
    )
    currency = serializers.CharField(required=False)


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=OrderStatus.choices, source="status", help_text="The order's status now."
    )
    may_ship = serializers.SerializerMethodField(
        help_text="True when credit lets the order (or its released part) ship."
    )
    reasons = ReasonSerializer(many=True, source="hold_reasons")
    prepayment_required = serializers.BooleanField()
    note = serializers.CharField(source="decision_note")
    decided_at = serializers.DateTimeField(allow_null=True)

    def get_may_ship(self, order: Any) -> bool:
        return order.status in OPEN_ORDER_STATUSES


class OrderLineOutputSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    sku = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4)
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=6)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    line_net = serializers.SerializerMethodField()
    line_tax = serializers.SerializerMethodField()

    @extend_schema_field(_AMOUNT_SCHEMA)
    def get_line_net(self, line: Any) -> str:
        return str(quantize_money(line.line_net, str(line.order.currency)))

    @extend_schema_field(_AMOUNT_SCHEMA)
    def get_line_tax(self, line: Any) -> str:
        return str(quantize_money(line.line_tax, str(line.order.currency)))


class OrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_ref = serializers.CharField(allow_null=True)
    customer_id = serializers.IntegerField()
    customer_number = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.legal_name")
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    currency = serializers.CharField()
    order_date = serializers.DateField()
    requested_ship_date = serializers.DateField(allow_null=True)
    customer_po = serializers.CharField()
    notes = serializers.CharField()
    net_amount = AmountField("net_amount")
    tax_amount = AmountField("tax_amount")
    total_amount = AmountField("total_amount")
    base_currency = serializers.CharField()
    fx_rate = serializers.DecimalField(max_digits=20, decimal_places=10)
    base_amount = AmountField("base_amount", currency_attribute="base_currency")
    released_amount = AmountField("released_amount")
    invoiced_amount = AmountField("invoiced_amount")
    open_base_amount = AmountField(
        "open_base_amount",
        currency_attribute="base_currency",
        help_text="Exposure the order carries: released, not yet invoiced (base currency).",
    )
    decision = DecisionSerializer(source="*")
    lines = OrderLineOutputSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """The fields above, built directly. DRF's field-by-field path deep
        copies and binds some 40 fields for every order it renders, a third
        of the CPU an order submission took; the fields stay declared for
        the schema and format the values that need formatting.
        tests/credit/test_api.py holds this to DRF's own rendering."""
        return order_representation(instance)


def _declared(serializer: type[serializers.Serializer], name: str) -> Any:
    # The class's own (unbound) field: formats a value as the field would.
    return serializer._declared_fields[name]


_RATE = _declared(OrderOutputSerializer, "fx_rate")
_DATE = _declared(OrderOutputSerializer, "order_date")
_DATETIME = _declared(OrderOutputSerializer, "created_at")
_QUANTITY = _declared(OrderLineOutputSerializer, "quantity")
_UNIT_PRICE = _declared(OrderLineOutputSerializer, "unit_price")
_TAX_RATE = _declared(OrderLineOutputSerializer, "tax_rate")


def _amount(amount: Any, currency: Any) -> str | None:
    """As AmountField renders it."""
    currency = str(currency or "")
    if amount is None or not currency:
        return None
    return str(quantize_money(Decimal(amount), currency))


def _or_none(field: Any, value: Any) -> Any:
    # A serializer renders None as None, whatever the field.
    return None if value is None else field.to_representation(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _reason(reason: dict[str, Any]) -> dict[str, Any]:
    """As ReasonSerializer renders a stored reason: amount and currency only
    when the reason has them, anything else left out."""
    data: dict[str, Any] = {}
    for key in ("code", "message", "amount", "currency"):
        if key in reason:
            data[key] = _str(reason[key])
    return data


def order_representation(order: Any) -> dict[str, Any]:
    """An order as OrderOutputSerializer declares it (its customer and its
    lines, prefetched, read without a query)."""
    currency, base_currency = order.currency, order.base_currency
    status = _str(order.status)
    customer = order.customer
    return {
        "id": order.pk,
        "external_ref": _str(order.external_ref),
        "customer_id": order.customer_id,
        "customer_number": _str(customer.number),
        "customer_name": _str(customer.legal_name),
        "status": status,
        "currency": _str(currency),
        "order_date": _or_none(_DATE, order.order_date),
        "requested_ship_date": _or_none(_DATE, order.requested_ship_date),
        "customer_po": _str(order.customer_po),
        "notes": _str(order.notes),
        "net_amount": _amount(order.net_amount, currency),
        "tax_amount": _amount(order.tax_amount, currency),
        "total_amount": _amount(order.total_amount, currency),
        "base_currency": _str(base_currency),
        "fx_rate": _or_none(_RATE, order.fx_rate),
        "base_amount": _amount(order.base_amount, base_currency),
        "released_amount": _amount(order.released_amount, currency),
        "invoiced_amount": _amount(order.invoiced_amount, currency),
        "open_base_amount": _amount(order.open_base_amount, base_currency),
        "decision": {
            "outcome": status,
            "may_ship": order.status in OPEN_ORDER_STATUSES,
            "reasons": [_reason(reason) for reason in order.hold_reasons],
            "prepayment_required": bool(order.prepayment_required),
            "note": _str(order.decision_note),
            "decided_at": _or_none(_DATETIME, order.decided_at),
        },
        "lines": [
            {
                "position": int(line.position),
                "sku": _str(line.sku),
                "description": _str(line.description),
                "quantity": _or_none(_QUANTITY, line.quantity),
                "unit_price": _or_none(_UNIT_PRICE, line.unit_price),
                "tax_rate": _or_none(_TAX_RATE, line.tax_rate),
                "line_net": str(quantize_money(line.line_net, str(currency))),
                "line_tax": str(quantize_money(line.line_tax, str(currency))),
            }
            for line in order.lines.all()
        ],
        "created_at": _or_none(_DATETIME, order.created_at),
        "updated_at": _or_none(_DATETIME, order.updated_at),
    }


class OrderPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = OrderOutputSerializer(many=True)


# --- credit profiles -------------------------------------------------------------------


class ExposureSerializer(serializers.Serializer):
    currency = serializers.CharField()
    limit = NullableAmountField("limit")
    open_ar = AmountField("open_ar", help_text="Open receivables from the ledger.")
    open_orders = AmountField("open_orders", help_text="Released orders not yet invoiced.")
    total = AmountField("total", help_text="open_ar + open_orders.")
    pending_orders = AmountField(
        "pending_orders", help_text="Orders submitted, held or waiting for information."
    )
    available = NullableAmountField("available")
    utilization_percent = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    overdue = AmountField("overdue", help_text="Overdue beyond the policy's days.")
    oldest_due_date = serializers.DateField(allow_null=True)


class CreditProfileOutputSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    customer_number = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.legal_name")
    parent_customer_id = serializers.IntegerField(source="customer.parent_id", allow_null=True)
    currency = serializers.CharField()
    credit_limit = AmountField("credit_limit")
    group_limit = NullableAmountField("group_limit")
    risk_class = serializers.ChoiceField(choices=RiskClass.choices)
    next_review_date = serializers.DateField(allow_null=True)
    is_blocked = serializers.BooleanField()
    blocked_reason = serializers.CharField()
    exposure = AmountField("exposure", help_text="Own exposure (open AR + open orders).")
    risk_class_manual = serializers.BooleanField(
        help_text="True when a person set the class; the scorecard then leaves it alone."
    )
    score = serializers.IntegerField(allow_null=True, help_text="Risk score 0-100 (higher safer).")
    scored_at = serializers.DateTimeField(allow_null=True)
    recommended_limit = NullableAmountField("recommended_limit")
    external_rating = serializers.CharField()
    external_rating_agency = serializers.CharField()
    updated_at = serializers.DateTimeField()


class ScoreFactorSerializer(serializers.Serializer):
    factor = serializers.CharField()
    # A field named like DRF's Field.label attribute: the stubs object, the output needs it.
    label = serializers.CharField()  # type: ignore[assignment]
    input = serializers.CharField(help_text="The figure the points come from.")
    points = serializers.IntegerField(allow_null=True, help_text="0-100; null: no data.")
    weight = serializers.IntegerField()
    contribution = serializers.CharField(allow_null=True, help_text="Points toward the score.")


class CreditProfileDetailSerializer(CreditProfileOutputSerializer):
    exposure_breakdown = ExposureSerializer(
        source="exposure_figures", help_text="Own exposure in detail."
    )
    group_exposure = ExposureSerializer(
        source="group_figures", allow_null=True, help_text="For a group head with a group limit."
    )
    score_breakdown = ScoreFactorSerializer(
        many=True, source="breakdown", help_text="How the latest score was reached."
    )


class CreditProfilePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CreditProfileOutputSerializer(many=True)


class CreditProfileFilterSerializer(StrictInputSerializer):
    risk_class = serializers.ChoiceField(choices=RiskClass.choices, required=False)
    is_blocked = serializers.BooleanField(required=False, allow_null=True, default=None)
    updated_since = serializers.DateTimeField(required=False)
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False)


class LimitInputSerializer(StrictInputSerializer):
    kind = serializers.ChoiceField(
        choices=[("customer", "Customer limit"), ("group", "Group limit")],
        required=False,
        default="customer",
    )
    amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=4,
        min_value=Decimal(0),
        allow_null=True,
        help_text="New limit in the tenant's base currency; null removes a group limit.",
    )
    reason = serializers.CharField(max_length=500)


class ProfileUpdateInputSerializer(StrictInputSerializer):
    risk_class = serializers.ChoiceField(
        choices=RiskClass.choices,
        required=False,
        allow_blank=True,
        help_text="Overrides the scorecard's class; empty hands it back to the scorecard.",
    )
    external_rating = serializers.CharField(
        required=False, allow_blank=True, max_length=8, help_text="Agency grade: AAA ... D."
    )
    external_rating_agency = serializers.CharField(required=False, allow_blank=True, max_length=60)
    next_review_date = serializers.DateField(required=False, allow_null=True)
    is_blocked = serializers.BooleanField(required=False)
    blocked_reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


# --- credit applications ----------------------------------------------------------------


class TradeReferenceSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    contact = serializers.CharField(max_length=200, required=False, allow_blank=True)
    years = serializers.IntegerField(min_value=0, max_value=200, required=False)
    limit = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    experience = serializers.CharField(max_length=500, required=False, allow_blank=True)


def _statement_field(help_text: str = "") -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True, help_text=help_text
    )


class ApplicationInputSerializer(StrictInputSerializer):
    customer_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    kind = serializers.ChoiceField(choices=ApplicationKind.choices, required=False)
    requested_limit = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        min_value=Decimal(0),
        help_text="In the tenant's base currency.",
    )
    justification = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    fiscal_year_end = serializers.DateField(required=False, allow_null=True)
    revenue = _statement_field("Statements in the tenant's base currency.")
    net_income = _statement_field()
    ebit = _statement_field()
    interest_expense = _statement_field()
    current_assets = _statement_field()
    inventory = _statement_field()
    current_liabilities = _statement_field()
    total_liabilities = _statement_field()
    equity = _statement_field()
    trade_references = TradeReferenceSerializer(many=True, required=False)
    submit = serializers.BooleanField(
        required=False, default=True, help_text="Submit at once (default) or keep a draft."
    )

    def validate_trade_references(self, value: Any) -> Any:
        return [
            {k: (str(v) if isinstance(v, Decimal) else v) for k, v in ref.items()} for ref in value
        ]


class ApproveInputSerializer(StrictInputSerializer):
    approved_limit = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        help_text="Default: the requested limit.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class ApplicationFilterSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=ApplicationStatus.choices, required=False)
    customer_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    updated_since = serializers.DateTimeField(required=False)
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False)


class RatiosSerializer(serializers.Serializer):
    current_ratio = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    quick_ratio = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    debt_to_equity = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    interest_cover = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    net_margin = serializers.DecimalField(
        max_digits=18, decimal_places=1, allow_null=True, help_text="Percent."
    )


class ApplicationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    customer_name = serializers.CharField(source="customer.legal_name")
    kind = serializers.ChoiceField(choices=ApplicationKind.choices)
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    currency = serializers.CharField()
    requested_limit = AmountField("requested_limit")
    current_limit = AmountField("current_limit")
    approved_limit = NullableAmountField("approved_limit")
    escalated = serializers.BooleanField(
        help_text="A reviewer without a high enough approval limit recommended it upward."
    )
    recommended_limit = NullableAmountField("recommended_limit")
    justification = serializers.CharField()
    fiscal_year_end = serializers.DateField(allow_null=True)
    ratios = RatiosSerializer()
    trade_references = serializers.ListField(child=serializers.DictField())
    decision_note = serializers.CharField()
    decision_snapshot = serializers.DictField(
        help_text="Score, breakdown, ratios and exposure at the decision."
    )
    decided_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ApplicationPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ApplicationOutputSerializer(many=True)


# --- credit reviews -----------------------------------------------------------------------


class ReviewOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    customer_name = serializers.CharField(source="customer.legal_name")
    due_date = serializers.DateField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    risk_class = serializers.ChoiceField(choices=RiskClass.choices)
    currency = serializers.CharField()
    limit_before = AmountField("limit_before")
    decision = serializers.CharField(
        help_text="confirm, increase, decrease or block; empty while open."
    )
    new_limit = NullableAmountField("new_limit")
    note = serializers.CharField()
    next_review_date = serializers.DateField(allow_null=True)
    snapshot = serializers.DictField(help_text="Score and exposure at completion.")
    completed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class ReviewPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReviewOutputSerializer(many=True)


class ReviewFilterSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=ReviewStatus.choices, required=False)
    updated_since = serializers.DateTimeField(required=False)
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False)


class ReviewCompleteInputSerializer(StrictInputSerializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    note = serializers.CharField(max_length=5000)
    new_limit = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        help_text="Required to raise or lower the limit.",
    )
    risk_class = serializers.ChoiceField(
        choices=RiskClass.choices,
        required=False,
        allow_null=True,
        help_text="Override the scorecard's class; default: the fresh score's class.",
    )


class OrderEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Increasing: keep the last one seen as `after`.")
    order_id = serializers.IntegerField()
    kind = serializers.CharField(
        help_text="approved, held, released, rejected, info_requested, invoiced, cancelled."
    )
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    payload = serializers.DictField(help_text="The order's decision as it was at the event.")
    created_at = serializers.DateTimeField()


class OrderEventFilterSerializer(StrictInputSerializer):
    after = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        help_text="Only events with a higher id (the outbox cursor).",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)
