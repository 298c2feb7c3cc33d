"""``manage.py seed_demo``: both demo companies, a user for every role, valid
tax ids, written through the services (audited), and a second run that
changes nothing."""

from __future__ import annotations

import random
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from stdnum.util import get_cc_module

from otc.accounts.models import User
from otc.audit.models import AuditEvent
from otc.customers.models import (
    Customer,
    CustomerAddress,
    CustomerContact,
    PaymentTerms,
    PaymentTermsInstallment,
)
from otc.customers.tax_ids import normalize_tax_id
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import INTERACTIVE_ROLES, Role
from otc.web.management.commands.seed_demo import (
    BLUE_HARBOR,
    COUNTRIES,
    DEMO_PASSWORD,
    DEMO_TENANTS,
    NORTHWIND,
    SHARED_OWNER,
    TAX_ID_GENERATORS,
    CustomerFactory,
    tax_id_for,
    tax_id_valid,
)

CUSTOMERS = 16


def _seed() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "seed_demo", customers=CUSTOMERS, url="http://127.0.0.1:8123", stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


def _counts() -> dict[str, int]:
    counts = {"tenants": Tenant.objects.count(), "users": User.objects.count()}
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            counts[f"{tenant.slug}.customers"] = Customer.objects.count()
            counts[f"{tenant.slug}.contacts"] = CustomerContact.objects.count()
            counts[f"{tenant.slug}.addresses"] = CustomerAddress.objects.count()
            counts[f"{tenant.slug}.members"] = Membership.objects.count()
            counts[f"{tenant.slug}.audit"] = AuditEvent.objects.count()
    return counts


@pytest.mark.parametrize("country", sorted(TAX_ID_GENERATORS))
def test_generated_tax_ids_pass_python_stdnum(country):
    rng = random.Random(country)
    module = get_cc_module(country.lower(), "vat")
    for _ in range(200):
        tax_id = tax_id_for(country, rng)
        assert tax_id_valid(country, tax_id)
        # The customer master's own normalizer, which customer_create applies.
        stored = normalize_tax_id(tax_id, country=country)
        assert stored
        if module is not None and country != "CH":
            # The same number, checked by stdnum directly (CH stores the UID,
            # which the VAT module wants with a MWST suffix).
            assert module.is_valid(tax_id), tax_id


def test_every_market_country_has_a_profile_and_a_tax_id_generator():
    for demo in DEMO_TENANTS:
        for market in demo.markets:
            assert market.country in COUNTRIES
            assert market.country in TAX_ID_GENERATORS


def test_customer_plans_are_deterministic():
    def names(seed: str) -> list[str]:
        factory = CustomerFactory(NORTHWIND, random.Random(seed))
        return [factory.plan(market=factory.market()).legal_name for _ in range(50)]

    assert names("same") == names("same")
    assert names("same") != names("other")
    assert len(set(names("same"))) == 50


def test_seed_builds_both_companies_with_every_role(db):
    out, err = _seed()

    northwind = Tenant.objects.get(slug=NORTHWIND.slug)
    harbor = Tenant.objects.get(slug=BLUE_HARBOR.slug)
    assert (northwind.name, str(northwind.base_currency), northwind.timezone) == (
        "Northwind Components GmbH",
        "EUR",
        "Europe/Berlin",
    )
    assert (harbor.name, str(harbor.base_currency), harbor.timezone) == (
        "Blue Harbor Foods Inc.",
        "USD",
        "America/Chicago",
    )

    owner = User.objects.get(email=SHARED_OWNER.email)
    for tenant in (northwind, harbor):
        with tenant_context(tenant):
            roles = set(Membership.objects.values_list("role", flat=True))
            assert roles >= {role.value for role in INTERACTIVE_ROLES}
            assert Membership.objects.get(user=owner).role == Role.OWNER
            collectors = Membership.objects.filter(role=Role.COLLECTOR).count()
            assert collectors == 3

    # Every printed login signs in with the printed password.
    for person in (SHARED_OWNER, *NORTHWIND.people, *BLUE_HARBOR.people):
        assert authenticate(username=person.email, password=DEMO_PASSWORD) is not None
        if person.listed:
            assert person.email in out
    assert DEMO_PASSWORD in out
    assert "http://127.0.0.1:8123/accounts/login/" in out
    assert "Northwind Components GmbH" in err
    assert "Blue Harbor Foods Inc." in err


def test_seeded_customers_are_complete_valid_and_audited(db):
    _seed()
    for demo in DEMO_TENANTS:
        tenant = Tenant.objects.get(slug=demo.slug)
        with tenant_context(tenant):
            customers = list(
                Customer.objects.select_related("payment_terms", "collector").prefetch_related(
                    "contacts", "addresses"
                )
            )
            assert len(customers) == CUSTOMERS
            collector_ids = set(
                Membership.objects.filter(role__in=[Role.COLLECTOR]).values_list(
                    "user_id", flat=True
                )
            )
            for customer in customers:
                assert customer.tax_id
                assert normalize_tax_id(customer.tax_id, country=str(customer.country)) == (
                    customer.tax_id
                )
                assert str(customer.currency) == COUNTRIES[str(customer.country)].currency
                assert customer.payment_terms is not None
                assert customer.external_ref
                assert customer.collector_id is None or customer.collector_id in collector_ids
                assert any(a.kind == "billing" and a.is_default for a in customer.addresses.all())
                roles = {role for contact in customer.contacts.all() for role in contact.roles}
                assert {"ap", "dunning"} <= roles
            assert any(customer.parent_id for customer in customers), "no customer groups"
            created = AuditEvent.objects.filter(action="customer.created").count()
            assert created == CUSTOMERS
            split = PaymentTerms.objects.get(code="3X30")
            parts = PaymentTermsInstallment.objects.filter(terms=split).order_by("sequence")
            assert [(p.share_percent, p.net_days) for p in parts] == [
                (Decimal(30), 30),
                (Decimal(30), 60),
                (Decimal(40), 90),
            ]


def test_second_run_changes_nothing_and_says_so(db):
    _seed()
    before = _counts()

    out, err = _seed()

    assert _counts() == before
    assert "already loaded" in err
    assert SHARED_OWNER.email in out  # the logins are printed every time


def test_a_company_missing_from_an_earlier_run_is_added_alone(db):
    _seed()
    before = _counts()
    harbor = Tenant.objects.get(slug=BLUE_HARBOR.slug)
    # Simulate a run that stopped after the first company: rename the second
    # one away (deleting would have to fight the append-only audit trail).
    Tenant.objects.filter(pk=harbor.pk).update(slug="blue-harbor-old")

    _, err = _seed()

    after = _counts()
    assert after["tenants"] == before["tenants"] + 1
    assert after["users"] == before["users"]  # the people are found again, not duplicated
    assert after[f"{BLUE_HARBOR.slug}.members"] == 1 + len(BLUE_HARBOR.people)
    assert after[f"{BLUE_HARBOR.slug}.customers"] == CUSTOMERS
    assert after[f"{NORTHWIND.slug}.customers"] == before[f"{NORTHWIND.slug}.customers"]
    assert "Blue Harbor Foods Inc." in err
    assert "Northwind" not in err.split("\n")[0]
