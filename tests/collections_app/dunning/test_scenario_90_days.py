"""Ninety days of dunning with a frozen clock, driven the way production
drives it: the beat tick (twice a day, as a duplicated tick would), workers
run eagerly, the hourly promise check. Reminders go out at each level on the
right day and never twice, a payment stops further dunning of its item, a
dispute stops it, the fee is posted once per letter, a promise kept and a
promise broken are detected on the right days and a broken promise raises
the customer's priority."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from collections_app.dunning.models import (
    CollectionPriority,
    DunningCharge,
    DunningLetter,
    DunningNotice,
    LetterStatus,
    PromiseStatus,
    PromiseToPay,
)
from collections_app.dunning.services.promises import PromiseInput, promise_record
from collections_app.dunning.tasks import check_promises_all_tenants, dunning_tick
from deductions.models import Deduction
from otc.ledger.models import ItemKind, OpenItem
from otc.ledger.services import ledger_transfer_to_deduction
from otc.tenancy.context import tenant_context
from tests.collections_app.dunning.helpers import SYSTEM, customer, invoice, standard_policy
from tests.collections_app.dunning.test_promises_worklist import pay

pytestmark = pytest.mark.django_db
D0 = date(2026, 9, 1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def test_ninety_days_of_dunning(tenant_a, tenant_b, eager_tasks, settings):
    settings.DUNNING_LOCAL_HOUR = 6
    with tenant_context(tenant_b):
        standard_policy(tenant_b)
        other = customer(tenant_b, "B-OTHER")
        invoice(tenant_b, other, "B-INV", "70.00", due=day(10))
    with tenant_context(tenant_a):
        standard_policy(tenant_a, fee="5.00")
        steady = customer(tenant_a, "STEADY")
        payer = customer(tenant_a, "PAYER")
        disputer = customer(tenant_a, "DISPUTER")
        keeper = customer(tenant_a, "KEEPER")
        breaker = customer(tenant_a, "BREAKER")
        invoice(tenant_a, steady, "INV-STEADY", "1000.00", due=day(10))
        inv_paid = invoice(tenant_a, payer, "INV-PAID", "200.00", due=day(10))
        inv_disputed = invoice(tenant_a, disputer, "INV-DISPUTED", "300.00", due=day(10))
        inv_keep = invoice(tenant_a, keeper, "INV-KEEP", "300.00", due=day(5))
        inv_break = invoice(tenant_a, breaker, "INV-BREAK", "400.00", due=day(5))

    promises = {}
    for n in range(91):
        today = day(n)
        # 07:00 UTC is 09:00 in Berlin: past the 06:00 dunning hour.
        with time_machine.travel(
            datetime.combine(today, datetime.min.time(), UTC).replace(hour=7), tick=False
        ):
            with tenant_context(tenant_a):
                if n == 9:  # the keeper and the breaker promise to pay
                    promises["keep"] = promise_record(
                        tenant=tenant_a,
                        actor=SYSTEM,
                        data=PromiseInput(
                            customer_id=keeper.pk,
                            amount=Decimal("300.00"),
                            currency="EUR",
                            promised_date=day(20),
                            item_ids=[inv_keep.pk],
                        ),
                    )
                    promises["break"] = promise_record(
                        tenant=tenant_a,
                        actor=SYSTEM,
                        data=PromiseInput(
                            customer_id=breaker.pk,
                            amount=Decimal("400.00"),
                            currency="EUR",
                            promised_date=day(20),
                            item_ids=[inv_break.pk],
                        ),
                    )
                if n == 19:
                    pay(tenant_a, payer, inv_paid, "200.00", today)
                    pay(tenant_a, keeper, inv_keep, "300.00", today)
                if n == 22:  # the customer disputes: the rest becomes a deduction
                    deduction_item = ledger_transfer_to_deduction(
                        tenant=tenant_a,
                        actor=SYSTEM,
                        debit_item_id=inv_disputed.pk,
                        amount=Decimal("300.00"),
                        effective_date=today,
                        number="DED-1",
                        reason="damaged goods",
                    )
                    Deduction.objects.for_tenant(tenant_a).create(
                        tenant=tenant_a,
                        customer=disputer,
                        open_item=deduction_item,
                        invoice_item=inv_disputed,
                        amount=Decimal("300.00"),
                        currency="EUR",
                        status="in_review",
                    )
            dunning_tick()
            dunning_tick()  # a duplicated beat tick
            check_promises_all_tenants()
            with tenant_context(tenant_a):
                if n == 19:
                    assert (
                        PromiseToPay.objects.for_tenant(tenant_a).get(pk=promises["keep"].pk).status
                        == PromiseStatus.KEPT
                    )
                if n == 20:  # on its date the broken promise is still open
                    assert (
                        PromiseToPay.objects.for_tenant(tenant_a)
                        .get(pk=promises["break"].pk)
                        .status
                        == PromiseStatus.OPEN
                    )

    with tenant_context(tenant_a):
        sent: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for number, level, run_date in DunningNotice.objects.for_tenant(tenant_a).values_list(
            "open_item__number", "level_number", "run__run_date"
        ):
            sent[number].append((level, (run_date - D0).days))
        sent = {number: sorted(pairs, key=lambda p: p[1]) for number, pairs in sent.items()}
        # Levels: 1 at -3 days, 2 at 7, 3 at 21, 4 at 45 (no grace days).
        assert sent["INV-STEADY"] == [(1, 7), (2, 17), (3, 31), (4, 55)]
        # Paid on day 19, after the first reminder at day 17.
        assert sent["INV-PAID"] == [(1, 7), (2, 17)]
        # Disputed on day 22: nothing after it, and the deduction is not chased.
        assert sent["INV-DISPUTED"] == [(1, 7), (2, 17)]
        assert "DED-1" not in sent
        # The promise (day 9 to day 20) held the reminders back; kept on day 19.
        assert sent["INV-KEEP"] == [(1, 2)]
        # The broken promise: dunning resumes the day after its date, at the
        # level reached by then (16 days overdue: level 2), then level 3 and 4.
        assert sent["INV-BREAK"] == [(1, 2), (2, 21), (3, 26), (4, 50)]

        kept = PromiseToPay.objects.for_tenant(tenant_a).get(pk=promises["keep"].pk)
        broken = PromiseToPay.objects.for_tenant(tenant_a).get(pk=promises["break"].pk)
        assert (kept.status, kept.resolved_on) == (PromiseStatus.KEPT, day(19))
        assert (broken.status, broken.resolved_on) == (PromiseStatus.BROKEN, day(21))
        priority = CollectionPriority.objects.for_tenant(tenant_a).get(
            customer=breaker, day=day(21)
        )
        assert priority.broken_promises == 1
        assert "1 broken promise (+75)" in priority.reasons

        letters = DunningLetter.objects.for_tenant(tenant_a)
        assert set(letters.values_list("status", flat=True)) == {LetterStatus.SENT}
        # One e-mail per letter, never two for a letter.
        tenant_a_mail = [m for m in mail.outbox if "b-other" not in m.to[0]]
        assert len(tenant_a_mail) == letters.count()
        # The fee (level 3, 5.00 EUR) is posted exactly once per level-3 letter:
        # STEADY and BREAKER reached level 3 on day 31 and 26; their fee memos
        # (due 14 days later) are chased themselves and reach level 3 on
        # days 66 and 61, which charges the fee of that letter.
        level3_letters = letters.filter(level__number=3)
        fees = DunningCharge.objects.for_tenant(tenant_a).filter(kind="fee")
        assert sorted(fees.values_list("letter_id", flat=True)) == sorted(
            level3_letters.values_list("id", flat=True)
        )
        assert sorted(
            (f.letter.customer.number, (f.letter.run.run_date - D0).days) for f in fees
        ) == [("BREAKER", 26), ("BREAKER", 61), ("STEADY", 31), ("STEADY", 66)]
        assert all(fee.amount == Decimal("5.0000") for fee in fees)
        fee_items = OpenItem.objects.for_tenant(tenant_a).filter(
            kind=ItemKind.DEBIT_MEMO, number__endswith="-F-EUR"
        )
        assert fee_items.count() == 4
    with tenant_context(tenant_b):
        assert (
            DunningNotice.objects.for_tenant(tenant_b).filter(open_item__number="B-INV").count()
            == 4
        )
