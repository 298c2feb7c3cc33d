"""Input and output shapes of the returns and refunds API. Never
create()/update(): views validate here and call a service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deductions.api.serializers import AmountField, _amount_input, _id
from deductions.models import RefundStatus, ReturnSettlement, ReturnStatus
from otc.api.serializers import StrictInputSerializer


def _quantity(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=15, decimal_places=4, **kwargs)


# --- returns ------------------------------------------------------------------------------


class ReturnLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    invoice_line_id = serializers.IntegerField()
    position = serializers.IntegerField(source="invoice_line.position")
    description = serializers.CharField(source="invoice_line.description")
    quantity = _quantity()
    accepted_quantity = _quantity(allow_null=True)
    rejected_quantity = _quantity(allow_null=True)
    rejection_note = serializers.CharField()


class ReturnOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    customer_id = serializers.IntegerField()
    invoice_id = serializers.IntegerField()
    invoice_number = serializers.CharField(source="invoice.number")
    reason_id = serializers.IntegerField()
    reason_code = serializers.CharField(source="reason.code")
    currency = serializers.CharField()
    note = serializers.CharField()
    receipt_note = serializers.CharField()
    credit_memo_id = serializers.IntegerField(allow_null=True)
    settlement = serializers.CharField()
    cancel_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ReturnDetailSerializer(ReturnOutputSerializer):
    lines = ReturnLineOutputSerializer(many=True, source="lines_list")


class ReturnFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReturnStatus.choices, required=False)
    search = serializers.CharField(required=False, max_length=100)
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)


class ReturnRequestLineInputSerializer(StrictInputSerializer):
    invoice_line_id = _id()
    quantity = _quantity(min_value=Decimal("0.0001"))


class ReturnRequestInputSerializer(StrictInputSerializer):
    invoice_id = _id()
    reason_id = _id()
    lines = ReturnRequestLineInputSerializer(many=True, allow_empty=False)
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class ReturnReceiptLineInputSerializer(StrictInputSerializer):
    return_line_id = _id()
    accepted_quantity = _quantity(min_value=Decimal(0))


class ReturnReceiveInputSerializer(StrictInputSerializer):
    lines = ReturnReceiptLineInputSerializer(many=True, allow_empty=False)
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class ReturnCloseInputSerializer(StrictInputSerializer):
    settlement = serializers.ChoiceField(choices=ReturnSettlement.choices, required=False)
    payee_iban = serializers.CharField(max_length=50, required=False, default="", allow_blank=True)
    payee_bic = serializers.CharField(max_length=14, required=False, default="", allow_blank=True)


class ReturnCancelInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


# --- refunds ------------------------------------------------------------------------------


class RefundOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=RefundStatus.choices)
    customer_id = serializers.IntegerField()
    credit_item_id = serializers.IntegerField()
    credit_item_number = serializers.CharField(source="credit_item.number")
    refund_item_id = serializers.IntegerField(allow_null=True)
    return_id = serializers.IntegerField(source="rma_id", allow_null=True)
    amount = AmountField("amount")
    currency = serializers.CharField()
    payee_name = serializers.CharField()
    payee_iban = serializers.CharField()
    payee_bic = serializers.CharField()
    note = serializers.CharField()
    export_id = serializers.IntegerField(allow_null=True)
    requested_by = serializers.EmailField(source="requested_by.email", allow_null=True)
    approved_by = serializers.EmailField(source="approved_by.email", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    created_at = serializers.DateTimeField()


class RefundFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RefundStatus.choices, required=False)
    search = serializers.CharField(required=False, max_length=100)
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)


class RefundInputSerializer(StrictInputSerializer):
    credit_item_id = _id()
    amount = _amount_input()
    currency = serializers.CharField(min_length=3, max_length=3, required=False)
    payee_iban = serializers.CharField(max_length=50)
    payee_bic = serializers.CharField(max_length=14, required=False, default="", allow_blank=True)
    payee_name = serializers.CharField(max_length=70, required=False, default="", allow_blank=True)
    note = serializers.CharField(max_length=140, required=False, default="", allow_blank=True)


class RefundRejectInputSerializer(StrictInputSerializer):
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class RefundExportInputSerializer(StrictInputSerializer):
    refund_ids = serializers.ListField(
        child=_id(), required=False, allow_empty=False, max_length=1000
    )
    execution_date = serializers.DateField(required=False)


class RefundExportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message_id = serializers.CharField()
    execution_date = serializers.DateField()
    currency = serializers.CharField()
    total = AmountField("total")
    count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    refund_ids = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_refund_ids(self, export: Any) -> list[int]:
        return sorted(refund.pk for refund in export.refunds.all())
