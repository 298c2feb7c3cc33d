"""Input/Output serializers of worklist tasks; they never create or update."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from collections_app.strategies.models import CollectionTask, TaskKind, TaskStatus


class TaskOutputSerializer(serializers.ModelSerializer[CollectionTask]):
    customer_number = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.legal_name")
    strategy_step_id = serializers.IntegerField(source="step_id", allow_null=True)

    class Meta:
        model = CollectionTask
        fields = [
            "id",
            "customer_id",
            "customer_number",
            "customer_name",
            "kind",
            "status",
            "title",
            "due_on",
            "snoozed_until",
            "assigned_to_id",
            "strategy_step_id",
            "trigger_item_id",
            "done_at",
            "created_at",
        ]


class TaskFilterSerializer(serializers.Serializer[Any]):
    due_by = serializers.DateField(
        required=False,
        help_text="Only tasks to do by this day: open and due, or snoozed until then.",
    )
    status = serializers.ChoiceField(choices=TaskStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=TaskKind.choices, required=False)
    customer_id = serializers.IntegerField(required=False)
    assigned_to_id = serializers.IntegerField(required=False)


class TaskSnoozeInputSerializer(serializers.Serializer[Any]):
    until = serializers.DateField(help_text="The day the task comes back; after today.")


class TaskReassignInputSerializer(serializers.Serializer[Any]):
    user_id = serializers.IntegerField(help_text="A member of the company who works collections.")
