"""Customer services: validation, numbering, hierarchy, collector, status
moves and the audit trail they leave."""

from __future__ import annotations

import pytest

from otc.audit.models import AuditEvent
from otc.customers.models import Customer
from otc.customers.services import (
    STATUS_TRANSITIONS,
    customer_create,
    customer_set_status,
    customer_update,
    customer_upsert_by_external_ref,
)
from otc.errors import IllegalTransition, ValidationFailed
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory, MembershipFactory, PaymentTermsFactory, UserFactory

pytestmark = pytest.mark.usefixtures("in_tenant_a")


def _events(customer, action):
    return list(
        AuditEvent.objects.filter(
            object_type="customers.customer", object_id=str(customer.pk), action=action
        )
    )


def test_create_fills_defaults_from_the_tenant_and_numbers_automatically(tenant_a, actor):
    first = customer_create(tenant=tenant_a, actor=actor, legal_name="  Acme GmbH ", country="de")
    second = customer_create(tenant=tenant_a, actor=actor, legal_name="Beta AG", country="DE")
    assert first.legal_name == "Acme GmbH"
    assert str(first.country) == "DE"
    assert first.currency == "EUR"  # tenant_a's base currency
    assert first.language == "en"
    assert first.status == "active"
    assert (first.number, second.number) == ("C00001", "C00002")


def test_automatic_numbers_skip_numbers_typed_by_hand(tenant_a, actor):
    customer_create(
        tenant=tenant_a, actor=actor, legal_name="Manual", country="DE", number="C00001"
    )
    auto = customer_create(tenant=tenant_a, actor=actor, legal_name="Auto", country="DE")
    assert auto.number == "C00002"


def test_create_writes_an_audit_event_with_the_new_values(tenant_a, actor):
    customer = customer_create(
        tenant=tenant_a, actor=actor, legal_name="Acme GmbH", country="DE", tax_id="136695976"
    )
    (event,) = _events(customer, "customer.created")
    assert event.actor_user == actor.user
    assert event.changes["legal_name"] == {"before": None, "after": "Acme GmbH"}
    assert event.changes["tax_id"] == {"before": None, "after": "DE136695976"}


@pytest.mark.parametrize(
    ("country", "tax_id", "stored"),
    [
        ("DE", "DE 136 695 976", "DE136695976"),
        ("FR", "40303265045", "FR40303265045"),
        ("US", "04-2103594", "042103594"),
        ("GB", "GB980780684", "GB980780684"),
        ("CH", "CHE-107.787.577", "CHE107787577"),
    ],
)
def test_tax_id_is_validated_by_country_and_stored_normalized(
    tenant_a, actor, country, tax_id, stored
):
    customer = customer_create(
        tenant=tenant_a, actor=actor, legal_name="Taxed", country=country, tax_id=tax_id
    )
    assert Customer.objects.get(pk=customer.pk).tax_id == stored


@pytest.mark.parametrize(
    ("country", "tax_id", "words"),
    [
        ("DE", "DE136695978", "check digit"),
        ("DE", "FR40303265045", "starts with FR"),
        ("US", "12-345", "US EIN"),
        ("CH", "CHE-107.787.578", "Swiss UID"),
    ],
)
def test_invalid_tax_id_is_refused_with_a_field_error(tenant_a, actor, country, tax_id, words):
    with pytest.raises(ValidationFailed) as error:
        customer_create(
            tenant=tenant_a, actor=actor, legal_name="Taxed", country=country, tax_id=tax_id
        )
    assert words in " ".join(error.value.errors["tax_id"])
    assert not Customer.objects.exists()


def test_changing_the_country_rechecks_the_tax_id(tenant_a, actor):
    customer = customer_create(
        tenant=tenant_a, actor=actor, legal_name="Mover", country="DE", tax_id="DE136695976"
    )
    with pytest.raises(ValidationFailed) as error:
        customer_update(tenant=tenant_a, actor=actor, customer=customer, data={"country": "FR"})
    assert "starts with DE" in error.value.errors["tax_id"][0]
    customer.refresh_from_db()
    assert str(customer.country) == "DE"


def test_required_and_enumerated_fields_say_what_to_fix(tenant_a, actor):
    with pytest.raises(ValidationFailed) as error:
        customer_create(
            tenant=tenant_a,
            actor=actor,
            legal_name=" ",
            country="DE",
            currency="EURO",
            language="xx",
        )
    errors = error.value.errors
    assert "legal name" in errors["legal_name"][0]
    assert "ISO 4217" in errors["currency"][0]
    assert "cannot be printed in 'xx'" in errors["language"][0]


