"""The customer pages: lists, detail, forms, permissions and isolation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from otc.audit.models import AuditEvent
from otc.customers.models import Customer, CustomerAddress, CustomerContact, PaymentTerms
from otc.tenancy.context import tenant_context
from tests.factories import (
    CustomerAddressFactory,
    CustomerContactFactory,
    CustomerFactory,
    PaymentTermsFactory,
)


@pytest.fixture
def owner_client(client, owner_a):
    client.force_login(owner_a)
    return client


@pytest.fixture
def collector_client(client, collector_a):
    client.force_login(collector_a)
    return client


# --- list ------------------------------------------------------------------------


def test_list_shows_customers_with_search_and_filters(owner_client, tenant_a, collector_a):
    with tenant_context(tenant_a):
        CustomerFactory(number="K-1", legal_name="Alpha Kunde GmbH", collector=collector_a)
        CustomerFactory(number="K-2", legal_name="Beta SARL", country="FR", status="on_hold")
    response = owner_client.get(reverse("customers:list"))
    assert response.status_code == 200
    assert b"Alpha Kunde GmbH" in response.content
    assert b"Beta SARL" in response.content

    response = owner_client.get(reverse("customers:list"), {"q": "beta"})
    assert b"Beta SARL" in response.content
    assert b"Alpha Kunde GmbH" not in response.content

    response = owner_client.get(reverse("customers:list"), {"status": "on_hold", "country": "FR"})
    assert [c.number for c in response.context["listing"].page] == ["K-2"]

    response = owner_client.get(reverse("customers:list"), {"collector": collector_a.pk})
    assert [c.number for c in response.context["listing"].page] == ["K-1"]


def test_list_sorts_by_whitelisted_columns_and_paginates(owner_client, tenant_a):
    with tenant_context(tenant_a):
        for index in range(55):
            CustomerFactory(number=f"N{index:03d}", legal_name=f"Name {54 - index:03d}")
    response = owner_client.get(reverse("customers:list"), {"sort": "-number"})
    numbers = [c.number for c in response.context["listing"].page]
    assert numbers[0] == "N054"
    assert len(numbers) == 50
    page_two = owner_client.get(reverse("customers:list"), {"sort": "-number", "page": 2})
    assert [c.number for c in page_two.context["listing"].page][-1] == "N000"
    assert b"sort=-number" in page_two.content  # the sort survives paging
    ignored = owner_client.get(reverse("customers:list"), {"sort": "tenant_id"})
    assert ignored.status_code == 200
    assert ignored.context["listing"].sort == "name"


def test_list_never_shows_another_tenants_customers(owner_client, customer_b):
    response = owner_client.get(reverse("customers:list"), {"q": "Bravo"})
    assert b"Bravo Buyer" not in response.content
    assert list(response.context["listing"].page) == []


# --- detail ------------------------------------------------------------------------


def test_detail_shows_master_data_addresses_contacts_group_and_history(
    owner_client, tenant_a, actor
):
    from otc.customers.services import customer_update

    with tenant_context(tenant_a):
        parent = CustomerFactory(legal_name="Holding AG")
        customer = CustomerFactory(legal_name="Tochter GmbH", parent=parent, tax_id="DE136695976")
        CustomerFactory(legal_name="Enkel GmbH", parent=customer)
        CustomerAddressFactory(customer=customer, line1="Hafenstraße 9")
        CustomerContactFactory(customer=customer, name="Petra Payables", roles=["ap", "dunning"])
        customer_update(tenant=tenant_a, actor=actor, customer=customer, data={"segment": "Key"})
    response = owner_client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        "Tochter GmbH",
        "DE136695976",
        "Hafenstraße 9",
        "Petra Payables",
        "Dunning recipient",
        "Holding AG",
        "Enkel GmbH",
        "customer.updated",
    ):
        assert text in body, text
    assert reverse("customers:set_status", args=[customer.pk, "on_hold"]) in body
    # The ledger's panel: this customer has nothing posted yet.
    assert "Balance and aging" in body
    assert "No open invoices, memos, deductions or unapplied payments." in body


def test_detail_of_another_tenants_customer_is_404(owner_client, customer_b):
    response = owner_client.get(reverse("customers:detail", args=[customer_b.pk]))
    assert response.status_code == 404
    missing = owner_client.get(reverse("customers:detail", args=[999_999]))
    assert missing.status_code == 404


# --- create and edit ------------------------------------------------------------


def test_create_customer_through_the_form(owner_client, tenant_a, collector_a):
    with tenant_context(tenant_a):
        terms = PaymentTermsFactory(code="NET30")
        parent = CustomerFactory(number="GRP-1")
    response = owner_client.post(
        reverse("customers:create"),
        {
            "legal_name": "Neukunde GmbH",
            "country": "DE",
            "tax_id": "DE 136 695 976",
            "currency": "EUR",
            "payment_terms": terms.pk,
            "language": "de",
            "parent_number": "GRP-1",
            "collector": collector_a.pk,
            "segment": "Mid-market",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        customer = Customer.objects.select_related("parent", "payment_terms").get(
            legal_name="Neukunde GmbH"
        )
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.tax_id == "DE136695976"
    assert customer.parent == parent
    assert customer.collector == collector_a
    assert customer.payment_terms == terms
    assert customer.number == "C00001"


def test_create_form_shows_what_to_fix(owner_client, tenant_a):
    response = owner_client.post(
        reverse("customers:create"),
        {
            "legal_name": "Falsch GmbH",
            "country": "DE",
            "tax_id": "DE136695978",
            "currency": "EUR",
            "language": "en",
            "parent_number": "NOPE",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "No customer has the number NOPE" in form.errors["parent_number"][0]
    with tenant_context(tenant_a):
        assert not Customer.objects.exists()

    response = owner_client.post(
        reverse("customers:create"),
        {
            "legal_name": "Falsch GmbH",
            "country": "DE",
            "tax_id": "DE136695978",
            "currency": "EUR",
            "language": "en",
        },
    )
    assert "check digit" in response.context["form"].errors["tax_id"][0]
    assert "check digit" in response.content.decode()

    response = owner_client.post(reverse("customers:create"), {"language": "en"})
    errors = response.context["form"].errors
    assert errors["legal_name"] == ["Enter the customer's legal name as it appears on invoices."]
    assert errors["country"] == ["Choose the country the customer is registered in."]


def test_edit_customer_records_before_and_after(owner_client, tenant_a, customer_a):
    url = reverse("customers:edit", args=[customer_a.pk])
    page = owner_client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["legal_name"] == "Acme Maschinenbau GmbH"
    data = {
        "legal_name": "Acme Holding GmbH",
        "number": customer_a.number,
        "country": "DE",
        "currency": "EUR",
        "language": "en",
    }
    response = owner_client.post(url, data)
    assert response.status_code == 302
    with tenant_context(tenant_a):
        customer_a.refresh_from_db()
        event = AuditEvent.objects.get(action="customer.updated")
    assert customer_a.legal_name == "Acme Holding GmbH"
    assert event.changes["legal_name"] == {
        "before": "Acme Maschinenbau GmbH",
        "after": "Acme Holding GmbH",
    }
    assert event.actor_label == "owner@alpha.example"


def test_edit_refuses_a_parent_cycle_on_the_parent_field(owner_client, tenant_a):
    with tenant_context(tenant_a):
        top = CustomerFactory(number="TOP")
        CustomerFactory(number="LOW", parent=top)
    response = owner_client.post(
        reverse("customers:edit", args=[top.pk]),
        {
            "legal_name": top.legal_name,
            "number": "TOP",
            "country": "DE",
            "currency": "EUR",
            "language": "en",
            "parent_number": "LOW",
        },
    )
    assert response.status_code == 200
    assert "cannot be its parent too" in response.context["form"].errors["parent_number"][0]


def test_edit_of_another_tenants_customer_is_404_and_changes_nothing(
    owner_client, tenant_b, customer_b
):
    url = reverse("customers:edit", args=[customer_b.pk])
    assert owner_client.get(url).status_code == 404
    response = owner_client.post(
        url,
        {
            "legal_name": "Hijacked",
            "number": "B-100",
            "country": "US",
            "currency": "USD",
            "language": "en",
        },
    )
    assert response.status_code == 404
    with tenant_context(tenant_b):
        customer_b.refresh_from_db()
    assert customer_b.legal_name == "Bravo Buyer Inc"


# --- permissions -----------------------------------------------------------------


def test_collector_can_view_but_not_edit(collector_client, tenant_a, customer_a):
    assert collector_client.get(reverse("customers:list")).status_code == 200
    detail = collector_client.get(reverse("customers:detail", args=[customer_a.pk]))
    assert detail.status_code == 200
    assert reverse("customers:edit", args=[customer_a.pk]) not in detail.content.decode()
    for url in (
        reverse("customers:create"),
        reverse("customers:edit", args=[customer_a.pk]),
        reverse("customers:set_status", args=[customer_a.pk, "on_hold"]),
        reverse("customers:contact_add", args=[customer_a.pk]),
        reverse("customers:address_add", args=[customer_a.pk]),
        reverse("customers:payment_terms_create"),
    ):
        assert collector_client.get(url).status_code == 403, url
    response = collector_client.post(
        reverse("customers:set_status", args=[customer_a.pk, "on_hold"]), {"reason": "x"}
    )
    assert response.status_code == 403
    with tenant_context(tenant_a):
        customer_a.refresh_from_db()
    assert customer_a.status == "active"


def test_anonymous_is_sent_to_sign_in(client, customer_a):
    response = client.get(reverse("customers:detail", args=[customer_a.pk]))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


# --- status ------------------------------------------------------------------------


def test_status_change_needs_confirmation_then_applies(owner_client, tenant_a, customer_a):
    url = reverse("customers:set_status", args=[customer_a.pk, "on_hold"])
    confirm = owner_client.get(url)
    assert confirm.status_code == 200
    assert b"Put on hold" in confirm.content
    with tenant_context(tenant_a):
        customer_a.refresh_from_db()
    assert customer_a.status == "active"  # a GET changes nothing

    response = owner_client.post(url, {"reason": "90 days overdue"}, follow=True)
    with tenant_context(tenant_a):
        customer_a.refresh_from_db()
        event = AuditEvent.objects.get(action="customer.status_changed")
    assert customer_a.status == "on_hold"
    assert event.changes["reason"]["after"] == "90 days overdue"
    assert b"is now On hold" in response.content


def test_illegal_status_move_shows_a_message(owner_client, tenant_a):
    with tenant_context(tenant_a):
        customer = CustomerFactory(status="closed")
    url = reverse("customers:set_status", args=[customer.pk, "on_hold"])
    assert b"Not possible" in owner_client.get(url).content
    response = owner_client.post(url, follow=True)
    assert b"cannot become On hold" in response.content
    with tenant_context(tenant_a):
        customer.refresh_from_db()
    assert customer.status == "closed"


def test_status_of_another_tenants_customer_is_404(owner_client, tenant_b, customer_b):
    url = reverse("customers:set_status", args=[customer_b.pk, "closed"])
    assert owner_client.post(url).status_code == 404
    with tenant_context(tenant_b):
        customer_b.refresh_from_db()
    assert customer_b.status == "active"


def test_unknown_status_is_404(owner_client, customer_a):
    url = reverse("customers:set_status", args=[customer_a.pk, "deleted"])
    assert owner_client.get(url).status_code == 404


# --- contacts and addresses ------------------------------------------------------


def test_contact_add_edit_remove(owner_client, tenant_a, customer_a):
    response = owner_client.post(
        reverse("customers:contact_add", args=[customer_a.pk]),
        {"name": "Dora Dunning", "email": "dora@acme.example", "roles": ["dunning", "ap"]},
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        contact = CustomerContact.objects.get(customer=customer_a)
    assert contact.roles == ["dunning", "ap"]

    edit_url = reverse("customers:contact_edit", args=[customer_a.pk, contact.pk])
    assert owner_client.get(edit_url).context["form"].initial["name"] == "Dora Dunning"
    owner_client.post(edit_url, {"name": "Dora D.", "email": "dora@acme.example", "roles": ["ap"]})
    with tenant_context(tenant_a):
        contact.refresh_from_db()
    assert (contact.name, contact.roles) == ("Dora D.", ["ap"])

    remove_url = reverse("customers:contact_remove", args=[customer_a.pk, contact.pk])
    assert b"Remove contact Dora D." in owner_client.get(remove_url).content
    owner_client.post(remove_url)
    with tenant_context(tenant_a):
        assert not CustomerContact.objects.exists()


def test_contact_form_explains_a_dunning_recipient_without_email(owner_client, customer_a):
    response = owner_client.post(
        reverse("customers:contact_add", args=[customer_a.pk]),
        {"name": "No Mail", "roles": ["dunning"]},
    )
    assert response.status_code == 200
    assert "needs an e-mail address" in response.context["form"].errors["email"][0]


def test_address_add_edit_remove(owner_client, tenant_a, customer_a):
    response = owner_client.post(
        reverse("customers:address_add", args=[customer_a.pk]),
        {"kind": "billing", "line1": "Hauptstraße 1", "city": "Köln", "country": "DE"},
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        address = CustomerAddress.objects.get(customer=customer_a)
    assert address.is_default
    edit_url = reverse("customers:address_edit", args=[customer_a.pk, address.pk])
    owner_client.post(
        edit_url,
        {
            "kind": "billing",
            "is_default": "on",
            "line1": "Hauptstraße 2",
            "city": "Köln",
            "country": "DE",
        },
    )
    with tenant_context(tenant_a):
        address.refresh_from_db()
    assert address.line1 == "Hauptstraße 2"
    owner_client.post(reverse("customers:address_remove", args=[customer_a.pk, address.pk]))
    with tenant_context(tenant_a):
        assert not CustomerAddress.objects.exists()


def test_address_form_errors_say_what_to_fix(owner_client, customer_a):
    response = owner_client.post(
        reverse("customers:address_add", args=[customer_a.pk]),
        {"kind": "billing", "line1": "", "city": "", "country": "DE"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"line1", "city"}


def test_children_of_another_tenant_answer_404_and_stay(
    owner_client, tenant_b, customer_a, customer_b
):
    with tenant_context(tenant_b):
        contact = CustomerContactFactory(customer=customer_b, name="Bravo Contact")
        address = CustomerAddressFactory(customer=customer_b)
    urls = [
        reverse("customers:contact_edit", args=[customer_b.pk, contact.pk]),
        reverse("customers:contact_remove", args=[customer_b.pk, contact.pk]),
        # B's child ids under A's customer are just as unknown.
        reverse("customers:contact_edit", args=[customer_a.pk, contact.pk]),
        reverse("customers:contact_remove", args=[customer_a.pk, contact.pk]),
        reverse("customers:address_edit", args=[customer_a.pk, address.pk]),
        reverse("customers:address_remove", args=[customer_a.pk, address.pk]),
        reverse("customers:contact_add", args=[customer_b.pk]),
        reverse("customers:address_add", args=[customer_b.pk]),
    ]
    for url in urls:
        assert owner_client.get(url).status_code == 404, url
        assert owner_client.post(url, {"name": "Hijack"}).status_code == 404, url
    with tenant_context(tenant_b):
        assert CustomerContact.objects.get(pk=contact.pk).name == "Bravo Contact"
        assert CustomerAddress.objects.filter(pk=address.pk).exists()
        assert CustomerContact.objects.count() == 1


# --- payment terms ----------------------------------------------------------------


def test_payment_terms_list_create_and_edit(owner_client, tenant_a):
    response = owner_client.post(
        reverse("customers:payment_terms_create"),
        {
            "code": "2-10-N30",
            "name": "2% 10, net 30",
            "kind": "net",
            "net_days": 30,
            "discount_percent": "2",
            "discount_days": 10,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        terms = PaymentTerms.objects.get(code="2-10-N30")
    assert terms.discount_percent == Decimal("2.00")

    listing = owner_client.get(reverse("customers:payment_terms_list"))
    assert b"2-10-N30" in listing.content
    assert b"2.00 % within 10 days" in listing.content

    owner_client.post(
        reverse("customers:payment_terms_edit", args=[terms.pk]),
        {
            "code": "2-10-N30",
            "name": "2% 10, EOM 30",
            "kind": "eom",
            "net_days": 30,
            "discount_percent": "2",
            "discount_days": 10,
        },
    )
    with tenant_context(tenant_a):
        terms.refresh_from_db()
    assert (terms.kind, terms.is_active) == ("eom", False)


def test_payment_terms_form_explains_inconsistent_discount(owner_client, tenant_a):
    response = owner_client.post(
        reverse("customers:payment_terms_create"),
        {
            "code": "BAD",
            "name": "Bad",
            "kind": "net",
            "net_days": 30,
            "discount_percent": "2",
            "discount_days": 45,
        },
    )
    assert response.status_code == 200
    assert "cannot end after the due date" in response.context["form"].errors["discount_days"][0]


def test_payment_terms_of_another_tenant_are_404_and_unchanged(owner_client, tenant_b):
    with tenant_context(tenant_b):
        terms = PaymentTermsFactory(code="BRAVO", name="Bravo terms")
    url = reverse("customers:payment_terms_edit", args=[terms.pk])
    assert owner_client.get(url).status_code == 404
    response = owner_client.post(
        url,
        {
            "code": "X",
            "name": "Hijack",
            "kind": "net",
            "net_days": 1,
            "discount_percent": 0,
            "discount_days": 0,
        },
    )
    assert response.status_code == 404
    with tenant_context(tenant_b):
        terms.refresh_from_db()
    assert terms.name == "Bravo terms"
    assert b"BRAVO" not in owner_client.get(reverse("customers:payment_terms_list")).content


def test_collector_sees_terms_but_cannot_edit_them(collector_client, tenant_a):
    with tenant_context(tenant_a):
        terms = PaymentTermsFactory(code="NET45")
    listing = collector_client.get(reverse("customers:payment_terms_list"))
    assert listing.status_code == 200
    assert b"NET45" in listing.content
    edit = reverse("customers:payment_terms_edit", args=[terms.pk])
    assert edit.encode() not in listing.content
    assert collector_client.get(edit).status_code == 403
