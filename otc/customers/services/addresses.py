"""Billing and shipping addresses of a customer.

Each kind has at most one default address (documents use it unless told
otherwise); the first address of a kind becomes the default, and removing
the default promotes the oldest remaining one. Changes are recorded on the
customer's audit trail, prefixed ``address.``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, cast

from django.db import transaction

from otc.audit.services import Actor, audit_record, snapshot
from otc.customers.models import AddressKind, Customer, CustomerAddress
from otc.customers.services.common import (
    added,
    changed,
    check_same_tenant,
    full_clean,
    lock_customer,
    prefixed,
    removed,
    touch_customer,
)
from otc.errors import ValidationFailed
from otc.tenancy.models import Tenant


class AddressFields(TypedDict, total=False):
    kind: str
    is_default: bool
    line1: str
    line2: str
    line3: str
    city: str
    postal_code: str
    region: str
    country: str


class AddressData(AddressFields, total=False):
    """An address in a nested write; with ``id`` it names an existing one."""

    id: int


ADDRESS_AUDIT_FIELDS = [
    "kind",
    "is_default",
    "line1",
    "line2",
    "line3",
    "city",
    "postal_code",
    "region",
    "country",
]
_TEXT_FIELDS = ("line1", "line2", "line3", "city", "postal_code", "region")


def _validate(address: CustomerAddress, *, prefix: str = "") -> None:
    for name in _TEXT_FIELDS:
        setattr(address, name, str(getattr(address, name) or "").strip())
    address.country = str(address.country or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if address.kind not in AddressKind.values:
        errors[f"{prefix}kind"] = [f"Choose the address kind: {', '.join(AddressKind.values)}."]
    if not address.line1:
        errors[f"{prefix}line1"] = ["Enter the street and number (first address line)."]
    if not address.city:
        errors[f"{prefix}city"] = ["Enter the city."]
    if not address.country:
        errors[f"{prefix}country"] = ["Choose the country of this address."]
    if errors:
        raise ValidationFailed("The address needs fixing.", errors=errors)
    full_clean(address, prefix=prefix, exclude=["customer"])


def _build(customer: Customer, data: Mapping[str, Any]) -> CustomerAddress:
    return CustomerAddress(
        tenant_id=customer.tenant_id,
        customer=customer,
        kind=data.get("kind", ""),
        is_default=bool(data.get("is_default", False)),
        line1=data.get("line1", ""),
        line2=data.get("line2", ""),
        line3=data.get("line3", ""),
        city=data.get("city", ""),
        postal_code=data.get("postal_code", ""),
        region=data.get("region", ""),
        # An address is usually in the customer's own country.
        country=data.get("country", "") or str(customer.country),
    )


def _siblings(tenant: Tenant, customer: Customer, kind: str) -> Any:
    return CustomerAddress.objects.for_tenant(tenant).filter(customer=customer, kind=kind)


def _make_sole_default(tenant: Tenant, address: CustomerAddress) -> None:
    """Clear the kind's other default first: the partial unique index allows
    one default per customer and kind at every moment."""
    _siblings(tenant, address.customer, address.kind).filter(is_default=True).exclude(
        pk=address.pk
    ).update(is_default=False)


def _promote_default(*, tenant: Tenant, customer: Customer, kind: str) -> None:
    siblings = _siblings(tenant, customer, kind)
    if not siblings.filter(is_default=True).exists():
        oldest = siblings.order_by("id").first()
        if oldest is not None:
            oldest.is_default = True
            oldest.save(update_fields=["is_default", "updated_at"])


def address_add_locked(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    data: Mapping[str, Any],
    index: int | None = None,
) -> CustomerAddress:
    """Add an address to a customer the caller has locked already."""
    address = _build(customer, data)
    _validate(address, prefix=f"addresses[{index}]." if index is not None else "")
    if not _siblings(tenant, customer, address.kind).exists():
        address.is_default = True
    if address.is_default:
        _make_sole_default(tenant, address)
    address.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.address_added",
        instance=customer,
        changes=prefixed(
            added({"id": address.pk, **snapshot(address, ADDRESS_AUDIT_FIELDS)}), "address"
        ),
    )
    return address


def _update_locked(
    *,
    tenant: Tenant,
    actor: Actor,
    address: CustomerAddress,
    data: Mapping[str, Any],
    prefix: str = "",
) -> CustomerAddress:
    before = snapshot(address, ADDRESS_AUDIT_FIELDS)
    old_kind = address.kind
    for name, value in data.items():
        setattr(address, name, value)
    _validate(address, prefix=prefix)
    if address.kind != old_kind and "is_default" not in data:
        # Moving to the other kind does not take over that kind's default.
        address.is_default = False
    if not changed(before, snapshot(address, ADDRESS_AUDIT_FIELDS)):
        return address
    if address.is_default:
        _make_sole_default(tenant, address)
    address.save()
    customer = address.customer
    _promote_default(tenant=tenant, customer=customer, kind=old_kind)
    _promote_default(tenant=tenant, customer=customer, kind=address.kind)
    address.refresh_from_db(fields=["is_default"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.address_updated",
        instance=customer,
        changes={
            "address.id": {"before": address.pk, "after": address.pk},
            **prefixed(changed(before, snapshot(address, ADDRESS_AUDIT_FIELDS)), "address"),
        },
    )
    return address


def _remove_locked(*, tenant: Tenant, actor: Actor, address: CustomerAddress) -> None:
    before = {"id": address.pk, **snapshot(address, ADDRESS_AUDIT_FIELDS)}
    customer, kind = address.customer, address.kind
    address.delete()
    _promote_default(tenant=tenant, customer=customer, kind=kind)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.address_removed",
        instance=customer,
        changes=prefixed(removed(before), "address"),
    )


def _reload(*, tenant: Tenant, address: CustomerAddress) -> tuple[Customer, CustomerAddress]:
    check_same_tenant(address, tenant)
    customer = lock_customer(tenant=tenant, customer=address.customer)
    fresh = CustomerAddress.objects.for_tenant(tenant).get(pk=address.pk)
    fresh.customer = customer
    return customer, fresh


@transaction.atomic
def customer_address_add(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    kind: str,
    line1: str,
    city: str,
    country: str = "",
    line2: str = "",
    line3: str = "",
    postal_code: str = "",
    region: str = "",
    is_default: bool = False,
) -> CustomerAddress:
    """A new address; the country defaults to the customer's."""
    customer = lock_customer(tenant=tenant, customer=customer)
    address = address_add_locked(
        tenant=tenant,
        actor=actor,
        customer=customer,
        data={
            "kind": kind,
            "is_default": is_default,
            "line1": line1,
            "line2": line2,
            "line3": line3,
            "city": city,
            "postal_code": postal_code,
            "region": region,
            "country": country,
        },
    )
    touch_customer(customer)
    return address