def test_number_and_external_ref_are_unique_per_tenant_only(tenant_a, tenant_b, actor, owner_b):
    customer_create(
        tenant=tenant_a, actor=actor, legal_name="One", country="DE", number="N1", external_ref="E1"
    )
    with pytest.raises(ValidationFailed) as error:
        customer_create(
            tenant=tenant_a,
            actor=actor,
            legal_name="Two",
            country="DE",
            number="N1",
            external_ref="E1",
        )
    assert "belongs to One" in error.value.errors["number"][0]
    assert "E1" in error.value.errors["external_ref"][0]
    with tenant_context(tenant_b):
        other = customer_create(
            tenant=tenant_b,
            actor=actor,
            legal_name="Same ids elsewhere",
            country="US",
            number="N1",
            external_ref="E1",
        )
    assert other.number == "N1"


def test_blank_external_ref_is_stored_as_null_so_many_customers_can_lack_one(tenant_a, actor):
    one = customer_create(
        tenant=tenant_a, actor=actor, legal_name="A", country="DE", external_ref=" "
    )
    two = customer_create(
        tenant=tenant_a, actor=actor, legal_name="B", country="DE", external_ref=""
    )
    assert one.external_ref is None
    assert two.external_ref is None


def test_update_records_only_changed_fields_before_and_after(tenant_a, actor, customer_a):
    customer_update(
        tenant=tenant_a,
        actor=actor,
        customer=customer_a,
        data={"legal_name": "Acme Holding GmbH", "segment": "Enterprise", "region": ""},
    )
    (event,) = _events(customer_a, "customer.updated")
    assert event.changes == {
        "legal_name": {"before": "Acme Maschinenbau GmbH", "after": "Acme Holding GmbH"},
        "segment": {"before": "", "after": "Enterprise"},
    }


def test_update_without_changes_writes_no_event(tenant_a, actor, customer_a):
    customer_update(
        tenant=tenant_a,
        actor=actor,
        customer=customer_a,
        data={"legal_name": customer_a.legal_name},
    )
    assert _events(customer_a, "customer.updated") == []


def test_update_refuses_an_empty_number(tenant_a, actor, customer_a):
    with pytest.raises(ValidationFailed) as error:
        customer_update(tenant=tenant_a, actor=actor, customer=customer_a, data={"number": ""})
    assert "number" in error.value.errors


# --- hierarchy ---------------------------------------------------------------------


def test_parent_links_customers_into_a_group(tenant_a, actor):
    group = CustomerFactory(legal_name="Group")
    child = customer_create(
        tenant=tenant_a, actor=actor, legal_name="Child", country="DE", parent=group
    )
    assert child.parent == group


def test_parent_cycle_is_refused(tenant_a, actor):
    top = CustomerFactory(legal_name="Top")
    middle = CustomerFactory(legal_name="Middle", parent=top)
    bottom = CustomerFactory(legal_name="Bottom", parent=middle)
    with pytest.raises(ValidationFailed) as error:
        customer_update(tenant=tenant_a, actor=actor, customer=top, data={"parent": bottom})
    assert "cannot be its parent too" in error.value.errors["parent"][0]
    top.refresh_from_db()
    assert top.parent_id is None


def test_customer_cannot_be_its_own_parent(tenant_a, actor, customer_a):
    with pytest.raises(ValidationFailed) as error:
        customer_update(
            tenant=tenant_a, actor=actor, customer=customer_a, data={"parent": customer_a}
        )
    assert "own parent" in error.value.errors["parent"][0]


def test_parent_from_another_tenant_is_refused_like_a_missing_one(
    tenant_a, actor, customer_a, customer_b
):
    with pytest.raises(ValidationFailed) as error:
        customer_update(
            tenant=tenant_a, actor=actor, customer=customer_a, data={"parent": customer_b}
        )
    assert error.value.errors["parent"] == ["Choose a parent customer that exists."]


# --- collector ---------------------------------------------------------------------


@pytest.mark.usefixtures("collector_b")
def test_collector_must_be_an_active_member_who_works_collections(
    tenant_a, actor, customer_a, collector_a, clerk_a
):
    customer = customer_update(
        tenant=tenant_a, actor=actor, customer=customer_a, data={"collector": collector_a}
    )
    assert customer.collector == collector_a

    stranger = UserFactory(email="collector@bravo.example")  # a member of tenant B only
    with pytest.raises(ValidationFailed) as error:
        customer_update(
            tenant=tenant_a, actor=actor, customer=customer_a, data={"collector": stranger}
        )
    assert "not a member of this company" in error.value.errors["collector"][0]

    with pytest.raises(ValidationFailed) as error:
        customer_update(
            tenant=tenant_a, actor=actor, customer=customer_a, data={"collector": clerk_a}
        )
    assert "AR clerk" in error.value.errors["collector"][0]


