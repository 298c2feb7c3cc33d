from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from collections_app.dunning.models import CollectionPriority, PromiseStatus, PromiseToPay
from collections_app.dunning.selectors import (
    collector_figures,
    customer_timeline,
    follow_ups_due,
    worklist,
)
from collections_app.dunning.services.priorities import collection_priorities_compute, score_of
from collections_app.dunning.services.promises import (
    PromiseInput,
    activity_log,
    promise_cancel,
    promise_record,
    promises_check,
)
from credit.models import CreditProfile
from otc.errors import IllegalTransition, ValidationFailed
from otc.ledger.models import ApplicationKind, ItemKind
from otc.ledger.services import ledger_apply, ledger_item_post
from otc.tenancy.context import tenant_context
from tests.collections_app.dunning.helpers import SYSTEM, customer, invoice

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)


def pay(tenant, cust, inv, amount: str, on: date):
    payment = ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=cust,
        kind=ItemKind.PAYMENT,
        number=f"PAY-{inv.number}-{amount}",
        currency=inv.currency,
        amount=Decimal(amount),
        document_date=on,
        rate=inv.fx_rate,
    )
    ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=inv.pk,
        credit_item_id=payment.pk,
        amount=Decimal(amount),
        effective_date=on,
        kind=ApplicationKind.CASH,
    )


