"""Collection strategies create worklist tasks once a day, never twice; the
collector marks them done, snoozes them or hands them on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from collections_app.strategies import selectors
from collections_app.strategies.models import (
    CollectionTask,
    StrategyRunDay,
    TaskKind,
    TaskStatus,
)
from collections_app.strategies.services.strategies import (
    strategies_run,
    strategy_set_active,
    strategy_step_add,
    strategy_step_remove,
)
from collections_app.strategies.services.tasks import task_done, task_reassign, task_snooze
from collections_app.strategies.tasks import strategies_tick
from credit.models import CreditProfile
from otc.errors import IllegalTransition, NotFound, ValidationFailed
from otc.ledger.models import ApplicationKind, ItemKind
from otc.ledger.services import ledger_apply, ledger_item_post
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Membership
from tests.collections_app.dunning.helpers import SYSTEM, customer, invoice
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)


def member(tenant, role: str, email: str):
    user = UserFactory(email=email)
    Membership.objects.for_tenant(tenant).create(tenant=tenant, user=user, role=role)
    return user


def risky(tenant, number: str, risk_class: str, **kw):
    cust = customer(tenant, number, **kw)
    CreditProfile.objects.for_tenant(tenant).create(
        tenant=tenant, customer=cust, currency="EUR", risk_class=risk_class
    )
    return cust


def class_d(tenant):
    strategy_step_add(tenant=tenant, actor=SYSTEM, risk_class="D", kind="call", days_overdue=10)
    return strategy_step_add(
        tenant=tenant, actor=SYSTEM, risk_class="D", kind="escalation", days_overdue=45
    )


def pay_in_full(tenant, cust, item):
    payment = ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=cust,
        kind=ItemKind.PAYMENT,
        number=f"PAY-{item.number}",
        currency=item.currency,
        amount=item.amount,
        document_date=DAY,
        rate=item.fx_rate,
    )
    ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=item.pk,
        credit_item_id=payment.pk,
        amount=item.amount,
        effective_date=DAY,
        kind=ApplicationKind.CASH,
    )


def test_class_d_calls_at_10_days_and_escalates_at_45_never_twice(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        class_d(tenant_b)
        other = risky(tenant_b, "B1", "D")
        invoice(tenant_b, other, "B-INV", "100.00", due=DAY - timedelta(days=60))
    with tenant_context(tenant_a):
        collector = member(tenant_a, "collector", "kim@alpha.example")
        class_d(tenant_a)
        late = risky(tenant_a, "C1", "D", collector=collector)
        oldest = invoice(tenant_a, late, "INV-OLD", "500.00", due=DAY - timedelta(days=9))
        invoice(tenant_a, late, "INV-NEW", "200.00", due=DAY - timedelta(days=2))
        safe = risky(tenant_a, "C2", "A")  # no strategy for class A
        invoice(tenant_a, safe, "INV-A", "900.00", due=DAY - timedelta(days=60))
        legal = risky(tenant_a, "C3", "D", status="in_legal")
        invoice(tenant_a, legal, "INV-L", "900.00", due=DAY - timedelta(days=60))

        assert strategies_run(tenant=tenant_a, day=DAY) == 0  # 9 days: nothing yet
        assert strategies_run(tenant=tenant_a, day=DAY + timedelta(days=1)) == 1
        call = CollectionTask.objects.get()
        assert (call.kind, call.customer_id, call.trigger_item_id) == (
            TaskKind.CALL,
            late.pk,
            oldest.pk,
        )
        assert call.assigned_to_id == collector.pk
        assert call.title == "Call: INV-OLD is 10 days overdue"
        # Every later day (and a second run the same day) adds nothing new.
        for offset in (1, 2, 20):
            assert strategies_run(tenant=tenant_a, day=DAY + timedelta(days=offset)) == 0
        assert strategies_run(tenant=tenant_a, day=DAY + timedelta(days=36)) == 1
        escalation = CollectionTask.objects.get(kind=TaskKind.ESCALATION)
        assert escalation.assigned_to_id is None  # for the manager
        assert strategies_run(tenant=tenant_a, day=DAY + timedelta(days=36)) == 0
        assert CollectionTask.objects.count() == 2
        assert StrategyRunDay.objects.filter(day=DAY + timedelta(days=36)).get().tasks_created == 1

    with tenant_context(tenant_b):
        assert CollectionTask.objects.count() == 0


def test_a_new_overdue_episode_gets_a_new_call_after_the_first_is_done(tenant_a):
    with tenant_context(tenant_a):
        class_d(tenant_a)
        cust = risky(tenant_a, "C1", "D")
        first = invoice(tenant_a, cust, "INV-1", "100.00", due=DAY - timedelta(days=12))
        second = invoice(tenant_a, cust, "INV-2", "100.00", due=DAY - timedelta(days=11))
        assert strategies_run(tenant=tenant_a, day=DAY) == 1
        call = CollectionTask.objects.get()
        # Paying the oldest makes the next one the trigger, but the open call covers it.
        pay_in_full(tenant_a, cust, first)
        assert strategies_run(tenant=tenant_a, day=DAY + timedelta(days=1)) == 0
        task_done(tenant=tenant_a, actor=SYSTEM, task_id=call.pk)
        assert strategies_run(tenant=tenant_a, day=DAY + timedelta(days=1)) == 1
        assert CollectionTask.objects.filter(trigger_item=second).count() == 1


@time_machine.travel(DAY, tick=False)
def test_done_snooze_reassign_and_their_refusals(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        stranger = member(tenant_b, "collector", "eve@bravo.example")
    with tenant_context(tenant_a):
        kim = member(tenant_a, "collector", "kim@alpha.example")
        lou = member(tenant_a, "collector", "lou@alpha.example")
        auditor = member(tenant_a, "auditor", "ann@alpha.example")
        class_d(tenant_a)
        cust = risky(tenant_a, "C1", "D", collector=kim)
        invoice(tenant_a, cust, "INV-1", "100.00", due=DAY - timedelta(days=50))
        assert strategies_run(tenant=tenant_a, day=DAY) == 2
        call = CollectionTask.objects.get(kind=TaskKind.CALL)
        escalation = CollectionTask.objects.get(kind=TaskKind.ESCALATION)
        assert list(selectors.calls_due(tenant=tenant_a, day=DAY, collector_id=kim.pk)) == [call]
        # The unassigned escalation shows to the customer's collector too.
        assert list(selectors.escalations_due(tenant=tenant_a, day=DAY, collector_id=kim.pk)) == [
            escalation
        ]

        with pytest.raises(ValidationFailed) as past:
            task_snooze(tenant=tenant_a, actor=SYSTEM, task_id=call.pk, until=DAY)
        assert past.value.errors == {"until": ["Choose a day after today."]}
        task_snooze(tenant=tenant_a, actor=SYSTEM, task_id=call.pk, until=DAY + timedelta(days=3))
        assert list(selectors.calls_due(tenant=tenant_a, day=DAY, collector_id=kim.pk)) == []
        back = selectors.calls_due(tenant=tenant_a, day=DAY + timedelta(days=3))
        assert [t.pk for t in back] == [call.pk]

        for outsider in (stranger.pk, auditor.pk):
            with pytest.raises(ValidationFailed):
                task_reassign(tenant=tenant_a, actor=SYSTEM, task_id=call.pk, user_id=outsider)
        task_reassign(tenant=tenant_a, actor=SYSTEM, task_id=call.pk, user_id=lou.pk)
        call.refresh_from_db()
        assert (call.assigned_to_id, call.status) == (lou.pk, TaskStatus.SNOOZED)
        later = DAY + timedelta(days=5)
        assert list(selectors.calls_due(tenant=tenant_a, day=later, collector_id=kim.pk)) == []
        assert list(selectors.calls_due(tenant=tenant_a, day=later, collector_id=lou.pk)) == [call]

        task_done(tenant=tenant_a, actor=SYSTEM, task_id=call.pk)
        call.refresh_from_db()
        assert (call.status, call.snoozed_until) == (TaskStatus.DONE, None)
        with pytest.raises(IllegalTransition):
            task_done(tenant=tenant_a, actor=SYSTEM, task_id=call.pk)
        with pytest.raises(IllegalTransition):
            task_snooze(
                tenant=tenant_a, actor=SYSTEM, task_id=call.pk, until=DAY + timedelta(days=9)
            )
        with pytest.raises(IllegalTransition):
            task_reassign(tenant=tenant_a, actor=SYSTEM, task_id=call.pk, user_id=kim.pk)

    with tenant_context(tenant_b), pytest.raises(NotFound):
        task_done(tenant=tenant_b, actor=SYSTEM, task_id=escalation.pk)
    with tenant_context(tenant_a):
        escalation.refresh_from_db()
        assert escalation.status == TaskStatus.OPEN


def test_strategy_editing_rejects_duplicates_and_switches_off(tenant_a):
    with tenant_context(tenant_a):
        step = class_d(tenant_a)
        with pytest.raises(ValidationFailed) as duplicate:
            class_d(tenant_a)
        assert duplicate.value.errors == {
            "days_overdue": ["Class D already has a call step at 10 days."]
        }
        with pytest.raises(ValidationFailed) as bad:
            strategy_step_add(
                tenant=tenant_a, actor=SYSTEM, risk_class="X", kind="visit", days_overdue=400
            )
        assert set(bad.value.errors) == {"risk_class", "kind", "days_overdue"}
        cust = risky(tenant_a, "C1", "D")
        invoice(tenant_a, cust, "INV-1", "100.00", due=DAY - timedelta(days=50))
        strategy_set_active(
            tenant=tenant_a, actor=SYSTEM, strategy_id=step.strategy_id, is_active=False
        )
        assert strategies_run(tenant=tenant_a, day=DAY) == 0
        strategy_set_active(
            tenant=tenant_a, actor=SYSTEM, strategy_id=step.strategy_id, is_active=True
        )
        strategy_step_remove(tenant=tenant_a, actor=SYSTEM, step_id=step.pk)
        assert strategies_run(tenant=tenant_a, day=DAY) == 1
        assert CollectionTask.objects.get().kind == TaskKind.CALL


def test_beat_tick_runs_each_tenant_once_its_local_hour_has_come(tenant_a, tenant_b, eager_tasks):
    tenant_a.timezone = "Europe/Berlin"
    tenant_a.save(update_fields=["timezone"])
    tenant_b.timezone = "America/New_York"
    tenant_b.save(update_fields=["timezone"])
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            class_d(tenant)
            cust = risky(tenant, "C1", "D")
            invoice(tenant, cust, "INV-1", "100.00", due=DAY - timedelta(days=20))
    # 06:30 UTC: 07:30 in Berlin (after the default hour), 01:30 in New York.
    with time_machine.travel("2026-11-20T06:30:00Z", tick=False):
        assert strategies_tick() == 1
        assert strategies_tick() == 0  # the day's run is recorded
    with tenant_context(tenant_a):
        assert CollectionTask.objects.count() == 1
    with tenant_context(tenant_b):
        assert CollectionTask.objects.count() == 0


def test_customers_left_out_of_dunning_get_no_call_tasks_either(tenant_a, tenant_b):
    """On hold and in legal are left out of dunning (NOT_CHASED_STATUSES);
    a strategy makes no call or escalation for them, while a closed customer
    who still owes money is chased by both."""
    with tenant_context(tenant_b):
        class_d(tenant_b)
        other_held = risky(tenant_b, "B1", "D", status="on_hold")
        invoice(tenant_b, other_held, "B-INV", "100.00", due=DAY - timedelta(days=60))
    with tenant_context(tenant_a):
        class_d(tenant_a)
        held = risky(tenant_a, "C1", "D", status="on_hold")
        invoice(tenant_a, held, "INV-H", "900.00", due=DAY - timedelta(days=60))
        legal = risky(tenant_a, "C2", "D", status="in_legal")
        invoice(tenant_a, legal, "INV-L", "900.00", due=DAY - timedelta(days=60))
        closed = risky(tenant_a, "C3", "D", status="closed")
        invoice(tenant_a, closed, "INV-C", "900.00", due=DAY - timedelta(days=60))

        assert strategies_run(tenant=tenant_a, day=DAY) == 2  # call + escalation for C3
        assert set(CollectionTask.objects.values_list("customer_id", flat=True)) == {closed.pk}

        # Released from hold, the customer is chased from the next run on.
        held.status = "active"
        held.save(update_fields=["status"])
        assert strategies_run(tenant=tenant_a, day=DAY) == 2
        assert set(CollectionTask.objects.values_list("customer_id", flat=True)) == {
            closed.pk,
            held.pk,
        }
    with tenant_context(tenant_b):
        assert CollectionTask.objects.count() == 0
