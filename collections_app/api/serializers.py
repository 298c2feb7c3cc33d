"""Input and output shapes of the cash application API. Amounts are decimal
strings at the minor unit of their currency ("1190.00")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from moneyed import CURRENCIES
from rest_framework import serializers

from collections_app.bank_files.types import BankFileFormat, RemittanceFormat
from collections_app.models import (
    BankStatementLine,
    CashAllocation,
    Payment,
    PaymentStatus,
)
from otc.api.serializers import StrictInputSerializer
from otc.fx.money import quantize_money

_AMOUNT = {"type": "string", "format": "decimal", "example": "1190.00"}


def money(amount: Decimal | None, currency: str) -> str | None:
    if amount is None:
        return None
    return str(quantize_money(amount, currency)) if currency in CURRENCIES else str(amount)


class _Currency(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_length=3, max_length=3, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data)).upper()
        if value not in CURRENCIES or value in {"XXX", "XTS"}:
            raise serializers.ValidationError(
                f"'{value}' is not an ISO 4217 currency code: use one such as EUR or USD."
            )
        return value


def _decimal(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=4, **kwargs)


class PaymentInputSerializer(StrictInputSerializer):
    amount = _decimal(min_value=Decimal("0.0001"))
    currency = _Currency()
    value_date = serializers.DateField()
    customer_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    external_ref = serializers.CharField(required=False, max_length=100, allow_null=True)
    payer_name = serializers.CharField(required=False, max_length=200, allow_blank=True)
    payer_account = serializers.CharField(required=False, max_length=64, allow_blank=True)
    bank_reference = serializers.CharField(required=False, max_length=140, allow_blank=True)
    end_to_end_id = serializers.CharField(required=False, max_length=140, allow_blank=True)
    remittance_text = serializers.CharField(required=False, max_length=2000, allow_blank=True)
    structured_references = serializers.ListField(
        child=serializers.CharField(max_length=140), required=False, max_length=50
    )


class PaymentFilterSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)
    customer_id = serializers.IntegerField(required=False, min_value=1)
    statement_id = serializers.IntegerField(required=False, min_value=1)
    updated_since = serializers.DateTimeField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)
    cursor = serializers.CharField(required=False)


class AllocationLineInputSerializer(StrictInputSerializer):
    item_id = serializers.IntegerField(min_value=1)
    amount = _decimal(min_value=Decimal(0))
    payment_amount = _decimal(min_value=Decimal(0), required=False, allow_null=True)
    deduction = _decimal(min_value=Decimal(0), required=False)
    write_off = _decimal(min_value=Decimal(0), required=False)
    reason = serializers.CharField(required=False, max_length=300, allow_blank=True)


class ApplyInputSerializer(StrictInputSerializer):
    """Either accept a proposal, or allocate by hand."""

    proposal_id = serializers.IntegerField(required=False, min_value=1)
    customer_id = serializers.IntegerField(required=False, min_value=1)
    lines = AllocationLineInputSerializer(many=True, required=False, max_length=200)  # type: ignore[call-arg]
    note = serializers.CharField(required=False, max_length=300, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "proposal_id" in attrs and ("lines" in attrs or "customer_id" in attrs):
            raise serializers.ValidationError("Send either proposal_id or customer_id with lines.")
        if "proposal_id" not in attrs and not ("customer_id" in attrs and attrs.get("lines")):
            raise serializers.ValidationError(
                "Send proposal_id to accept a proposal, or customer_id and lines to allocate."
            )
        return attrs


class ReasonInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=300)


class StatementUploadSerializer(StrictInputSerializer):
    file = serializers.FileField(max_length=255, allow_empty_file=False)
    format = serializers.ChoiceField(
        choices=[f.value for f in BankFileFormat], required=False, allow_null=True
    )
    csv_mapping_id = serializers.IntegerField(required=False, min_value=1)


class RemittanceUploadSerializer(StrictInputSerializer):
    file = serializers.FileField(max_length=255, allow_empty_file=False)
    format = serializers.ChoiceField(
        choices=[f.value for f in RemittanceFormat], required=False, allow_null=True
    )


class AllocationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    item_id = serializers.IntegerField(source="invoice_item_id")
    item_number = serializers.CharField(source="invoice_item.number")
    currency = serializers.CharField(source="invoice_item.currency")
    amount = serializers.SerializerMethodField()
    payment_amount = serializers.SerializerMethodField()
    deduction_id = serializers.IntegerField(allow_null=True)
    reversed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(_AMOUNT)
    def get_amount(self, obj: CashAllocation) -> str | None:
        return money(obj.amount, obj.invoice_item.currency)

    @extend_schema_field(_AMOUNT)
    def get_payment_amount(self, obj: CashAllocation) -> str | None:
        return money(obj.payment_amount, obj.payment.currency)


class ProposalOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rank = serializers.IntegerField()
    customer_id = serializers.IntegerField(allow_null=True)
    confidence = serializers.IntegerField(help_text="0-100")
    explanation = serializers.CharField()
    reasons = serializers.ListField(child=serializers.DictField())
    allocations = serializers.ListField(child=serializers.DictField())
    on_account = serializers.DecimalField(max_digits=18, decimal_places=4)
    deduction = serializers.DictField(allow_null=True)
    status = serializers.CharField()
    auto_applied = serializers.BooleanField()
    learned = serializers.ListField(child=serializers.CharField())


class PaymentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    external_ref = serializers.CharField(allow_null=True)
    source = serializers.CharField()  # type: ignore[assignment]
    status = serializers.CharField()
    customer_id = serializers.IntegerField(allow_null=True)
    amount = serializers.SerializerMethodField()
    unapplied_amount = serializers.SerializerMethodField()
    currency = serializers.CharField()
    value_date = serializers.DateField()
    payer_name = serializers.CharField()
    payer_account = serializers.CharField()
    bank_reference = serializers.CharField()
    end_to_end_id = serializers.CharField()
    remittance_text = serializers.CharField()
    structured_references = serializers.ListField(child=serializers.CharField())
    match_confidence = serializers.IntegerField(allow_null=True)
    match_summary = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(_AMOUNT)
    def get_amount(self, obj: Payment) -> str | None:
        return money(obj.amount, obj.currency)

    @extend_schema_field(_AMOUNT)
    def get_unapplied_amount(self, obj: Payment) -> str | None:
        if obj.open_item is None:
            unapplied = obj.amount if obj.status == PaymentStatus.UNIDENTIFIED else Decimal(0)
            return money(unapplied, obj.currency)
        return money(-obj.open_item.open_amount, obj.currency)


class PaymentDetailSerializer(PaymentOutputSerializer):
    applications = AllocationOutputSerializer(many=True)
    proposals = ProposalOutputSerializer(many=True)


class StatementOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    format = serializers.CharField()
    account = serializers.CharField()
    statement_id = serializers.CharField()
    currency = serializers.CharField()
    from_date = serializers.DateField(allow_null=True)
    to_date = serializers.DateField(allow_null=True)
    opening_balance = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    closing_balance = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    file_name = serializers.CharField()
    status = serializers.CharField()
    line_count = serializers.IntegerField()
    payment_count = serializers.IntegerField()
    skipped_count = serializers.IntegerField()
    imported_at = serializers.DateTimeField()
    matched_at = serializers.DateTimeField(allow_null=True)


class ImportOutputSerializer(serializers.Serializer):
    statements = StatementOutputSerializer(many=True)
    payments_created = serializers.IntegerField()
    skipped_entries = serializers.IntegerField()
    returns_linked = serializers.IntegerField()
    messages = serializers.ListField(child=serializers.CharField())


class StatementLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.CharField()
    amount = serializers.SerializerMethodField()
    currency = serializers.CharField()
    value_date = serializers.DateField(allow_null=True)
    payer_name = serializers.CharField()
    payer_account = serializers.CharField()
    remittance_text = serializers.CharField()
    end_to_end_id = serializers.CharField()
    outcome = serializers.CharField()
    payment_id = serializers.IntegerField(allow_null=True)
    payment_status = serializers.CharField(source="payment.status", allow_null=True, default=None)
    match_confidence = serializers.IntegerField(
        source="payment.match_confidence", allow_null=True, default=None
    )
    match_explanation = serializers.CharField(
        source="payment.match_summary", allow_null=True, default=None
    )

    @extend_schema_field(_AMOUNT)
    def get_amount(self, obj: BankStatementLine) -> str | None:
        return money(obj.amount, obj.currency)


class RemittanceLineOutputSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    reference = serializers.CharField()
    paid_amount = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    invoice_amount = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    discount_amount = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    adjustment_amount = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    adjustment_reason = serializers.CharField()


class RemittanceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    format = serializers.CharField()
    payer_name = serializers.CharField()
    payment_reference = serializers.CharField()
    payment_amount = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    currency = serializers.CharField()
    payment_date = serializers.DateField(allow_null=True)
    payment_id = serializers.IntegerField(allow_null=True)
    lines = RemittanceLineOutputSerializer(many=True)


class MetricsOutputSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    payments = serializers.IntegerField()
    auto_applied_payments = serializers.IntegerField()
    auto_rate_by_count = serializers.DecimalField(max_digits=7, decimal_places=4, allow_null=True)
    auto_rate_by_amount = serializers.DecimalField(max_digits=7, decimal_places=4, allow_null=True)
    invoices_settled = serializers.IntegerField()
    invoices_settled_automatically = serializers.IntegerField()
    auto_rate_invoices = serializers.DecimalField(max_digits=7, decimal_places=4, allow_null=True)
    auto_applications = serializers.IntegerField()
    auto_applications_corrected = serializers.IntegerField()
    precision = serializers.DecimalField(max_digits=7, decimal_places=4, allow_null=True)
    queue_size = serializers.IntegerField()
    queue_amount_by_currency = serializers.DictField(child=serializers.CharField())


class CsvMappingInputSerializer(StrictInputSerializer):
    """A bank's CSV layout; column values are header names (or 0-based
    indexes as strings when has_header is false)."""

    name = serializers.CharField(max_length=100)
    booking_date = serializers.CharField(max_length=100)
    amount = serializers.CharField(max_length=100, required=False, allow_blank=True)
    credit_amount = serializers.CharField(max_length=100, required=False, allow_blank=True)
    debit_amount = serializers.CharField(max_length=100, required=False, allow_blank=True)
    currency = serializers.CharField(max_length=100, required=False, allow_blank=True)
    default_currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
    value_date = serializers.CharField(max_length=100, required=False, allow_blank=True)
    payer_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    payer_account = serializers.CharField(max_length=100, required=False, allow_blank=True)
    bank_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    end_to_end_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    remittance_text = serializers.CharField(max_length=100, required=False, allow_blank=True)
    delimiter = serializers.CharField(max_length=1, required=False, trim_whitespace=False)
    decimal_separator = serializers.CharField(max_length=1, required=False)
    thousands_separator = serializers.CharField(
        max_length=1, required=False, allow_blank=True, trim_whitespace=False
    )
    date_format = serializers.CharField(max_length=20, required=False)
    has_header = serializers.BooleanField(required=False)
    encoding = serializers.CharField(max_length=20, required=False)
    account = serializers.CharField(max_length=64, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("amount") and not (
            attrs.get("credit_amount") or attrs.get("debit_amount")
        ):
            raise serializers.ValidationError(
                {"amount": "Name the amount column, or the credit and debit columns."}
            )
        if not attrs.get("currency") and not attrs.get("default_currency"):
            raise serializers.ValidationError(
                {"currency": "Name the currency column or give default_currency."}
            )
        return attrs


class CsvMappingOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    mapping = serializers.DictField()
    created_at = serializers.DateTimeField()
