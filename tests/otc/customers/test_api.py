"""The customer REST API: CRUD, nested children, filters, delta sync, upsert,
cursor pagination, problem+json errors, and tenant isolation."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from otc.audit.models import AuditEvent
from otc.customers.models import Customer, CustomerContact, PaymentTerms
from otc.tenancy.context import tenant_context
from tests.factories import (
    CustomerAddressFactory,
    CustomerContactFactory,
    CustomerFactory,
    PaymentTermsFactory,
)

CUSTOMERS = "/api/v1/customers/"
TERMS = "/api/v1/payment-terms/"
PROBLEM = "application/problem+json"


def _detail(customer_id):
    return f"{CUSTOMERS}{customer_id}/"


def _by_ref(ref):
    return f"{CUSTOMERS}by-external-ref/{quote(ref, safe='')}/"


@pytest.fixture
def erp(api_client_for, tenant_a):
    return api_client_for(tenant_a)


@pytest.fixture
def erp_b(api_client_for, tenant_b):
    return api_client_for(tenant_b)


def _fields(problem):
    return {error["field"] for error in problem["errors"]}


# --- create and read ----------------------------------------------------------------


def test_create_with_contacts_and_addresses(erp, tenant_a, collector_a):
    with tenant_context(tenant_a):
        PaymentTermsFactory(code="NET30")
        parent = CustomerFactory(external_ref="GROUP-1")
    response = erp.post(
        CUSTOMERS,
        {
            "external_ref": "SAP-1001",
            "legal_name": "Nordwind Handels GmbH",
            "country": "de",
            "tax_id": "DE 136 695 976",
            "payment_terms_code": "net30",
            "parent_external_ref": "GROUP-1",
            "collector_email": "collector@alpha.example",
            "language": "de",
            "contacts": [
                {"name": "Ada AP", "email": "ap@nordwind.example", "roles": ["ap", "dunning"]},
                {"name": "Sam Signer", "roles": ["signer"]},
            ],
            "addresses": [
                {"kind": "billing", "line1": "Kai 1", "city": "Hamburg", "postal_code": "20457"}
            ],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == _detail(body["id"])
    assert body["number"] == "C00001"
    assert body["tax_id"] == "DE136695976"
    assert body["country"] == "DE"
    assert body["currency"] == "EUR"
    assert body["status"] == "active"
    assert body["payment_terms_code"] == "NET30"
    assert body["parent_id"] == parent.pk
    assert body["parent_external_ref"] == "GROUP-1"
    assert body["collector_email"] == "collector@alpha.example"
    assert [c["name"] for c in body["contacts"]] == ["Ada AP", "Sam Signer"]
    assert body["contacts"][0]["roles"] == ["ap", "dunning"]
    assert body["addresses"][0]["is_default"] is True
    assert body["addresses"][0]["country"] == "DE"

    fetched = erp.get(_detail(body["id"])).json()
    assert fetched == body
    with tenant_context(tenant_a):
        event = AuditEvent.objects.get(action="customer.created")
    assert event.actor_api_key_id == erp.api_key.pk
    assert event.changes["external_ref"]["after"] == "SAP-1001"


def test_create_is_idempotent_with_the_same_key(erp, tenant_a):
    payload = {"legal_name": "Once GmbH", "country": "DE"}
    first = erp.post(CUSTOMERS, payload, idempotency_key="create-once")
    again = erp.post(CUSTOMERS, payload, idempotency_key="create-once")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    with tenant_context(tenant_a):
        assert Customer.objects.count() == 1


def test_post_without_idempotency_key_is_refused(erp, tenant_a):
    response = erp.post(CUSTOMERS, {"legal_name": "X", "country": "DE"}, idempotency_key=None)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    with tenant_context(tenant_a):
        assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"country": "DE"}, {"legal_name"}),
        ({"legal_name": "X", "country": "XX"}, {"country"}),
        ({"legal_name": "X", "country": "DE", "currency": "EURO"}, {"currency"}),
        ({"legal_name": "X", "country": "DE", "extra": 1}, {"extra"}),
        (
            {"legal_name": "X", "country": "DE", "payment_terms_code": "NOPE"},
            {"payment_terms_code"},
        ),
        ({"legal_name": "X", "country": "DE", "parent_id": 999999}, {"parent_id"}),
        (
            {"legal_name": "X", "country": "DE", "collector_email": "who@x.example"},
            {"collector_email"},
        ),
        (
            {"legal_name": "X", "country": "DE", "contacts": [{"email": "a@b.example"}]},
            {"contacts[0].name"},
        ),
        (
            {"legal_name": "X", "country": "DE", "contacts": [{"name": "A", "nick": "a"}]},
            {"contacts[0].nick"},
        ),
        (
            {"legal_name": "X", "country": "DE", "addresses": [{"kind": "billing"}]},
            {"addresses[0].line1", "addresses[0].city"},
        ),
        ({"legal_name": "X", "country": "DE", "contacts": "Ada"}, {"contacts"}),
    ],
)
def test_bad_input_is_a_400_problem_naming_the_field(erp, tenant_a, payload, fields):
    response = erp.post(CUSTOMERS, payload)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "urn:otc:problem:validation_error"
    assert fields <= _fields(problem)
    with tenant_context(tenant_a):
        assert not Customer.objects.exists()


def test_business_rule_violations_are_422_with_api_field_names(erp, tenant_a, clerk_a):
    response = erp.post(
        CUSTOMERS,
        {
            "legal_name": "X",
            "country": "DE",
            "tax_id": "DE136695978",
            "collector_email": clerk_a.email,
        },
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:otc:problem:validation_failed"
    messages = {error["field"]: error["message"] for error in problem["errors"]}
    assert "check digit" in messages["tax_id"]
    assert "AR clerk" in messages["collector_email"]


def test_other_tenants_references_are_unknown(erp, tenant_a, tenant_b, customer_b, collector_b):
    with tenant_context(tenant_b):
        PaymentTermsFactory(code="BRAVO30")
    response = erp.post(
        CUSTOMERS,
        {
            "legal_name": "X",
            "country": "DE",
            "parent_id": customer_b.pk,
            "payment_terms_code": "BRAVO30",
            "collector_email": collector_b.email,
        },
    )
    assert response.status_code == 400
    assert {"parent_id", "payment_terms_code", "collector_email"} <= _fields(response.json())


# --- update ------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent_and_audits_it(erp, tenant_a, customer_a):
    response = erp.patch(_detail(customer_a.pk), {"segment": "Enterprise", "notes": "VIP"})
    assert response.status_code == 200
    body = response.json()
    assert (body["segment"], body["notes"], body["legal_name"]) == (
        "Enterprise",
        "VIP",
        "Acme Maschinenbau GmbH",
    )
    with tenant_context(tenant_a):
        event = AuditEvent.objects.get(action="customer.updated")
    assert event.changes == {
        "segment": {"before": "", "after": "Enterprise"},
        "notes": {"before": "", "after": "VIP"},
    }


def test_patch_with_contacts_replaces_the_list(erp, tenant_a, customer_a):
    with tenant_context(tenant_a):
        keep = CustomerContactFactory(customer=customer_a, name="Keep", roles=["ap"])
        CustomerContactFactory(customer=customer_a, name="Gone")
    response = erp.patch(
        _detail(customer_a.pk),
        {"contacts": [{"id": keep.pk, "email": "keep@new.example"}, {"name": "New"}]},
    )
    assert response.status_code == 200
    contacts = response.json()["contacts"]
    assert sorted(c["name"] for c in contacts) == ["Keep", "New"]
    kept = next(c for c in contacts if c["id"] == keep.pk)
    assert kept["email"] == "keep@new.example"
    assert kept["roles"] == ["ap"]


def test_patch_refuses_contact_ids_of_other_customers(erp, tenant_a, customer_a):
    with tenant_context(tenant_a):
        foreign = CustomerContactFactory(name="Other customer's")
    response = erp.patch(_detail(customer_a.pk), {"contacts": [{"id": foreign.pk, "name": "X"}]})
    assert response.status_code == 422
    assert "contacts[0].id" in _fields(response.json())
    with tenant_context(tenant_a):
        foreign.refresh_from_db()
    assert foreign.name == "Other customer's"


def test_patch_refuses_a_parent_cycle(erp, tenant_a):
    with tenant_context(tenant_a):
        top = CustomerFactory()
        low = CustomerFactory(parent=top)
    response = erp.patch(_detail(top.pk), {"parent_id": low.pk})
    assert response.status_code == 422
    assert "parent_id" in _fields(response.json())


def test_patch_rejects_status_and_read_only_fields(erp, customer_a):
    response = erp.patch(_detail(customer_a.pk), {"status": "closed"})
    assert response.status_code == 400
    assert "status" in _fields(response.json())


def test_delete_is_not_allowed(erp, tenant_a, customer_a):
    response = erp.delete(_detail(customer_a.pk))
    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    with tenant_context(tenant_a):
        assert Customer.objects.filter(pk=customer_a.pk).exists()


# --- status --------------------------------------------------------------------------


def test_status_moves_through_the_table_and_illegal_moves_are_409(erp, tenant_a, customer_a):
    url = f"{_detail(customer_a.pk)}status/"
    response = erp.post(url, {"status": "closed", "reason": "Merged into group"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    response = erp.post(url, {"status": "on_hold"})
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "urn:otc:problem:illegal_transition"
    assert "cannot become On hold" in problem["detail"]
    with tenant_context(tenant_a):
        customer_a.refresh_from_db()
    assert customer_a.status == "closed"


# --- upsert by external ref ---------------------------------------------------------


def test_upsert_creates_then_updates_idempotently(erp, tenant_a, collector_a):
    payload = {
        "legal_name": "Upsert AG",
        "country": "CH",
        "tax_id": "CHE-107.787.577 MWST",
        "contacts": [{"name": "Ursula", "email": "u@upsert.example", "roles": ["dunning"]}],
        "addresses": [{"kind": "billing", "line1": "Bahnhofstr. 1", "city": "Zürich"}],
    }
    created = erp.put(_by_ref("ERP/42"), payload, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["external_ref"] == "ERP/42"
    assert body["tax_id"] == "CHE107787577"
    with tenant_context(tenant_a):
        Customer.objects.filter(pk=body["id"]).update(collector=collector_a)
        events = AuditEvent.objects.count()

    again = erp.put(_by_ref("ERP/42"), payload, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert again.json()["collector_email"] == collector_a.email  # OTC-owned, kept
    assert [c["id"] for c in again.json()["contacts"]] == [c["id"] for c in body["contacts"]]
    with tenant_context(tenant_a):
        assert AuditEvent.objects.count() == events  # nothing changed, nothing recorded

    renamed = erp.put(_by_ref("ERP/42"), {"legal_name": "Upsert Holding AG"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["legal_name"] == "Upsert Holding AG"
    assert len(renamed.json()["contacts"]) == 1  # lists not sent are left alone
    assert erp.get(_by_ref("ERP/42")).json()["id"] == body["id"]
    with tenant_context(tenant_a):
        assert Customer.objects.count() == 1


def test_upsert_of_a_new_ref_without_name_is_422(erp, tenant_a):
    response = erp.put(_by_ref("NEW-1"), {"segment": "SMB"}, format="json")
    assert response.status_code == 422
    assert {"legal_name", "country"} <= _fields(response.json())


def test_upsert_refuses_a_different_ref_in_the_body(erp):
    response = erp.put(
        _by_ref("A-1"), {"legal_name": "X", "country": "DE", "external_ref": "B-2"}, format="json"
    )
    assert response.status_code == 422
    assert "external_ref" in _fields(response.json())


# --- list, filters, delta sync, pagination ---------------------------------------------


def test_list_filters(erp, tenant_a, collector_a):
    with tenant_context(tenant_a):
        parent = CustomerFactory(number="P-1")
        CustomerFactory(
            number="A-1", legal_name="Alpha", status="on_hold", country="FR", parent=parent
        )
        CustomerFactory(
            number="A-2",
            legal_name="Beta",
            currency="USD",
            collector=collector_a,
            external_ref="ERP-2",
            tax_id="DE136695976",
        )

    def numbers(**params):
        response = erp.get(CUSTOMERS, params)
        assert response.status_code == 200, response.json()
        return sorted(c["number"] for c in response.json()["results"])

    assert numbers() == ["A-1", "A-2", "P-1"]
    assert numbers(status="on_hold") == ["A-1"]
    assert numbers(country="fr") == ["A-1"]
    assert numbers(currency="USD") == ["A-2"]
    assert numbers(collector_email=collector_a.email) == ["A-2"]
    assert numbers(parent_id=parent.pk) == ["A-1"]
    assert numbers(external_ref="ERP-2") == ["A-2"]
    assert numbers(q="136695976") == ["A-2"]
    assert numbers(q="alpha") == ["A-1"]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "deleted"},
        {"updated_since": "yesterday"},
        {"parent_id": "x"},
        {"country": "Germany"},
        {"currency": "EU"},
        {"collector_email": "not-an-email"},
    ],
)
def test_bad_filters_are_4xx_problems(erp, params):
    response = erp.get(CUSTOMERS, params)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == PROBLEM


def test_updated_since_returns_changes_oldest_first(erp, tenant_a, actor):
    from otc.customers.services import customer_contact_add

    with tenant_context(tenant_a):
        # Created first, changed earlier: id order and change order disagree.
        recent = CustomerFactory(number="RECENT")
        old = CustomerFactory(number="OLD")
        untouched = CustomerFactory(number="UNTOUCHED")
        long_ago = timezone.now() - timedelta(days=10)
        Customer.objects.filter(pk__in=[old.pk, untouched.pk, recent.pk]).update(
            updated_at=long_ago
        )
        Customer.objects.filter(pk=recent.pk).update(updated_at=timezone.now() - timedelta(hours=2))
        # A new contact is a change of the customer for delta sync.
        customer_contact_add(tenant=tenant_a, actor=actor, customer=old, name="New contact")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    response = erp.get(CUSTOMERS, {"updated_since": since})
    assert response.status_code == 200
    assert [c["number"] for c in response.json()["results"]] == ["RECENT", "OLD"]


def test_cursor_pagination_walks_every_customer_once(erp, tenant_a):
    with tenant_context(tenant_a):
        for index in range(7):
            CustomerFactory(number=f"N{index}")
    seen = []
    url = f"{CUSTOMERS}?page_size=3"
    pages = 0
    while url:
        body = erp.get(url).json()
        seen.extend(c["number"] for c in body["results"])
        url = body["next"]
        pages += 1
    assert pages == 3
    assert seen == [f"N{index}" for index in reversed(range(7))]  # newest first


def test_delta_sync_pages_by_update_time(erp, tenant_a):
    with tenant_context(tenant_a):
        base = timezone.now() - timedelta(hours=1)
        for index in range(5):
            customer = CustomerFactory(number=f"D{index}")
            Customer.objects.filter(pk=customer.pk).update(
                updated_at=base + timedelta(minutes=index)
            )
    since = (base - timedelta(minutes=1)).isoformat()
    first = erp.get(CUSTOMERS, {"updated_since": since, "page_size": 2}).json()
    second = erp.get(first["next"]).json()
    third = erp.get(second["next"]).json()
    numbers = [c["number"] for page in (first, second, third) for c in page["results"]]
    # Oldest change first (here also oldest id first), unlike the default newest-first list.
    assert numbers == ["D0", "D1", "D2", "D3", "D4"]
    assert third["next"] is None


# --- permissions -----------------------------------------------------------------------


def test_read_only_role_cannot_write(api_client_for, tenant_a, customer_a):
    executive = api_client_for(tenant_a, role="executive")
    assert executive.get(_detail(customer_a.pk)).status_code == 200
    assert executive.patch(_detail(customer_a.pk), {"notes": "x"}).status_code == 403
    assert executive.post(CUSTOMERS, {"legal_name": "X", "country": "DE"}).status_code == 403
    with tenant_context(tenant_a):
        customer_a.refresh_from_db()
    assert customer_a.notes == ""


def test_no_key_is_401(client, customer_a):
    response = client.get(_detail(customer_a.pk))
    assert response.status_code == 401


# --- isolation -------------------------------------------------------------------------


def test_other_tenants_customer_is_404_everywhere_and_unchanged(
    erp, tenant_b, customer_a, customer_b
):
    with tenant_context(tenant_b):
        CustomerContactFactory(customer=customer_b, name="Bravo Contact")
        CustomerAddressFactory(customer=customer_b)
    missing = erp.get(_detail(999_999_999)).json()
    missing_ref = erp.get(_by_ref("NO-SUCH-REF")).json()
    for response, like in (
        (erp.get(_detail(customer_b.pk)), missing),
        (erp.patch(_detail(customer_b.pk), {"legal_name": "Hijacked", "contacts": []}), missing),
        (erp.post(f"{_detail(customer_b.pk)}status/", {"status": "closed"}), missing),
        (erp.get(_by_ref("ERP-B")), missing_ref),
    ):
        assert response.status_code == 404
        assert response["Content-Type"] == PROBLEM
        assert response.json()["detail"] == like["detail"]
    listed = erp.get(CUSTOMERS).json()["results"]
    assert [c["id"] for c in listed] == [customer_a.pk]
    assert erp.get(CUSTOMERS, {"q": "Bravo"}).json()["results"] == []

    # An upsert with B's external ref creates A's own customer; B's stays as it was.
    created = erp.put(
        _by_ref("ERP-B"), {"legal_name": "Alpha's own", "country": "DE"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["id"] != customer_b.pk
    with tenant_context(tenant_b):
        customer_b.refresh_from_db()
        assert CustomerContact.objects.filter(customer=customer_b).count() == 1
    assert (customer_b.legal_name, customer_b.status) == ("Bravo Buyer Inc", "active")


# --- payment terms ----------------------------------------------------------------------


def test_payment_terms_crud(erp, tenant_a):
    response = erp.post(
        TERMS,
        {
            "code": "2-10-n30",
            "name": "2/10 net 30",
            "net_days": 30,
            "discount_percent": "2.00",
            "discount_days": 10,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"] == "2-10-N30"
    assert body["discount_percent"] == "2.00"  # money-like values are strings, never floats
    assert body["kind"] == "net"
    assert response["Location"] == f"{TERMS}{body['id']}/"

    patched = erp.patch(f"{TERMS}{body['id']}/", {"kind": "eom", "is_active": False})
    assert patched.status_code == 200
    assert (patched.json()["kind"], patched.json()["is_active"]) == ("eom", False)
    assert patched.json()["discount_days"] == 10  # not reset to a default by PATCH

    assert erp.get(TERMS).json()["results"][0]["code"] == "2-10-N30"
    assert erp.get(TERMS, {"active": "true"}).json()["results"] == []


def test_payment_terms_rules_are_422_and_shape_errors_400(erp, tenant_a):
    response = erp.post(
        TERMS,
        {
            "code": "BAD",
            "name": "Bad",
            "net_days": 30,
            "discount_percent": "2",
            "discount_days": 40,
        },
    )
    assert response.status_code == 422
    assert "discount_days" in _fields(response.json())
    response = erp.post(TERMS, {"code": "BAD", "name": "Bad", "net_days": -1})
    assert response.status_code == 400
    assert "net_days" in _fields(response.json())
    with tenant_context(tenant_a):
        assert not PaymentTerms.objects.exists()


def test_other_tenants_payment_terms_are_404_and_unchanged(erp, tenant_b):
    with tenant_context(tenant_b):
        terms = PaymentTermsFactory(code="BRAVO", name="Bravo terms")
    assert erp.get(f"{TERMS}{terms.pk}/").status_code == 404
    assert erp.patch(f"{TERMS}{terms.pk}/", {"name": "Hijack"}).status_code == 404
    assert erp.get(TERMS).json()["results"] == []
    with tenant_context(tenant_b):
        terms.refresh_from_db()
    assert terms.name == "Bravo terms"


def test_schema_describes_the_customer_endpoints(client, db):
    schema = client.get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths[f"{CUSTOMERS}"]) >= {"get", "post"}
    assert "delete" not in paths["/api/v1/customers/{customer_id}/"]
    assert "put" in paths["/api/v1/customers/by-external-ref/{external_ref}/"]
    list_params = {p["name"] for p in paths[CUSTOMERS]["get"]["parameters"]}
    assert {"updated_since", "q", "status", "cursor", "page_size"} <= list_params
    upsert = schema["components"]["schemas"]["CustomerUpsertInputRequest"]
    assert "required" not in upsert  # an update may send any subset