@transaction.atomic
def customer_address_update(
    *, tenant: Tenant, actor: Actor, address: CustomerAddress, data: AddressFields
) -> CustomerAddress:
    customer, address = _reload(tenant=tenant, address=address)
    address = _update_locked(tenant=tenant, actor=actor, address=address, data=data)
    touch_customer(customer)
    return address


@transaction.atomic
def customer_address_remove(*, tenant: Tenant, actor: Actor, address: CustomerAddress) -> None:
    customer, address = _reload(tenant=tenant, address=address)
    _remove_locked(tenant=tenant, actor=actor, address=address)
    touch_customer(customer)


def _is_twin(address: CustomerAddress, data: Mapping[str, Any]) -> bool:
    probe = _build(address.customer, {"is_default": address.is_default, **data})
    try:
        _validate(probe)
    except ValidationFailed:
        return False
    return snapshot(probe, ADDRESS_AUDIT_FIELDS) == snapshot(address, ADDRESS_AUDIT_FIELDS)


def addresses_sync_locked(
    *, tenant: Tenant, actor: Actor, customer: Customer, addresses: Sequence[AddressData]
) -> list[CustomerAddress]:
    """Make a locked customer's addresses exactly `addresses`; the same rules
    as ``contacts_sync_locked`` (ids update, identical ones are kept, the
    rest are removed), so re-sending a record changes nothing."""
    existing = {
        address.pk: address
        for address in CustomerAddress.objects.for_tenant(tenant).filter(customer=customer)
    }
    for address in existing.values():
        address.customer = customer
    named: set[int] = set()
    for index, item in enumerate(addresses):
        address_id = item.get("id")
        if address_id is not None and (address_id not in existing or address_id in named):
            raise ValidationFailed(
                "Unknown address.",
                errors={f"addresses[{index}].id": [f"This customer has no address {address_id}."]},
            )
        if address_id is not None:
            named.add(address_id)
    unclaimed = [address for pk, address in existing.items() if pk not in named]
    result: dict[int, CustomerAddress] = {}
    pending: list[tuple[int, dict[str, Any]]] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(addresses):
        fields = cast("dict[str, Any]", {k: v for k, v in item.items() if k != "id"})
        if "id" in item:
            updates.append((index, fields))
            continue
        twin = next((address for address in unclaimed if _is_twin(address, fields)), None)
        if twin is not None:
            unclaimed.remove(twin)
            result[index] = twin
        else:
            pending.append((index, fields))
    # Removals first, so the defaults of what remains settle before updates.
    for address in unclaimed:
        _remove_locked(tenant=tenant, actor=actor, address=address)
    for index, fields in updates:
        address = existing[addresses[index]["id"]]
        address.refresh_from_db(fields=["is_default"])
        result[index] = _update_locked(
            tenant=tenant,
            actor=actor,
            address=address,
            data=fields,
            prefix=f"addresses[{index}].",
        )
    for index, fields in pending:
        result[index] = address_add_locked(
            tenant=tenant, actor=actor, customer=customer, data=fields, index=index
        )
    for address in result.values():
        address.refresh_from_db(fields=["is_default"])
    return [result[index] for index in sorted(result)]


@transaction.atomic
def customer_addresses_sync(
    *, tenant: Tenant, actor: Actor, customer: Customer, addresses: Sequence[AddressData]
) -> list[CustomerAddress]:
    customer = lock_customer(tenant=tenant, customer=customer)
    result = addresses_sync_locked(
        tenant=tenant, actor=actor, customer=customer, addresses=addresses
    )
    touch_customer(customer)
    return result
