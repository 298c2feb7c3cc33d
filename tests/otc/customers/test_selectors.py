"""Customer reads: filters, lookups that treat another tenant's ids as
missing, group members and the customer's audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otc.customers.models import Customer
from otc.customers.selectors import (
    collector_choices,
    customer_audit_events,
    customer_contact_get,
    customer_get,
    customer_group_members,
    customer_group_path,
    customer_list,
    customer_tax_id_display,
    tenant_user_get,
)
from otc.customers.services import customer_contact_add, customer_update
from otc.errors import NotFound
from tests.factories import CustomerContactFactory, CustomerFactory

pytestmark = pytest.mark.usefixtures("in_tenant_a")


def _numbers(queryset):
    return sorted(queryset.values_list("number", flat=True))


def test_search_covers_name_number_external_ref_and_tax_id(tenant_a):
    CustomerFactory(number="K1", legal_name="Müller Logistik GmbH")
    CustomerFactory(number="K2", legal_name="Other", trading_name="Mueller Trade")
    CustomerFactory(number="K3", legal_name="Third", external_ref="SAP-4711")
    CustomerFactory(number="K4", legal_name="Fourth", tax_id="DE136695976")
    assert _numbers(customer_list(tenant=tenant_a, q="müller")) == ["K1"]
    assert _numbers(customer_list(tenant=tenant_a, q="mueller")) == ["K2"]
    assert _numbers(customer_list(tenant=tenant_a, q="sap-47")) == ["K3"]
    assert _numbers(customer_list(tenant=tenant_a, q="de 136 695")) == ["K4"]
    assert _numbers(customer_list(tenant=tenant_a, q="K")) == ["K1", "K2", "K3", "K4"]


def test_filters_combine(tenant_a, collector_a):
    parent = CustomerFactory(number="P")
    CustomerFactory(number="A", status="on_hold", country="FR", currency="EUR", parent=parent)
    CustomerFactory(number="B", status="on_hold", country="US", currency="USD")
    CustomerFactory(number="C", status="active", country="FR", collector=collector_a)
    assert _numbers(customer_list(tenant=tenant_a, status="on_hold")) == ["A", "B"]
    assert _numbers(customer_list(tenant=tenant_a, status="on_hold", country="fr")) == ["A"]
    assert _numbers(customer_list(tenant=tenant_a, currency="usd")) == ["B"]
    assert _numbers(customer_list(tenant=tenant_a, collector_id=collector_a.pk)) == ["C"]
    assert _numbers(customer_list(tenant=tenant_a, collector_email="COLLECTOR@alpha.example")) == [
        "C"
    ]
    assert _numbers(customer_list(tenant=tenant_a, parent_id=parent.pk)) == ["A"]


def test_updated_since_finds_recent_changes(tenant_a, actor):
    old = CustomerFactory(number="OLD")
    Customer.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    CustomerFactory(number="NEW")
    since = timezone.now() - timedelta(days=1)
    assert _numbers(customer_list(tenant=tenant_a, updated_since=since)) == ["NEW"]
    customer_update(tenant=tenant_a, actor=actor, customer=old, data={"notes": "touched"})
    assert _numbers(customer_list(tenant=tenant_a, updated_since=since)) == ["NEW", "OLD"]


def test_list_is_scoped_to_the_tenant(tenant_a, customer_a, customer_b):
    assert list(customer_list(tenant=tenant_a)) == [customer_a]
    assert list(customer_list(tenant=tenant_a, q="Bravo")) == []


@pytest.mark.parametrize("bad_id", ["abc", "-1", "0", str(2**70), ""])
def test_get_with_garbage_ids_is_not_found(tenant_a, bad_id):
    with pytest.raises(NotFound):
        customer_get(tenant=tenant_a, customer_id=bad_id)


def test_get_another_tenants_customer_is_not_found(tenant_a, customer_a, customer_b):
    assert customer_get(tenant=tenant_a, customer_id=customer_a.pk) == customer_a
    with pytest.raises(NotFound):
        customer_get(tenant=tenant_a, customer_id=customer_b.pk)


def test_contact_get_is_scoped_to_its_customer(tenant_a, customer_a):
    other = CustomerFactory()
    contact = CustomerContactFactory(customer=other)
    with pytest.raises(NotFound):
        customer_contact_get(tenant=tenant_a, customer=customer_a, contact_id=contact.pk)


def test_group_members_and_path(tenant_a):
    top = CustomerFactory(legal_name="Top")
    middle = CustomerFactory(legal_name="Middle", parent=top)
    leaf = CustomerFactory(legal_name="Leaf", parent=middle)
    assert customer_group_members(tenant=tenant_a, customer=top) == [middle]
    assert customer_group_path(tenant=tenant_a, customer=leaf) == [top, middle]


def test_audit_events_of_a_customer_include_child_changes(tenant_a, actor, customer_a):
    customer_update(tenant=tenant_a, actor=actor, customer=customer_a, data={"segment": "SMB"})
    customer_contact_add(tenant=tenant_a, actor=actor, customer=customer_a, name="Jo")
    other = CustomerFactory()
    customer_update(tenant=tenant_a, actor=actor, customer=other, data={"segment": "X"})
    actions = [e.action for e in customer_audit_events(tenant=tenant_a, customer=customer_a)]
    assert actions == ["customer.contact_added", "customer.updated"]


def test_collector_choices_and_user_lookup_stay_in_the_tenant(
    tenant_a, owner_a, collector_a, clerk_a, collector_b
):
    emails = {choice.email for choice in collector_choices(tenant=tenant_a)}
    assert emails == {owner_a.email, collector_a.email}  # the clerk does not collect
    assert tenant_user_get(tenant=tenant_a, email="Collector@Alpha.example") == collector_a
    with pytest.raises(NotFound):
        tenant_user_get(tenant=tenant_a, email=collector_b.email)
    with pytest.raises(NotFound):
        tenant_user_get(tenant=tenant_a, user_id=collector_b.pk)


def test_tax_id_display_uses_the_countrys_notation(tenant_a):
    us = CustomerFactory(country="US", tax_id="042103594")
    de = CustomerFactory(country="DE", tax_id="DE136695976")
    assert customer_tax_id_display(customer=us) == "04-2103594"
    assert customer_tax_id_display(customer=de) == "DE136695976"