@time_machine.travel(DAY, tick=False)
def test_promise_kept_when_cash_is_applied_and_broken_when_date_passes(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        c1 = customer(tenant_a, "C1")
        inv1 = invoice(tenant_a, c1, "INV-1", "1000.00", due=DAY - timedelta(days=10))
        inv2 = invoice(tenant_a, c1, "INV-2", "400.00", due=DAY - timedelta(days=10))
        pay(tenant_a, c1, inv1, "100.00", DAY - timedelta(days=2))  # before the promise
        kept = promise_record(
            tenant=tenant_a,
            actor=SYSTEM,
            data=PromiseInput(
                customer_id=c1.pk,
                amount=Decimal("500.00"),
                currency="EUR",
                promised_date=DAY + timedelta(days=5),
                item_ids=[inv1.pk],
            ),
        )
        broken = promise_record(
            tenant=tenant_a,
            actor=SYSTEM,
            data=PromiseInput(
                customer_id=c1.pk,
                amount=Decimal("400.00"),
                currency="EUR",
                promised_date=DAY + timedelta(days=3),
                item_ids=[inv2.pk],
            ),
        )
        assert kept.applied_at_promise == Decimal("100.0000")
        pay(tenant_a, c1, inv1, "499.99", DAY + timedelta(days=1))
        assert promises_check(tenant=tenant_a, day=DAY + timedelta(days=1)).kept == 0
        pay(tenant_a, c1, inv1, "0.01", DAY + timedelta(days=2))
        pay(tenant_a, c1, inv2, "50.00", DAY + timedelta(days=2))
        result = promises_check(tenant=tenant_a, day=DAY + timedelta(days=3))
        assert (result.kept, result.broken) == (1, 0)  # on its date a promise is not broken yet
        result = promises_check(tenant=tenant_a, day=DAY + timedelta(days=4))
        assert (result.kept, result.broken) == (0, 1)
        kept.refresh_from_db()
        broken.refresh_from_db()
        assert (kept.status, kept.resolved_on) == (PromiseStatus.KEPT, DAY + timedelta(days=3))
        assert kept.applied_so_far == Decimal("500.0000")
        assert (broken.status, broken.resolved_on) == (
            PromiseStatus.BROKEN,
            DAY + timedelta(days=4),
        )
        assert broken.applied_so_far == Decimal("50.0000")
        with pytest.raises(IllegalTransition):
            promise_cancel(tenant=tenant_a, actor=SYSTEM, promise_id=kept.pk)
    with tenant_context(tenant_b):
        assert not PromiseToPay.objects.for_tenant(tenant_b).exists()


@time_machine.travel(DAY, tick=False)
def test_promise_input_is_checked(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        foreign = customer(tenant_b, "B1")
        foreign_item = invoice(tenant_b, foreign, "B-1", "10.00", due=DAY)
    with tenant_context(tenant_a):
        c1 = customer(tenant_a, "C1")
        inv = invoice(tenant_a, c1, "INV-1", "100.00", due=DAY)
        cases = [
            ({"amount": Decimal(0)}, "amount"),
            ({"promised_date": DAY - timedelta(days=1)}, "promised_date"),
            ({"item_ids": [foreign_item.pk]}, "item_ids"),
            ({"currency": "USD"}, "item_ids"),
            ({"amount": Decimal("100.01")}, "amount"),
        ]
        for change, field in cases:
            data = {
                "customer_id": c1.pk,
                "amount": Decimal("50.00"),
                "currency": "EUR",
                "promised_date": DAY + timedelta(days=3),
                "item_ids": [inv.pk],
                **change,
            }
            with pytest.raises(ValidationFailed) as caught:
                promise_record(tenant=tenant_a, actor=SYSTEM, data=PromiseInput(**data))
            assert field in caught.value.errors, change
        assert not PromiseToPay.objects.for_tenant(tenant_a).exists()


def test_score_reasons():
    score = score_of(
        amount=Decimal("9999.00"), base_currency="EUR", days=45, risk_class="D", broken=1, level=2
    )
    assert score.score == 320 + 90 + 100 + 75 + 50
    assert score.reasons == [
        "9,999.00 EUR overdue (+320)",
        "oldest item 45 days overdue (+90)",
        "risk class D (+100)",
        "1 broken promise (+75)",
        "dunning level 2 reached (+50)",
    ]


def test_priorities_rank_customers_and_worklist_filters_by_collector(tenant_a, tenant_b, owner_a):
    with tenant_context(tenant_b):
        other = customer(tenant_b, "B1")
        invoice(tenant_b, other, "B-1", "99999.00", due=DAY - timedelta(days=90))
    with tenant_context(tenant_a):
        small = customer(tenant_a, "SMALL", collector=owner_a)
        risky = customer(tenant_a, "RISKY")
        paid_up = customer(tenant_a, "PAID")
        invoice(tenant_a, small, "S-1", "100.00", due=DAY - timedelta(days=5))
        invoice(tenant_a, risky, "R-1", "5000.00", due=DAY - timedelta(days=40))
        invoice(tenant_a, paid_up, "P-1", "100.00", due=DAY + timedelta(days=5))
        CreditProfile.objects.for_tenant(tenant_a).create(
            tenant=tenant_a, customer=risky, currency="EUR", risk_class="E"
        )
        assert collection_priorities_compute(tenant=tenant_a, day=DAY) == 2
        assert collection_priorities_compute(tenant=tenant_a, day=DAY) == 2  # replaces
        rows = list(worklist(tenant=tenant_a, day=DAY))
        assert [row.customer.number for row in rows] == ["RISKY", "SMALL"]
        assert rows[0].overdue_base_amount == Decimal("5000.0000")
        assert "risk class E (+150)" in rows[0].reasons
        mine = list(worklist(tenant=tenant_a, day=DAY, collector_id=owner_a.pk))
        assert [row.customer.number for row in mine] == ["SMALL"]
        figures = collector_figures(tenant=tenant_a, day=DAY)
        assert figures.worklist_size == 2
        assert figures.overdue_base_amount == Decimal("5100.0000")
    with tenant_context(tenant_b):
        assert not CollectionPriority.objects.for_tenant(tenant_b).exists()


@time_machine.travel(DAY, tick=False)
def test_timeline_and_follow_ups(tenant_a):
    with tenant_context(tenant_a):
        c1 = customer(tenant_a, "C1")
        inv = invoice(tenant_a, c1, "INV-1", "100.00", due=DAY - timedelta(days=5))
        activity_log(
            tenant=tenant_a,
            actor=SYSTEM,
            customer_id=c1.pk,
            kind="call",
            subject="Called AP",
            outcome="reached",
            next_action_date=DAY,
        )
        assert [a.subject for a in follow_ups_due(tenant=tenant_a, day=DAY)] == ["Called AP"]
        with pytest.raises(ValidationFailed) as caught:
            activity_log(tenant=tenant_a, actor=SYSTEM, customer_id=c1.pk, kind="note", subject=" ")
        assert "subject" in caught.value.errors
        promise_record(
            tenant=tenant_a,
            actor=SYSTEM,
            data=PromiseInput(
                customer_id=c1.pk,
                amount=Decimal("100.00"),
                currency="EUR",
                promised_date=DAY + timedelta(days=2),
                item_ids=[inv.pk],
            ),
        )
        # The promise's note answers the call's next action.
        assert list(follow_ups_due(tenant=tenant_a, day=DAY)) == []
        pay(tenant_a, c1, inv, "100.00", DAY)
        kinds = sorted(entry.kind for entry in customer_timeline(tenant=tenant_a, customer=c1))
        assert kinds == ["call", "note", "payment", "promise"]


def test_a_promise_for_the_tenants_today_is_accepted_while_the_server_day_differs(tenant_a):
    """02:00 UTC on 25 November is still the 24th in New York: a promise for
    the 24th is for today there, not in the past; one for the 23rd is."""
    tenant_a.timezone = "America/New_York"
    tenant_a.save(update_fields=["timezone"])
    with time_machine.travel("2026-11-25T02:00:00Z", tick=False), tenant_context(tenant_a):
        c1 = customer(tenant_a, "C1")
        inv = invoice(tenant_a, c1, "INV-1", "250.00", due=date(2026, 11, 1))

        def promise(on: date) -> PromiseToPay:
            return promise_record(
                tenant=tenant_a,
                actor=SYSTEM,
                data=PromiseInput(
                    customer_id=c1.pk,
                    amount=Decimal("250.00"),
                    currency="EUR",
                    promised_date=on,
                    item_ids=[inv.pk],
                ),
            )

        assert promise(date(2026, 11, 24)).promised_date == date(2026, 11, 24)
        with pytest.raises(ValidationFailed) as refused:
            promise(date(2026, 11, 23))
        assert refused.value.errors == {
            "promised_date": ["The promised date cannot be in the past."]
        }
