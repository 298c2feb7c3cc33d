"""Split payment terms (installments): the service's rules, each part's due
date on month ends and leap years, the form and the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from otc.audit.models import AuditEvent
from otc.customers.models import PaymentTerms, PaymentTermsInstallment
from otc.customers.selectors import (
    payment_terms_due_date,
    payment_terms_schedule,
)
from otc.customers.services import payment_terms_create, payment_terms_update
from otc.errors import ValidationFailed
from otc.tenancy.context import tenant_context
from tests.factories import PaymentTermsFactory

TERMS_API = "/api/v1/payment-terms/"
THREE_X_30 = [
    {"share_percent": Decimal(30), "net_days": 30, "kind": "net"},
    {"share_percent": Decimal(30), "net_days": 60, "kind": "net"},
    {"share_percent": Decimal(40), "net_days": 90, "kind": "net"},
]


def _create(tenant, actor, parts, **extra):
    return payment_terms_create(
        tenant=tenant,
        actor=actor,
        code=extra.pop("code", "3X30"),
        name="3 installments",
        net_days=extra.pop("net_days", 30),
        installments=parts,
        **extra,
    )


def _errors(excinfo):
    return " ".join(excinfo.value.errors["installments"])


@pytest.mark.usefixtures("in_tenant_a")
class TestService:
    def test_create_stores_parts_in_order_and_takes_the_last_parts_days(self, tenant_a, actor):
        terms = _create(tenant_a, actor, THREE_X_30)
        rows = list(PaymentTermsInstallment.objects.filter(terms=terms).order_by("sequence"))
        assert [(r.sequence, r.share_percent, r.net_days, r.kind) for r in rows] == [
            (1, Decimal("30.00"), 30, "net"),
            (2, Decimal("30.00"), 60, "net"),
            (3, Decimal("40.00"), 90, "net"),
        ]
        terms.refresh_from_db()
        assert (terms.installment_count, terms.kind, terms.net_days) == (3, "net", 90)
        event = AuditEvent.objects.get(action="payment_terms.created", object_id=str(terms.pk))
        assert event.changes["installments"]["after"] == (
            "30.00 % net 30; 30.00 % net 60; 40.00 % net 90"
        )

    @pytest.mark.parametrize(
        ("parts", "words"),
        [
            ([(30, 30), (30, 60), (30, 90)], "add up to 90.00 %"),
            ([(50, 30), (50.01, 60)], "add up to 100.01 %"),
            ([(100, 30)], "One part is not a split"),
            ([(0, 30), (100, 60)], "more than 0"),
            ([(50, 60), (50, 30)], "Part 2 can fall due before part 1"),
            ([(50, 30), (50, -1)], "whole number"),
        ],
    )
    def test_refuses_inconsistent_parts(self, tenant_a, actor, parts, words):
        specs = [{"share_percent": Decimal(str(s)), "net_days": d, "kind": "net"} for s, d in parts]
        with pytest.raises(ValidationFailed) as excinfo:
            _create(tenant_a, actor, specs)
        assert words in _errors(excinfo)
        assert not PaymentTerms.objects.exists()
        assert not PaymentTermsInstallment.objects.exists()

    def test_end_of_month_part_followed_by_a_net_part_must_never_come_first(self, tenant_a, actor):
        parts = [
            {"share_percent": Decimal(50), "net_days": 0, "kind": "eom"},
            {"share_percent": Decimal(50), "net_days": 30, "kind": "net"},
        ]
        with pytest.raises(ValidationFailed) as excinfo:
            _create(tenant_a, actor, parts)
        assert "Part 2 can fall due before part 1" in _errors(excinfo)
        parts[1]["net_days"] = 31
        assert _create(tenant_a, actor, parts).installment_count == 2

    def test_discount_is_refused_on_split_terms(self, tenant_a, actor):
        with pytest.raises(ValidationFailed) as excinfo:
            _create(
                tenant_a,
                actor,
                THREE_X_30,
                discount_percent=Decimal(2),
                discount_days=10,
            )
        assert "no early-payment discount" in _errors(excinfo)

        terms = PaymentTermsFactory(code="2-10", discount_percent=Decimal(2), discount_days=10)
        with pytest.raises(ValidationFailed) as excinfo:
            payment_terms_update(
                tenant=tenant_a, actor=actor, terms=terms, data={"installments": THREE_X_30}
            )
        assert "no early-payment discount" in _errors(excinfo)
        assert not PaymentTermsInstallment.objects.filter(terms=terms).exists()

    def test_update_replaces_and_removes_parts(self, tenant_a, actor):
        terms = _create(tenant_a, actor, THREE_X_30)
        halves = [
            {"share_percent": Decimal(50), "net_days": 0, "kind": "eom"},
            {"share_percent": Decimal(50), "net_days": 30, "kind": "eom"},
        ]
        terms = payment_terms_update(
            tenant=tenant_a, actor=actor, terms=terms, data={"installments": halves}
        )
        assert (terms.installment_count, terms.kind, terms.net_days) == (2, "eom", 30)
        assert PaymentTermsInstallment.objects.filter(terms=terms).count() == 2
        # A name change keeps the parts.
        payment_terms_update(tenant=tenant_a, actor=actor, terms=terms, data={"name": "Halves"})
        assert PaymentTermsInstallment.objects.filter(terms=terms).count() == 2
        terms = payment_terms_update(
            tenant=tenant_a, actor=actor, terms=terms, data={"installments": [], "net_days": 45}
        )
        assert (terms.installment_count, terms.net_days) == (0, 45)
        assert not PaymentTermsInstallment.objects.filter(terms=terms).exists()


@pytest.mark.usefixtures("in_tenant_a")
class TestSchedule:
    @pytest.mark.parametrize(
        ("document_date", "expected"),
        [
            # 30/60/90 net from a month end, across February of a leap year.
            (date(2024, 1, 31), [date(2024, 3, 1), date(2024, 3, 31), date(2024, 4, 30)]),
            (date(2023, 1, 31), [date(2023, 3, 2), date(2023, 4, 1), date(2023, 5, 1)]),
            (date(2024, 2, 29), [date(2024, 3, 30), date(2024, 4, 29), date(2024, 5, 29)]),
            (date(2026, 12, 15), [date(2027, 1, 14), date(2027, 2, 13), date(2027, 3, 15)]),
        ],
    )
    def test_net_parts(self, tenant_a, actor, document_date, expected):
        terms = _create(tenant_a, actor, THREE_X_30)
        schedule = payment_terms_schedule(terms=terms, document_date=document_date)
        assert [part.due_date for part in schedule] == expected
        assert [part.share_percent for part in schedule] == [Decimal(30), Decimal(30), Decimal(40)]
        # The document's own due date (EN 16931 BT-9) is the first part's.
        assert payment_terms_due_date(terms=terms, document_date=document_date) == expected[0]

    @pytest.mark.parametrize(
        ("document_date", "expected"),
        [
            (date(2024, 2, 1), [date(2024, 2, 29), date(2024, 3, 30)]),
            (date(2023, 2, 28), [date(2023, 2, 28), date(2023, 3, 30)]),
            (date(2024, 12, 31), [date(2024, 12, 31), date(2025, 1, 30)]),
        ],
    )
    def test_end_of_month_parts(self, tenant_a, actor, document_date, expected):
        parts = [
            {"share_percent": Decimal(50), "net_days": 0, "kind": "eom"},
            {"share_percent": Decimal(50), "net_days": 30, "kind": "eom"},
        ]
        terms = _create(tenant_a, actor, parts)
        schedule = payment_terms_schedule(terms=terms, document_date=document_date)
        assert [part.due_date for part in schedule] == expected

    def test_terms_without_parts_have_no_schedule_and_need_no_query(
        self, tenant_a, django_assert_num_queries
    ):
        terms = PaymentTermsFactory(code="NET30", net_days=30)
        with django_assert_num_queries(0):
            assert payment_terms_schedule(terms=terms, document_date=date(2026, 1, 31)) == []
            assert payment_terms_due_date(terms=terms, document_date=date(2026, 1, 31)) == date(
                2026, 3, 2
            )


@pytest.fixture
def owner_client(client, owner_a):
    client.force_login(owner_a)
    return client


def test_form_creates_split_terms_and_names_bad_lines(owner_client, tenant_a):
    url = reverse("customers:payment_terms_create")
    base = {
        "code": "3X30",
        "name": "3 parts",
        "kind": "net",
        "net_days": 30,
        "discount_percent": "0",
        "discount_days": 0,
    }
    response = owner_client.post(url, {**base, "installments": "30, 30\n30 % 60\nforty"})
    assert response.status_code == 200
    assert "Line 3 (&#x27;forty&#x27;)" in response.content.decode()
    response = owner_client.post(url, {**base, "installments": "30, 30\n30, 60\n30, 90"})
    assert response.status_code == 200
    assert "add up to 90.00 %" in response.content.decode()
    response = owner_client.post(url, {**base, "installments": "30, 30\n30, 60\n40, 90"})
    assert response.status_code == 302
    with tenant_context(tenant_a):
        terms = PaymentTerms.objects.get(code="3X30")
    assert terms.installment_count == 3
    edit = owner_client.get(reverse("customers:payment_terms_edit", args=[terms.pk]))
    assert "30.00, 60" in edit.content.decode()
    listing = owner_client.get(reverse("customers:payment_terms_list"))
    assert "In 3 installments" in listing.content.decode()


@pytest.fixture
def erp(api_client_for, tenant_a):
    return api_client_for(tenant_a)


def test_api_round_trip_and_errors(erp, tenant_a, tenant_b):
    with tenant_context(tenant_b):
        other = PaymentTermsFactory(code="BRAVO", net_days=30)
    body = {
        "code": "3x30",
        "name": "3 x 30",
        "net_days": 30,
        "installments": [
            {"share_percent": "30", "net_days": 30},
            {"share_percent": "30", "net_days": 60},
            {"share_percent": "40", "net_days": 90},
        ],
    }
    response = erp.post(TERMS_API, body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["installments"] == [
        {"share_percent": "30.00", "net_days": 30, "kind": "net"},
        {"share_percent": "30.00", "net_days": 60, "kind": "net"},
        {"share_percent": "40.00", "net_days": 90, "kind": "net"},
    ]
    assert created["net_days"] == 90

    bad = erp.patch(
        f"{TERMS_API}{created['id']}/",
        {"installments": [{"share_percent": "50", "net_days": 30}]},
    )
    assert bad.status_code == 422
    assert bad["Content-Type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} == {"installments"}
    assert len(erp.get(f"{TERMS_API}{created['id']}/").json()["installments"]) == 3

    assert erp.patch(f"{TERMS_API}{other.pk}/", {"installments": []}).status_code == 404
    with tenant_context(tenant_b):
        other.refresh_from_db()
        assert other.installment_count == 0
        assert not PaymentTermsInstallment.objects.exists()
