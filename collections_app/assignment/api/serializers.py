"""Input/Output serializers of collector assignment; they never create or update."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from collections_app.assignment.models import CollectorOverride, CollectorRule


class RuleOutputSerializer(serializers.ModelSerializer[CollectorRule]):
    class Meta:
        model = CollectorRule
        fields = [
            "id",
            "priority",
            "collector_id",
            "country",
            "region",
            "segment",
            "min_exposure",
            "max_exposure",
            "created_at",
        ]


class RuleInputSerializer(serializers.Serializer[Any]):
    priority = serializers.IntegerField(min_value=1, max_value=32767)
    collector_id = serializers.IntegerField()
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    region = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    segment = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    min_exposure = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True, default=None
    )
    max_exposure = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True, default=None
    )


class OverrideInputSerializer(serializers.Serializer[Any]):
    customer_id = serializers.IntegerField()
    collector_id = serializers.IntegerField(
        allow_null=True, help_text="null: nobody collects from this customer."
    )


class OverrideOutputSerializer(serializers.ModelSerializer[CollectorOverride]):
    class Meta:
        model = CollectorOverride
        fields = ["customer_id", "collector_id", "set_at"]


class AssignmentOutputSerializer(serializers.Serializer[Any]):
    changed = serializers.IntegerField(help_text="Customers whose collector changed.")
