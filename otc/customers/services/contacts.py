"""Contacts of a customer: the people invoices, reminders and signatures go to.

Contact changes are recorded on the customer's audit trail (prefixed
``contact.``) so the customer's history tells the whole story.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, cast

from django.db import transaction

from otc.audit.services import Actor, audit_record, snapshot
from otc.customers.models import ContactRole, Customer, CustomerContact
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


class ContactFields(TypedDict, total=False):
    name: str
    job_title: str
    email: str
    phone: str
    roles: Sequence[str]


class ContactData(ContactFields, total=False):
    """A contact in a nested write; with ``id`` it names an existing one."""

    id: int


CONTACT_AUDIT_FIELDS = ["name", "job_title", "email", "phone", "roles"]


def _state(contact: CustomerContact) -> dict[str, Any]:
    state = snapshot(contact, CONTACT_AUDIT_FIELDS)
    state["roles"] = list(contact.roles)  # a copy: the list is edited in place later
    return state


def _validate(contact: CustomerContact, *, prefix: str = "") -> None:
    contact.name = str(contact.name or "").strip()
    contact.email = str(contact.email or "").strip().lower()
    contact.phone = str(contact.phone or "").strip()
    contact.job_title = str(contact.job_title or "").strip()
    roles = list(dict.fromkeys(contact.roles or []))  # keep the order, drop repeats
    contact.roles = roles
    errors: dict[str, list[str]] = {}
    unknown = [str(role) for role in roles if role not in ContactRole.values]
    if unknown:
        errors[f"{prefix}roles"] = [
            f"Unknown role {', '.join(unknown)}: use {', '.join(ContactRole.values)}."
        ]
    if not contact.name:
        errors[f"{prefix}name"] = ["Enter the contact's name."]
    if ContactRole.DUNNING in roles and not contact.email:
        errors[f"{prefix}email"] = [
            "A dunning recipient needs an e-mail address: reminders are sent by e-mail."
        ]
    if errors:
        raise ValidationFailed("The contact needs fixing.", errors=errors)
    full_clean(contact, prefix=prefix, exclude=["customer"])


def _build(customer: Customer, data: Mapping[str, Any]) -> CustomerContact:
    return CustomerContact(
        tenant_id=customer.tenant_id,
        customer=customer,
        name=data.get("name", ""),
        job_title=data.get("job_title", ""),
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        roles=list(data.get("roles", [])),
    )


def contact_add_locked(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    data: Mapping[str, Any],
    index: int | None = None,
) -> CustomerContact:
    """Add a contact to a customer the caller has locked already."""
    contact = _build(customer, data)
    _validate(contact, prefix=f"contacts[{index}]." if index is not None else "")
    contact.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.contact_added",
        instance=customer,
        changes=prefixed(added({"id": contact.pk, **_state(contact)}), "contact"),
    )
    return contact


def _update_locked(
    *,
    tenant: Tenant,
    actor: Actor,
    contact: CustomerContact,
    data: Mapping[str, Any],
    prefix: str = "",
) -> CustomerContact:
    before = _state(contact)
    for name, value in data.items():
        setattr(contact, name, list(value) if name == "roles" else value)
    _validate(contact, prefix=prefix)
    changes = changed(before, _state(contact))
    if changes:
        contact.save()
        audit_record(
            tenant=tenant,
            actor=actor,
            action="customer.contact_updated",
            instance=contact.customer,
            changes={
                "contact.id": {"before": contact.pk, "after": contact.pk},
                **prefixed(changes, "contact"),
            },
        )
    return contact


def _remove_locked(*, tenant: Tenant, actor: Actor, contact: CustomerContact) -> None:
    before = {"id": contact.pk, **_state(contact)}
    customer = contact.customer
    contact.delete()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.contact_removed",
        instance=customer,
        changes=prefixed(removed(before), "contact"),
    )


def _reload(*, tenant: Tenant, contact: CustomerContact) -> tuple[Customer, CustomerContact]:
    check_same_tenant(contact, tenant)
    customer = lock_customer(tenant=tenant, customer=contact.customer)
    fresh = CustomerContact.objects.for_tenant(tenant).get(pk=contact.pk)
    fresh.customer = customer
    return customer, fresh


@transaction.atomic
def customer_contact_add(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    name: str,
    job_title: str = "",
    email: str = "",
    phone: str = "",
    roles: Sequence[str] = (),
) -> CustomerContact:
    customer = lock_customer(tenant=tenant, customer=customer)
    contact = contact_add_locked(
        tenant=tenant,
        actor=actor,
        customer=customer,
        data={"name": name, "job_title": job_title, "email": email, "phone": phone, "roles": roles},
    )
    touch_customer(customer)
    return contact


@transaction.atomic
def customer_contact_update(
    *, tenant: Tenant, actor: Actor, contact: CustomerContact, data: ContactFields
) -> CustomerContact:
    customer, contact = _reload(tenant=tenant, contact=contact)
    contact = _update_locked(tenant=tenant, actor=actor, contact=contact, data=data)
    touch_customer(customer)
    return contact


@transaction.atomic
def customer_contact_remove(*, tenant: Tenant, actor: Actor, contact: CustomerContact) -> None:
    customer, contact = _reload(tenant=tenant, contact=contact)
    _remove_locked(tenant=tenant, actor=actor, contact=contact)
    touch_customer(customer)


def _is_twin(contact: CustomerContact, data: Mapping[str, Any]) -> bool:
    probe = _build(contact.customer, data)
    try:
        _validate(probe)
    except ValidationFailed:
        return False
    return _state(probe) == _state(contact)


def contacts_sync_locked(
    *, tenant: Tenant, actor: Actor, customer: Customer, contacts: Sequence[ContactData]
) -> list[CustomerContact]:
    """Make a locked customer's contacts exactly `contacts`.

    An item with ``id`` updates that contact; an item without one reuses an
    identical unnamed contact or creates a new one; contacts not named are
    removed. Sending the same list twice changes nothing the second time,
    which is what an ERP re-sending its record expects.
    """
    existing = {
        contact.pk: contact
        for contact in CustomerContact.objects.for_tenant(tenant).filter(customer=customer)
    }
    for contact in existing.values():
        contact.customer = customer
    named: set[int] = set()
    for index, item in enumerate(contacts):
        contact_id = item.get("id")
        if contact_id is not None and (contact_id not in existing or contact_id in named):
            raise ValidationFailed(
                "Unknown contact.",
                errors={f"contacts[{index}].id": [f"This customer has no contact {contact_id}."]},
            )
        if contact_id is not None:
            named.add(contact_id)
    unclaimed = [contact for pk, contact in existing.items() if pk not in named]
    result: dict[int, CustomerContact] = {}
    pending: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(contacts):
        fields = cast("dict[str, Any]", {k: v for k, v in item.items() if k != "id"})
        if "id" in item:
            result[index] = _update_locked(
                tenant=tenant,
                actor=actor,
                contact=existing[item["id"]],
                data=fields,
                prefix=f"contacts[{index}].",
            )
            continue
        twin = next((contact for contact in unclaimed if _is_twin(contact, fields)), None)
        if twin is not None:
            unclaimed.remove(twin)
            result[index] = twin
        else:
            pending.append((index, fields))
    for contact in unclaimed:
        _remove_locked(tenant=tenant, actor=actor, contact=contact)
    for index, fields in pending:
        result[index] = contact_add_locked(
            tenant=tenant, actor=actor, customer=customer, data=fields, index=index
        )
    return [result[index] for index in sorted(result)]


@transaction.atomic
def customer_contacts_sync(
    *, tenant: Tenant, actor: Actor, customer: Customer, contacts: Sequence[ContactData]
) -> list[CustomerContact]:
    customer = lock_customer(tenant=tenant, customer=customer)
    result = contacts_sync_locked(tenant=tenant, actor=actor, customer=customer, contacts=contacts)
    touch_customer(customer)
    return result
