"""Input and output shapes of the deductions API. Never create()/update():
views validate here and call a service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deductions.models import (
    DeductionSource,
    DeductionStatus,
    MappingSource,
    OwnerTeam,
    ReasonCategory,
    ResolutionKind,
    ResolutionStatus,
)
from deductions.services import MANUAL_TARGETS
from otc.api.serializers import StrictInputSerializer
from otc.fx.money import quantize_money

_AMOUNT_SCHEMA = {"type": "string", "format": "decimal", "example": "150.00"}


def _id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


@extend_schema_field(_AMOUNT_SCHEMA)
class AmountField(serializers.Field):
    """An amount of the object, at the minor unit of its currency."""

    def __init__(self, attribute: str, *, currency_attribute: str = "currency", **kwargs: Any):
        self.attribute = attribute
        self.currency_attribute = currency_attribute
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        amount = getattr(value, self.attribute, None)
        currency = str(getattr(value, self.currency_attribute) or "")
        if amount is None or not currency:
            return None
        return str(quantize_money(Decimal(amount), currency))


def _amount_input(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal("0.01"), **kwargs
    )


# --- reason codes and mappings ----------------------------------------------------------


class ReasonCodeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.ChoiceField(choices=ReasonCategory.choices)
    owner_team = serializers.ChoiceField(choices=OwnerTeam.choices)
    research_sla_days = serializers.IntegerField()
    is_active = serializers.BooleanField()


class ReasonCodeInputSerializer(StrictInputSerializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=120)
    category = serializers.ChoiceField(choices=ReasonCategory.choices)
    owner_team = serializers.ChoiceField(choices=OwnerTeam.choices)
    research_sla_days = serializers.IntegerField(min_value=1, max_value=365)


class ReasonCodeUpdateSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=120)
    category = serializers.ChoiceField(choices=ReasonCategory.choices)
    owner_team = serializers.ChoiceField(choices=OwnerTeam.choices)
    research_sla_days = serializers.IntegerField(min_value=1, max_value=365)
    is_active = serializers.BooleanField(default=True)


class MappingOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=MappingSource.choices)  # type: ignore[assignment]
    pattern = serializers.CharField()
    reason_id = serializers.IntegerField()
    reason_code = serializers.CharField(source="reason.code")
    learned = serializers.BooleanField()
    updated_at = serializers.DateTimeField()


class MappingInputSerializer(StrictInputSerializer):
    source = serializers.ChoiceField(choices=MappingSource.choices)  # type: ignore[assignment]
    pattern = serializers.CharField(max_length=100)
    reason_id = _id()


# --- deductions ---------------------------------------------------------------------------


class ResolutionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ResolutionKind.choices)
    status = serializers.ChoiceField(choices=ResolutionStatus.choices)
    amount = AmountField("amount")
    currency = serializers.CharField()
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    note = serializers.CharField()
    credit_memo_id = serializers.IntegerField(allow_null=True)
    credit_memo_number = serializers.CharField(
        source="credit_memo.number", allow_null=True, default=None
    )
    rebill_item_id = serializers.IntegerField(allow_null=True)
    auto = serializers.BooleanField()
    requested_by = serializers.EmailField(
        source="requested_by.email", allow_null=True, default=None
    )
    approved_by = serializers.EmailField(source="approved_by.email", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()


class DeductionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(source="open_item.number")
    customer_id = serializers.IntegerField()
    customer_number = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.legal_name")
    status = serializers.ChoiceField(choices=DeductionStatus.choices)
    source = serializers.ChoiceField(choices=DeductionSource.choices)  # type: ignore[assignment]
    amount = AmountField("amount")
    open_amount = AmountField("open_amount")
    currency = serializers.CharField()
    claim_code = serializers.CharField(source="reason_code")
    remittance_text = serializers.CharField(source="reason_text")
    reason_id = serializers.IntegerField(allow_null=True)
    reason_code = serializers.CharField(source="reason.code", allow_null=True, default=None)
    owner_id = serializers.IntegerField(allow_null=True)
    owner_email = serializers.EmailField(source="owner.email", allow_null=True, default=None)
    owner_team = serializers.CharField()
    research_due = serializers.DateField(allow_null=True)
    sla_breached = serializers.BooleanField()
    invoice_item_id = serializers.IntegerField()
    invoice_line_id = serializers.IntegerField(allow_null=True)
    payment_item_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class DeductionDetailSerializer(DeductionOutputSerializer):
    resolutions = ResolutionOutputSerializer(many=True)
    attachments = AttachmentOutputSerializer(many=True)


class DeductionPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DeductionOutputSerializer(many=True)


class DeductionFilterSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(
        choices=[*DeductionStatus.choices, ("all", "All")],
        required=False,
        help_text="Default: every open status.",
    )
    reason_id = _id(required=False)
    owner_id = _id(required=False)
    customer_id = _id(required=False)
    source = serializers.ChoiceField(choices=DeductionSource.choices, required=False)  # type: ignore[assignment]
    sla_breached = serializers.BooleanField(required=False, default=False)
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False)


class DisputeInputSerializer(StrictInputSerializer):
    invoice_id = _id()
    invoice_line_id = _id(required=False, allow_null=True)
    amount = _amount_input(
        required=False,
        allow_null=True,
        help_text="Default: the line's gross amount, or all that is open on the invoice.",
    )
    reason_id = _id(required=False, allow_null=True)
    claim_code = serializers.CharField(required=False, default="", max_length=32, allow_blank=True)
    note = serializers.CharField(required=False, default="", max_length=2000, allow_blank=True)


class AssignInputSerializer(StrictInputSerializer):
    owner_id = _id(allow_null=True)
    owner_team = serializers.ChoiceField(choices=OwnerTeam.choices, required=False)


class TransitionInputSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=sorted(MANUAL_TARGETS))
    note = serializers.CharField(required=False, default="", max_length=2000, allow_blank=True)


class ReasonInputSerializer(StrictInputSerializer):
    reason_id = _id()


class ResolutionPartSerializer(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=ResolutionKind.choices)
    amount = _amount_input()
    note = serializers.CharField(required=False, default="", max_length=500, allow_blank=True)
    tax_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal("99.99"),
        required=False,
        allow_null=True,
        help_text="Credit memos only: the VAT rate (default: the invoice's).",
    )


class ResolveInputSerializer(StrictInputSerializer):
    parts = ResolutionPartSerializer(many=True, min_length=1, max_length=20)  # type: ignore[call-arg]


class ResolveOutputSerializer(serializers.Serializer):
    deduction = DeductionDetailSerializer()
    resolutions = ResolutionOutputSerializer(many=True)


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = serializers.CharField(
        required=False, default="", max_length=200, allow_blank=True
    )
