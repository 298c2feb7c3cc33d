"""Serializer bases every API endpoint uses.

Input serializers subclass ``StrictInputSerializer``: a field the endpoint
does not know is a 400 naming that field, never silently dropped (an ERP
that misspells ``external_ref`` must hear about it, not lose the value).
Nested input serializers should subclass it too, so the rule holds at every
level. Output serializers stay plain ``serializers.Serializer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

UNKNOWN_FIELD_MESSAGE = "Unknown field: this endpoint does not accept it."


class RejectUnknownFieldsMixin:
    """For any Serializer: input keys that are not writable fields fail
    validation, reported together with the other field errors."""

    def to_internal_value(self, data: Any) -> Any:
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            writable = {
                name
                for name, field in self.fields.items()  # type: ignore[attr-defined]
                if not field.read_only
            }
            unknown = {str(name): [UNKNOWN_FIELD_MESSAGE] for name in data if name not in writable}
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                exc.detail.update(
                    {
                        name: [
                            serializers.ErrorDetail(msg, code="unknown_field") for msg in messages
                        ]
                        for name, messages in unknown.items()
                    }
                )
            raise
        if unknown:
            raise serializers.ValidationError(
                {
                    name: [serializers.ErrorDetail(msg, code="unknown_field") for msg in messages]
                    for name, messages in unknown.items()
                }
            )
        return value


class StrictInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Base of every Input serializer. Validates only: views pass
    ``serializer.validated_data`` to a service, never call save()."""

    def create(self, validated_data: Any) -> Any:
        raise NotImplementedError("Input serializers validate; services write.")

    def update(self, instance: Any, validated_data: Any) -> Any:
        raise NotImplementedError("Input serializers validate; services write.")


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True,
        help_text="Path of the field, e.g. `lines[0].amount`; null for the whole request.",
    )
    message = serializers.CharField()
    code = serializers.CharField(help_text="Machine-readable reason, e.g. `required`, `invalid`.")


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error response of the API carries
    them (``application/problem+json``). Documents ``otc.api.errors``."""

    type = serializers.CharField(
        help_text="Stable problem type, e.g. `urn:otc:problem:validation_error`."
    )
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(help_text="The request path.")
    request_id = serializers.CharField(help_text="Also in the X-Request-ID response header.")
    # Shadows Serializer.errors for type checkers only: this class documents
    # the schema and is never validated.
    errors = FieldErrorSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="Field errors (validation problems only)."
    )
