"""Helpers shared by the customer services: field checks, tenant checks,
audit change shapes and the customer row lock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model

from otc.audit.services import field_changes
from otc.customers.models import Customer
from otc.errors import ValidationFailed
from otc.tenancy.models import Tenant


def full_clean(instance: Model, *, prefix: str = "", exclude: Iterable[str] = ()) -> None:
    """Field-level checks Django already knows (lengths, choices, e-mail
    syntax), as ValidationFailed. Uniqueness is checked by the services
    themselves, with messages that name the clashing record."""
    try:
        instance.full_clean(
            exclude=["tenant", *exclude], validate_unique=False, validate_constraints=False
        )
    except DjangoValidationError as error:
        errors = {
            f"{prefix}{field}" if field != "__all__" else prefix.rstrip("."): [
                str(message) for message in messages
            ]
            for field, messages in error.message_dict.items()
        }
        raise ValidationFailed("Some fields are not valid.", errors=errors) from error


def check_same_tenant(instance: Model, tenant: Tenant) -> None:
    if getattr(instance, "tenant_id", None) != tenant.pk:
        # Phrased like a missing row: another tenant's rows do not exist here.
        raise ValidationFailed(
            "A referenced record does not exist.",
            errors={"": ["A referenced record does not exist."]},
        )


def added(values: Mapping[str, Any]) -> dict[str, Any]:
    """Audit changes for a record that came into being."""
    return field_changes(before={}, after=dict(values))


def removed(values: Mapping[str, Any]) -> dict[str, Any]:
    """Audit changes for a record that is gone."""
    return field_changes(before=dict(values), after=dict.fromkeys(values))


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return field_changes(before=dict(before), after=dict(after))


def prefixed(changes: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """Child-row changes are recorded on the customer's trail, so the
    customer's history shows them; the prefix says which child field."""
    return {f"{prefix}.{name}": value for name, value in changes.items()}


def lock_customer(*, tenant: Tenant, customer: Customer) -> Customer:
    """The customer row, locked for the rest of the transaction: every write
    to a customer or its children serializes here."""
    check_same_tenant(customer, tenant)
    return (
        Customer.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("payment_terms", "parent", "collector")
        .get(pk=customer.pk)
    )


def touch_customer(customer: Customer) -> None:
    """A contact or address change is a change of the customer for delta sync."""
    customer.save(update_fields=["updated_at"])
