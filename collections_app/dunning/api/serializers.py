"""Input and output shapes of the collections API. Inputs only validate;
services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from collections_app.dunning.models import (
    ActivityKind,
    CallOutcome,
    CollectionActivity,
    CollectionPriority,
    DunningChannel,
    DunningLetter,
    DunningPolicy,
    DunningRun,
    PromiseToPay,
)
from collections_app.dunning.services.policies import LevelInput, PolicyInput, TemplateInput
from otc.customers.models import DOCUMENT_LANGUAGES


class TemplateSerializer(serializers.Serializer[Any]):
    language = serializers.ChoiceField(choices=DOCUMENT_LANGUAGES)
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField()
    letter_text = serializers.CharField()


class LevelSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(
        required=False,
        help_text="The level's id as read: send it back to keep the level (and the letters "
        "already sent at it) when levels are inserted or reordered; without ids, levels "
        "are matched by their place.",
    )
    number = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)
    days_overdue = serializers.IntegerField(min_value=-365, max_value=3650)
    channel = serializers.ChoiceField(choices=DunningChannel.choices, default=DunningChannel.EMAIL)
    fee_amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=Decimal(0), default=Decimal(0)
    )
    fee_currency = serializers.CharField(max_length=3, default="EUR")
    interest_rate_percent = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        min_value=Decimal(0),
        max_value=Decimal(100),
        default=Decimal(0),
    )
    templates = TemplateSerializer(many=True)


class PolicyInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(
        max_length=300, required=False, default="", allow_blank=True
    )
    is_default = serializers.BooleanField(default=False)
    risk_classes = serializers.ListField(
        child=serializers.ChoiceField(choices=["A", "B", "C", "D", "E"]), default=list
    )
    segments = serializers.ListField(child=serializers.CharField(max_length=60), default=list)
    min_amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=Decimal(0), default=Decimal(0)
    )
    grace_days = serializers.IntegerField(min_value=0, max_value=365, default=0)
    is_active = serializers.BooleanField(default=True)
    levels = LevelSerializer(many=True)

    def to_input(self) -> PolicyInput:
        data = self.validated_data
        return PolicyInput(
            name=data["name"],
            description=data["description"],
            is_default=data["is_default"],
            risk_classes=list(data["risk_classes"]),
            segments=list(data["segments"]),
            min_amount=data["min_amount"],
            grace_days=data["grace_days"],
            is_active=data["is_active"],
            levels=[
                LevelInput(
                    level_id=level.get("id"),
                    name=level["name"],
                    days_overdue=level["days_overdue"],
                    channel=level["channel"],
                    fee_amount=level["fee_amount"],
                    fee_currency=level["fee_currency"].upper(),
                    interest_rate_percent=level["interest_rate_percent"],
                    templates=[TemplateInput(**template) for template in level["templates"]],
                )
                for level in data["levels"]
            ],
        )


class PolicyOutputSerializer(serializers.ModelSerializer[DunningPolicy]):
    levels = serializers.SerializerMethodField()

    class Meta:
        model = DunningPolicy
        fields = [
            "id",
            "name",
            "description",
            "is_default",
            "risk_classes",
            "segments",
            "min_amount",
            "grace_days",
            "is_active",
            "levels",
            "created_at",
            "updated_at",
        ]

    def get_levels(self, policy: DunningPolicy) -> list[dict[str, Any]]:
        return [
            {
                "id": level.pk,
                "number": level.number,
                "name": level.name,
                "days_overdue": level.days_overdue,
                "channel": level.channel,
                "fee_amount": str(level.fee_amount),
                "fee_currency": str(level.fee_currency),
                "interest_rate_percent": str(level.interest_rate_percent),
                "templates": [
                    {
                        "language": t.language,
                        "subject": t.subject,
                        "body": t.body,
                        "letter_text": t.letter_text,
                    }
                    for t in level.templates.all()
                ],
            }
            for level in policy.levels.all()
        ]


class RunInputSerializer(serializers.Serializer[Any]):
    run_date = serializers.DateField(required=False)


class RunOutputSerializer(serializers.ModelSerializer[DunningRun]):
    class Meta:
        model = DunningRun
        fields = [
            "id",
            "run_date",
            "status",
            "trigger",
            "started_at",
            "selected_at",
            "finished_at",
            "letter_count",
            "notice_count",
            "error",
        ]


class LetterOutputSerializer(serializers.ModelSerializer[DunningLetter]):
    customer_number = serializers.CharField(source="customer.number")
    level_number = serializers.IntegerField(source="level.number")
    items = serializers.SerializerMethodField()

    class Meta:
        model = DunningLetter
        fields = [
            "id",
            "customer_id",
            "customer_number",
            "level_number",
            "language",
            "channel",
            "status",
            "recipients",
            "subject",
            "sent_at",
            "attempts",
            "last_error",
            "items",
        ]

    def get_items(self, letter: DunningLetter) -> list[dict[str, Any]]:
        return [
            {
                "open_item_id": n.open_item_id,
                "number": n.open_item.number,
                "level_number": n.level_number,
                "days_overdue": n.days_overdue,
                "currency": n.currency,
                "open_amount": str(n.open_amount),
                "interest_amount": str(n.interest_amount),
            }
            for n in letter.notices.all()
        ]


class PreviewQuerySerializer(serializers.Serializer[Any]):
    day = serializers.DateField(required=False)


class ActivityInputSerializer(serializers.Serializer[Any]):
    customer_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, default="", allow_blank=True)
    outcome = serializers.ChoiceField(
        choices=CallOutcome.choices, required=False, default="", allow_blank=True
    )
    contact_name = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )
    next_action_date = serializers.DateField(required=False, allow_null=True, default=None)


class ActivityOutputSerializer(serializers.ModelSerializer[CollectionActivity]):
    class Meta:
        model = CollectionActivity
        fields = [
            "id",
            "customer_id",
            "kind",
            "subject",
            "body",
            "outcome",
            "contact_name",
            "next_action_date",
            "created_at",
        ]


class ActivityFilterSerializer(serializers.Serializer[Any]):
    customer_id = serializers.IntegerField(required=False)
    kind = serializers.ChoiceField(choices=ActivityKind.choices, required=False)


class PromiseInputSerializer(serializers.Serializer[Any]):
    customer_id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=4)
    currency = serializers.CharField(min_length=3, max_length=3)
    promised_date = serializers.DateField()
    item_ids = serializers.ListField(child=serializers.IntegerField(), default=list)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class PromiseOutputSerializer(serializers.ModelSerializer[PromiseToPay]):
    item_ids = serializers.SerializerMethodField()

    class Meta:
        model = PromiseToPay
        fields = [
            "id",
            "customer_id",
            "amount",
            "currency",
            "promised_date",
            "status",
            "note",
            "applied_so_far",
            "resolved_on",
            "item_ids",
            "created_at",
        ]

    def get_item_ids(self, promise: PromiseToPay) -> list[int]:
        return [link.open_item_id for link in promise.items.all()]


class PromiseFilterSerializer(serializers.Serializer[Any]):
    customer_id = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(
        choices=PromiseToPay._meta.get_field("status").choices or [], required=False
    )


class WorklistFilterSerializer(serializers.Serializer[Any]):
    day = serializers.DateField(required=False)
    collector_id = serializers.IntegerField(required=False)


class WorklistOutputSerializer(serializers.ModelSerializer[CollectionPriority]):
    customer_number = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.legal_name")
    collector_id = serializers.IntegerField(source="customer.collector_id", allow_null=True)

    class Meta:
        model = CollectionPriority
        fields = [
            "id",
            "customer_id",
            "customer_number",
            "customer_name",
            "collector_id",
            "day",
            "score",
            "overdue_base_amount",
            "max_days_overdue",
            "dunning_level",
            "broken_promises",
            "risk_class",
            "reasons",
        ]
