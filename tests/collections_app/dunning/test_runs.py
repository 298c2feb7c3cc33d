from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail

from collections_app.dunning.models import (
    DunningCharge,
    DunningLetter,
    DunningNotice,
    DunningRun,
    LetterStatus,
    RunStatus,
)
from collections_app.dunning.services import letters as letters_module
from collections_app.dunning.services.runs import dunning_run_deliver_all, dunning_run_start
from collections_app.dunning.services.selection import dunning_due_pairs
from collections_app.dunning.tasks import local_run_day
from deductions.models import Deduction
from otc.ledger.models import ItemKind, OpenItem
from otc.ledger.services import ledger_item_post
from otc.tenancy.context import tenant_context
from tests.collections_app.dunning.helpers import SYSTEM, customer, invoice, standard_policy

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)


def start(tenant, day=DAY):
    return dunning_run_start(tenant=tenant, actor=SYSTEM, run_date=day, trigger="manual")


def levels_of(tenant):
    return sorted(
        DunningNotice.objects.for_tenant(tenant).values_list(
            "open_item__number", "level_number", "letter__customer__number"
        )
    )


def test_run_groups_items_per_customer_at_their_levels(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        standard_policy(tenant_b)
        other = customer(tenant_b, "B1")
        invoice(tenant_b, other, "B-INV", "500.00", due=DAY - timedelta(days=30))
    with tenant_context(tenant_a):
        standard_policy(tenant_a)
        c1 = customer(tenant_a, "C1")
        c2 = customer(tenant_a, "C2", currency="USD")
        held = customer(tenant_a, "C3", status="on_hold")
        invoice(tenant_a, c1, "INV-PRE", "100.00", due=DAY + timedelta(days=2))  # -2: reminder
        invoice(tenant_a, c1, "INV-NOTYET", "100.00", due=DAY + timedelta(days=10))
        invoice(tenant_a, c1, "INV-7", "200.00", due=DAY - timedelta(days=7))  # level 2
        invoice(tenant_a, c1, "INV-30", "300.00", due=DAY - timedelta(days=30))  # level 3
        invoice(tenant_a, c2, "INV-USD", "1000.00", due=DAY - timedelta(days=60), currency="USD")
        invoice(tenant_a, held, "INV-HELD", "900.00", due=DAY - timedelta(days=60))
        # A disputed deduction is left to the deductions process; an invalid one is chased.
        for number, status in (("DED-NEW", "new"), ("DED-INVALID", "invalid")):
            item = ledger_item_post(
                tenant=tenant_a,
                actor=SYSTEM,
                customer=c2,
                kind=ItemKind.DEDUCTION,
                number=number,
                currency="EUR",
                amount=Decimal("40.00"),
                document_date=DAY - timedelta(days=40),
                due_date=DAY - timedelta(days=40),
                rate=Decimal(1),
            )
            Deduction.objects.for_tenant(tenant_a).create(
                tenant=tenant_a,
                customer=c2,
                open_item=item,
                invoice_item=item,
                amount=Decimal("40.00"),
                currency="EUR",
                status=status,
            )

        preview = dunning_due_pairs(tenant=tenant_a, day=DAY)
        run = start(tenant_a)

        assert run.status == RunStatus.SELECTED
        assert len(preview) == run.notice_count == 5
        assert levels_of(tenant_a) == [
            ("DED-INVALID", 3, "C2"),
            ("INV-30", 3, "C1"),
            ("INV-7", 2, "C1"),
            ("INV-PRE", 1, "C1"),
            ("INV-USD", 4, "C2"),
        ]
        letters = {
            letter.customer.number: letter
            for letter in DunningLetter.objects.for_tenant(tenant_a).select_related("level")
        }
        assert set(letters) == {"C1", "C2"}
        assert letters["C1"].level.number == 3
        assert letters["C2"].level.number == 4
        assert letters["C2"].channel == "both"
    with tenant_context(tenant_b):
        assert not DunningRun.objects.for_tenant(tenant_b).exists()
        assert not DunningNotice.objects.for_tenant(tenant_b).exists()


def test_minimum_amount_and_grace_days(tenant_a):
    with tenant_context(tenant_a):
        standard_policy(tenant_a, min_amount=Decimal("250.00"), grace_days=3)
        small = customer(tenant_a, "SMALL")
        big = customer(tenant_a, "BIG")
        invoice(tenant_a, small, "S-1", "249.99", due=DAY - timedelta(days=20))
        invoice(tenant_a, big, "B-1", "300.00", due=DAY - timedelta(days=9))  # 7 + 3 grace: no
        invoice(tenant_a, big, "B-2", "300.00", due=DAY - timedelta(days=24))  # 21 + 3: level 3

        start(tenant_a)

        assert levels_of(tenant_a) == [("B-2", 3, "BIG")]


def test_same_day_again_and_following_days_never_repeat_a_level(tenant_a):
    with tenant_context(tenant_a):
        standard_policy(tenant_a)
        c1 = customer(tenant_a, "C1")
        invoice(tenant_a, c1, "INV-1", "100.00", due=DAY - timedelta(days=8))
        first = start(tenant_a)
        again = start(tenant_a)
        assert again.pk == first.pk
        nxt = start(tenant_a, DAY + timedelta(days=1))
        assert nxt.status == RunStatus.COMPLETED
        assert nxt.letter_count == 0
        later = start(tenant_a, DAY + timedelta(days=14))  # 22 days: level 3
        assert later.letter_count == 1
        assert levels_of(tenant_a) == [("INV-1", 2, "C1"), ("INV-1", 3, "C1")]


def test_letters_are_sent_with_pdf_and_fee_posted_once(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        standard_policy(tenant_a, fee="5.00", interest="10")
        c1 = customer(tenant_a, "C1", language="de", email="ar@c1.example")
        invoice(tenant_a, c1, "INV-1", "365.00", due=DAY - timedelta(days=30))
        run = start(tenant_a)

        counts = dunning_run_deliver_all(tenant=tenant_a, run=run)
        dunning_run_deliver_all(tenant=tenant_a, run=run)  # a second pass finds nothing pending

        assert counts == {letters_module.Outcome.SENT: 1}
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["ar@c1.example"]
        assert message.subject.startswith("DE Second reminder")  # the German template
        assert "INV-1" in message.body
        _name, content, mimetype = message.attachments[0]
        assert mimetype == "application/pdf"
        assert content.startswith(b"%PDF")
        letter = DunningLetter.objects.for_tenant(tenant_a).get()
        assert letter.status == LetterStatus.SENT
        assert letter.language == "de"
        charges = {(c.kind, c.amount) for c in DunningCharge.objects.for_tenant(tenant_a).all()}
        # 365.00 x 10 % x 30 / 365 = 3.00 interest; 5.00 fee.
        assert charges == {("fee", Decimal("5.0000")), ("interest", Decimal("3.0000"))}
        memos = OpenItem.objects.for_tenant(tenant_a).filter(kind=ItemKind.DEBIT_MEMO)
        assert sorted(memos.values_list("amount", flat=True)) == [
            Decimal("3.0000"),
            Decimal("5.0000"),
        ]
        run.refresh_from_db()
        assert run.status == RunStatus.COMPLETED
    with tenant_context(tenant_b):
        assert not OpenItem.objects.for_tenant(tenant_b).exists()


def test_crash_in_the_middle_of_delivery_resumes_without_duplicates(tenant_a):
    with tenant_context(tenant_a):
        standard_policy(tenant_a, fee="2.50")
        for n in range(5):
            cust = customer(tenant_a, f"C{n}")
            invoice(tenant_a, cust, f"INV-{n}", "100.00", due=DAY - timedelta(days=25))
        run = start(tenant_a)
        real = letters_module.html_to_pdf
        calls = {"n": 0}

        def dies_on_third(html: str) -> bytes:
            calls["n"] += 1
            if calls["n"] == 3:
                raise SystemExit("worker killed")
            return real(html)

        with (
            mock.patch.object(letters_module, "html_to_pdf", dies_on_third),
            pytest.raises(SystemExit),
        ):
            dunning_run_deliver_all(tenant=tenant_a, run=run)
        assert len(mail.outbox) == 2
        # The retried task: the run is found selected, nothing is selected again.
        again = start(tenant_a)
        assert again.notice_count == 5
        dunning_run_deliver_all(tenant=tenant_a, run=again)

        recipients = sorted(message.to[0] for message in mail.outbox)
        assert recipients == sorted(f"ap-c{n}@example.com" for n in range(5))
        assert DunningNotice.objects.for_tenant(tenant_a).count() == 5
        assert DunningCharge.objects.for_tenant(tenant_a).count() == 5
        assert set(DunningLetter.objects.for_tenant(tenant_a).values_list("status", flat=True)) == {
            LetterStatus.SENT
        }


def test_crash_during_selection_leaves_nothing_and_the_retry_selects(tenant_a):
    with tenant_context(tenant_a):
        standard_policy(tenant_a)
        cust = customer(tenant_a, "C1")
        invoice(tenant_a, cust, "INV-1", "100.00", due=DAY - timedelta(days=10))
        from collections_app.dunning.services import runs as runs_module

        with (
            mock.patch.object(runs_module, "audit_record", side_effect=RuntimeError("boom")),
            pytest.raises(RuntimeError),
        ):
            start(tenant_a)
        run = DunningRun.objects.for_tenant(tenant_a).get()
        assert run.status == RunStatus.FAILED
        assert not DunningNotice.objects.for_tenant(tenant_a).exists()
        run = start(tenant_a)
        assert run.status == RunStatus.SELECTED
        assert DunningNotice.objects.for_tenant(tenant_a).count() == 1


def test_local_dunning_hour(tenant_a):
    tenant_a.timezone = "America/New_York"
    now = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)  # 05:30 in New York
    assert local_run_day(tenant_a, now, 6) is None
    assert local_run_day(tenant_a, now + timedelta(hours=1), 6) == date(2026, 11, 20)
    late = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # 22:00 on the 20th in New York
    assert local_run_day(tenant_a, late, 6) == date(2026, 11, 20)
