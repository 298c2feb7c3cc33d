"""Payment terms: consistency rules, audit, and the due-date arithmetic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from otc.audit.models import AuditEvent
from otc.customers.models import PaymentTerms
from otc.customers.selectors import (
    payment_terms_discount_date,
    payment_terms_due_date,
    payment_terms_list,
)
from otc.customers.services import payment_terms_create, payment_terms_update
from otc.errors import ValidationFailed
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory, PaymentTermsFactory


def _terms(kind: str, net_days: int, discount_days: int = 0) -> PaymentTerms:
    return PaymentTerms(
        code="T",
        name="T",
        kind=kind,
        net_days=net_days,
        discount_percent=Decimal("2") if discount_days else Decimal(0),
        discount_days=discount_days,
    )


@pytest.mark.usefixtures("in_tenant_a")
class TestServices:
    def test_create_two_ten_net_thirty(self, tenant_a, actor):
        terms = payment_terms_create(
            tenant=tenant_a,
            actor=actor,
            code=" 2/10n30 ",
            name="2% 10 days, net 30",
            net_days=30,
            discount_percent=Decimal("2"),
            discount_days=10,
        )
        assert terms.code == "2/10N30"
        assert terms.discount_percent == Decimal("2.00")
        event = AuditEvent.objects.get(action="payment_terms.created")
        assert event.object_id == str(terms.pk)
        assert event.changes["discount_percent"] == {"before": None, "after": "2.00"}

    @pytest.mark.parametrize(
        ("case", "field", "words"),
        [
            ((Decimal(2), 0, 30), "discount_days", "needs the number of days"),
            ((Decimal(0), 10, 30), "discount_percent", "Enter the discount percent"),
            ((Decimal(100), 10, 30), "discount_percent", "up to (not including) 100"),
            ((Decimal(-1), 10, 30), "discount_percent", "from 0"),
            ((Decimal(2), 40, 30), "discount_days", "cannot end after the due date"),
        ],
    )
    def test_inconsistent_discounts_are_refused(self, tenant_a, actor, case, field, words):
        percent, days, net = case
        with pytest.raises(ValidationFailed) as error:
            payment_terms_create(
                tenant=tenant_a,
                actor=actor,
                code="BAD",
                name="Bad",
                net_days=net,
                discount_percent=percent,
                discount_days=days,
            )
        assert words in error.value.errors[field][0]
        assert not PaymentTerms.objects.exists()

    def test_code_is_unique_per_tenant_only(self, tenant_a, tenant_b, actor):
        payment_terms_create(tenant=tenant_a, actor=actor, code="NET30", name="Net 30", net_days=30)
        with pytest.raises(ValidationFailed) as error:
            payment_terms_create(
                tenant=tenant_a, actor=actor, code="net30", name="Again", net_days=30
            )
        assert "exist already" in error.value.errors["code"][0]
        with tenant_context(tenant_b):
            payment_terms_create(
                tenant=tenant_b, actor=actor, code="NET30", name="Net 30", net_days=30
            )
            assert PaymentTerms.objects.count() == 1

    def test_unknown_kind_is_refused(self, tenant_a, actor):
        with pytest.raises(ValidationFailed) as error:
            payment_terms_create(
                tenant=tenant_a, actor=actor, code="X", name="X", net_days=30, kind="weekly"
            )
        assert "kind" in error.value.errors

    def test_update_audits_before_and_after(self, tenant_a, actor):
        terms = PaymentTermsFactory(code="NET30", net_days=30)
        payment_terms_update(
            tenant=tenant_a, actor=actor, terms=terms, data={"net_days": 45, "name": "Net 45"}
        )
        terms.refresh_from_db()
        assert terms.net_days == 45
        event = AuditEvent.objects.get(action="payment_terms.updated")
        assert event.changes == {
            "net_days": {"before": 30, "after": 45},
            "name": {"before": "Net 30 days", "after": "Net 45"},
        }

    def test_list_counts_customers_and_filters_active(self, tenant_a):
        used = PaymentTermsFactory(code="USED")
        PaymentTermsFactory(code="OFF", is_active=False)
        CustomerFactory(payment_terms=used)
        CustomerFactory(payment_terms=used)
        listed = {t.code: t.customer_count for t in payment_terms_list(tenant=tenant_a)}
        assert listed == {"USED": 2, "OFF": 0}
        active = [t.code for t in payment_terms_list(tenant=tenant_a, active_only=True)]
        assert active == ["USED"]

    def test_list_never_shows_another_tenants_terms(self, tenant_a, tenant_b):
        with tenant_context(tenant_b):
            PaymentTermsFactory(code="BRAVO")
        assert list(payment_terms_list(tenant=tenant_a)) == []


@pytest.mark.parametrize(
    ("kind", "net_days", "document_date", "due"),
    [
        ("net", 30, date(2025, 1, 15), date(2025, 2, 14)),
        ("net", 0, date(2025, 3, 31), date(2025, 3, 31)),
        ("net", 30, date(2025, 1, 31), date(2025, 3, 2)),  # 28-day February
        ("net", 30, date(2024, 1, 31), date(2024, 3, 1)),  # leap year
        ("net", 60, date(2025, 12, 15), date(2026, 2, 13)),  # across the year end
        ("eom", 0, date(2025, 2, 3), date(2025, 2, 28)),
        ("eom", 0, date(2024, 2, 3), date(2024, 2, 29)),  # leap-year February
        ("eom", 30, date(2025, 1, 1), date(2025, 3, 2)),
        ("eom", 30, date(2025, 1, 31), date(2025, 3, 2)),  # the month's last day itself
        ("eom", 15, date(2025, 4, 30), date(2025, 5, 15)),
        ("eom", 10, date(2025, 12, 5), date(2026, 1, 10)),
        ("eom", 30, date(2024, 2, 29), date(2024, 3, 30)),
    ],
)
def test_due_date(kind, net_days, document_date, due):
    terms = _terms(kind, net_days)
    assert payment_terms_due_date(terms=terms, document_date=document_date) == due


def test_discount_date_counts_from_the_same_base_as_the_due_date():
    net = _terms("net", 30, discount_days=10)
    eom = _terms("eom", 30, discount_days=10)
    assert payment_terms_discount_date(terms=net, document_date=date(2024, 2, 25)) == date(
        2024, 3, 6
    )
    assert payment_terms_discount_date(terms=eom, document_date=date(2024, 2, 5)) == date(
        2024, 3, 10
    )


def test_no_discount_date_without_a_discount():
    assert (
        payment_terms_discount_date(terms=_terms("net", 30), document_date=date(2025, 1, 1)) is None
    )
