"""Contacts and addresses: validation, defaults per kind, sync semantics, and
the audit trail recorded on the customer."""

from __future__ import annotations

import pytest

from otc.audit.models import AuditEvent
from otc.customers.models import CustomerAddress, CustomerContact
from otc.customers.selectors import customer_contacts_for_role
from otc.customers.services import (
    customer_address_add,
    customer_address_remove,
    customer_address_update,
    customer_addresses_sync,
    customer_contact_add,
    customer_contact_remove,
    customer_contact_update,
    customer_contacts_sync,
    customer_create,
)
from otc.errors import ValidationFailed
from tests.factories import CustomerAddressFactory, CustomerContactFactory

pytestmark = pytest.mark.usefixtures("in_tenant_a")


def _customer_events(customer, action):
    return list(
        AuditEvent.objects.filter(
            object_type="customers.customer", object_id=str(customer.pk), action=action
        ).order_by("id")
    )


# --- contacts ------------------------------------------------------------------


def test_contact_add_with_several_roles_is_audited_on_the_customer(tenant_a, actor, customer_a):
    before = customer_a.updated_at
    contact = customer_contact_add(
        tenant=tenant_a,
        actor=actor,
        customer=customer_a,
        name="Petra Payables",
        email="AP@Acme.example",
        roles=["ap", "dunning", "ap"],
    )
    assert contact.email == "ap@acme.example"
    assert contact.roles == ["ap", "dunning"]
    (event,) = _customer_events(customer_a, "customer.contact_added")
    assert event.changes["contact.name"] == {"before": None, "after": "Petra Payables"}
    assert event.changes["contact.id"]["after"] == contact.pk
    customer_a.refresh_from_db()
    assert customer_a.updated_at > before  # delta sync sees the change


def test_dunning_recipient_needs_an_email(tenant_a, actor, customer_a):
    with pytest.raises(ValidationFailed) as error:
        customer_contact_add(
            tenant=tenant_a, actor=actor, customer=customer_a, name="No Mail", roles=["dunning"]
        )
    assert "reminders are sent by e-mail" in error.value.errors["email"][0]


def test_unknown_role_and_bad_email_are_refused(tenant_a, actor, customer_a):
    with pytest.raises(ValidationFailed) as error:
        customer_contact_add(
            tenant=tenant_a, actor=actor, customer=customer_a, name="X", roles=["boss"]
        )
    assert "Unknown role boss" in error.value.errors["roles"][0]
    with pytest.raises(ValidationFailed) as error:
        customer_contact_add(
            tenant=tenant_a, actor=actor, customer=customer_a, name="X", email="not-an-email"
        )
    assert "email" in error.value.errors


def test_contact_update_and_remove_are_audited(tenant_a, actor, customer_a):
    contact = CustomerContactFactory(customer=customer_a, name="Old Name", roles=["ap"])
    customer_contact_update(
        tenant=tenant_a,
        actor=actor,
        contact=contact,
        data={"name": "New Name", "roles": ["signer"]},
    )
    (updated,) = _customer_events(customer_a, "customer.contact_updated")
    assert updated.changes["contact.name"] == {"before": "Old Name", "after": "New Name"}
    assert updated.changes["contact.roles"] == {"before": "['ap']", "after": "['signer']"}

    customer_contact_remove(tenant=tenant_a, actor=actor, contact=contact)
    assert not CustomerContact.objects.filter(pk=contact.pk).exists()
    (removed,) = _customer_events(customer_a, "customer.contact_removed")
    assert removed.changes["contact.name"] == {"before": "New Name", "after": None}


def test_contacts_for_role(tenant_a, customer_a):
    ap = CustomerContactFactory(customer=customer_a, roles=["ap"])
    both = CustomerContactFactory(customer=customer_a, roles=["ap", "dunning"])
    CustomerContactFactory(customer=customer_a, roles=["signer"])
    found = customer_contacts_for_role(tenant=tenant_a, customer=customer_a, role="dunning")
    assert found == [both]
    found = customer_contacts_for_role(tenant=tenant_a, customer=customer_a, role="ap")
    assert {c.pk for c in found} == {ap.pk, both.pk}


def test_contacts_sync_updates_keeps_twins_adds_and_removes(tenant_a, actor, customer_a):
    keep = CustomerContactFactory(customer=customer_a, name="Keep", email="keep@x.example")
    twin = CustomerContactFactory(
        customer=customer_a, name="Twin", email="twin@x.example", roles=["ap"]
    )
    drop = CustomerContactFactory(customer=customer_a, name="Drop")
    wanted = [
        {"id": keep.pk, "name": "Kept", "email": "keep@x.example"},
        {"name": "Twin", "email": "TWIN@x.example", "roles": ["ap"]},
        {"name": "Fresh", "email": "fresh@x.example", "roles": ["dunning"]},
    ]
    result = customer_contacts_sync(
        tenant=tenant_a, actor=actor, customer=customer_a, contacts=wanted
    )
    assert [c.name for c in result] == ["Kept", "Twin", "Fresh"]
    assert result[0].roles == ["ap"]  # fields an item leaves out stay as they were
    assert result[1].pk == twin.pk
    assert not CustomerContact.objects.filter(pk=drop.pk).exists()
    assert CustomerContact.objects.filter(customer=customer_a).count() == 3

    events_before = AuditEvent.objects.count()
    customer_contacts_sync(tenant=tenant_a, actor=actor, customer=customer_a, contacts=wanted)
    assert AuditEvent.objects.count() == events_before  # the repeat changed nothing
    assert set(CustomerContact.objects.values_list("pk", flat=True)) == {c.pk for c in result}