def test_inactive_member_cannot_be_collector(tenant_a, actor, customer_a):
    user = UserFactory(email="gone@alpha.example")
    MembershipFactory(user=user, role="collector", is_active=False)
    with pytest.raises(ValidationFailed):
        customer_update(tenant=tenant_a, actor=actor, customer=customer_a, data={"collector": user})


# --- payment terms on customers ---------------------------------------------------


def test_inactive_terms_cannot_be_newly_assigned_but_existing_ones_stay(tenant_a, actor):
    terms = PaymentTermsFactory(code="OLD", is_active=False)
    with pytest.raises(ValidationFailed) as error:
        customer_create(
            tenant=tenant_a, actor=actor, legal_name="X", country="DE", payment_terms=terms
        )
    assert "inactive" in error.value.errors["payment_terms"][0]

    customer = CustomerFactory(payment_terms=terms)
    updated = customer_update(
        tenant=tenant_a, actor=actor, customer=customer, data={"payment_terms": terms, "notes": "x"}
    )
    assert updated.payment_terms == terms


# --- status ------------------------------------------------------------------------


def test_status_transition_table_is_followed_and_audited(tenant_a, actor, customer_a):
    held = customer_set_status(
        tenant=tenant_a, actor=actor, customer=customer_a, status="on_hold", reason="Overdue 90d"
    )
    assert held.status == "on_hold"
    (event,) = _events(customer_a, "customer.status_changed")
    assert event.changes["status"] == {"before": "active", "after": "on_hold"}
    assert event.changes["reason"]["after"] == "Overdue 90d"


@pytest.mark.parametrize(
    ("start", "target"),
    [("closed", "on_hold"), ("closed", "in_legal"), ("in_legal", "on_hold"), ("active", "active")],
)
def test_illegal_status_moves_raise(tenant_a, actor, start, target):
    customer = CustomerFactory(status=start)
    with pytest.raises(IllegalTransition) as error:
        customer_set_status(tenant=tenant_a, actor=actor, customer=customer, status=target)
    assert error.value.current == start
    assert error.value.requested == target
    customer.refresh_from_db()
    assert customer.status == start
    assert _events(customer, "customer.status_changed") == []


def test_every_status_can_close_and_closed_can_only_reopen():
    assert all("closed" in STATUS_TRANSITIONS[s] for s in ("active", "on_hold", "in_legal"))
    assert STATUS_TRANSITIONS["closed"] == frozenset({"active"})


def test_unknown_status_is_a_validation_error(tenant_a, actor, customer_a):
    with pytest.raises(ValidationFailed):
        customer_set_status(tenant=tenant_a, actor=actor, customer=customer_a, status="deleted")


# --- upsert ---------------------------------------------------------------------


def test_upsert_creates_then_updates_and_repeats_are_no_ops(tenant_a, actor, collector_a):
    data = {"legal_name": "ERP Kunde GmbH", "country": "DE", "tax_id": "DE136695976"}
    created, was_created = customer_upsert_by_external_ref(
        tenant=tenant_a, actor=actor, external_ref="ERP-1", data=data
    )
    assert was_created
    assert created.external_ref == "ERP-1"
    # OTC-owned data survives an ERP update that does not mention it.
    customer_update(tenant=tenant_a, actor=actor, customer=created, data={"collector": collector_a})

    again, was_created = customer_upsert_by_external_ref(
        tenant=tenant_a, actor=actor, external_ref="ERP-1", data=data
    )
    assert not was_created
    assert again.pk == created.pk
    assert again.collector == collector_a
    assert len(_events(created, "customer.updated")) == 1  # only the collector change

    renamed, _ = customer_upsert_by_external_ref(
        tenant=tenant_a, actor=actor, external_ref="ERP-1", data={"legal_name": "ERP Kunde AG"}
    )
    assert renamed.legal_name == "ERP Kunde AG"
    assert Customer.objects.count() == 1


def test_upsert_of_a_new_customer_needs_name_and_country(tenant_a, actor):
    with pytest.raises(ValidationFailed) as error:
        customer_upsert_by_external_ref(
            tenant=tenant_a, actor=actor, external_ref="ERP-2", data={"segment": "SMB"}
        )
    assert set(error.value.errors) == {"legal_name", "country"}


def test_upsert_refuses_a_different_ref_in_the_body(tenant_a, actor):
    with pytest.raises(ValidationFailed):
        customer_upsert_by_external_ref(
            tenant=tenant_a,
            actor=actor,
            external_ref="ERP-3",
            data={"legal_name": "X", "country": "DE", "external_ref": "OTHER"},
        )