def test_contacts_sync_refuses_an_id_of_another_customer(tenant_a, actor, customer_a):
    stranger = CustomerContactFactory()
    with pytest.raises(ValidationFailed) as error:
        customer_contacts_sync(
            tenant=tenant_a,
            actor=actor,
            customer=customer_a,
            contacts=[{"id": stranger.pk, "name": "Hijack"}],
        )
    assert "contacts[0].id" in error.value.errors
    stranger.refresh_from_db()
    assert stranger.name != "Hijack"


def test_nested_errors_name_the_item(tenant_a, actor):
    with pytest.raises(ValidationFailed) as error:
        customer_create(
            tenant=tenant_a,
            actor=actor,
            legal_name="Nested",
            country="DE",
            contacts=[{"name": "Ok"}, {"name": "", "roles": ["dunning"]}],
        )
    assert set(error.value.errors) == {"contacts[1].name", "contacts[1].email"}


# --- addresses -----------------------------------------------------------------


def test_first_address_of_a_kind_becomes_default_and_country_defaults(tenant_a, actor, customer_a):
    billing = customer_address_add(
        tenant=tenant_a,
        actor=actor,
        customer=customer_a,
        kind="billing",
        line1="Hauptstr. 1",
        city="Berlin",
        postal_code="10115",
    )
    assert billing.is_default
    assert str(billing.country) == "DE"
    second = customer_address_add(
        tenant=tenant_a,
        actor=actor,
        customer=customer_a,
        kind="billing",
        line1="Nebenstr. 2",
        city="Berlin",
    )
    assert not second.is_default
    shipping = customer_address_add(
        tenant=tenant_a,
        actor=actor,
        customer=customer_a,
        kind="shipping",
        line1="Lager 3",
        city="Hamburg",
    )
    assert shipping.is_default


def test_making_another_address_default_moves_the_flag(tenant_a, actor, customer_a):
    first = CustomerAddressFactory(customer=customer_a, kind="billing", is_default=True)
    second = CustomerAddressFactory(customer=customer_a, kind="billing", is_default=False)
    customer_address_update(tenant=tenant_a, actor=actor, address=second, data={"is_default": True})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


def test_removing_the_default_promotes_the_oldest_remaining(tenant_a, actor, customer_a):
    default = CustomerAddressFactory(customer=customer_a, kind="billing", is_default=True)
    older = CustomerAddressFactory(customer=customer_a, kind="billing", is_default=False)
    CustomerAddressFactory(customer=customer_a, kind="billing", is_default=False)
    customer_address_remove(tenant=tenant_a, actor=actor, address=default)
    older.refresh_from_db()
    assert older.is_default
    (event,) = _customer_events(customer_a, "customer.address_removed")
    assert event.changes["address.line1"]["before"] == default.line1


def test_address_needs_street_city_and_a_known_kind(tenant_a, actor, customer_a):
    with pytest.raises(ValidationFailed) as error:
        customer_address_add(
            tenant=tenant_a, actor=actor, customer=customer_a, kind="postal", line1="", city=""
        )
    assert set(error.value.errors) == {"kind", "line1", "city"}
    assert not CustomerAddress.objects.exists()


def test_address_update_is_audited_with_before_and_after(tenant_a, actor, customer_a):
    address = CustomerAddressFactory(customer=customer_a, city="Berlin")
    customer_address_update(tenant=tenant_a, actor=actor, address=address, data={"city": "Bonn"})
    (event,) = _customer_events(customer_a, "customer.address_updated")
    assert event.changes["address.city"] == {"before": "Berlin", "after": "Bonn"}
    assert event.changes["address.id"]["after"] == address.pk


def test_addresses_sync_replaces_the_list_and_repeats_are_no_ops(tenant_a, actor, customer_a):
    old = CustomerAddressFactory(customer=customer_a, kind="billing", line1="Old 1")
    wanted = [
        {"kind": "billing", "line1": "New 1", "city": "Munich", "country": "DE"},
        {"kind": "shipping", "line1": "Dock 7", "city": "Hamburg"},
    ]
    first = customer_addresses_sync(
        tenant=tenant_a, actor=actor, customer=customer_a, addresses=wanted
    )
    assert not CustomerAddress.objects.filter(pk=old.pk).exists()
    assert [(a.kind, a.is_default) for a in first] == [("billing", True), ("shipping", True)]
    events = AuditEvent.objects.count()
    second = customer_addresses_sync(
        tenant=tenant_a, actor=actor, customer=customer_a, addresses=wanted
    )
    assert [a.pk for a in second] == [a.pk for a in first]
    assert AuditEvent.objects.count() == events
