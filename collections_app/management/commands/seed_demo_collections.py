"""``manage.py seed_demo_collections``: dunning and collections for the demo companies.

Called by ``seed_demo`` after the AR book and credit standing exist. For each
demo company it adds the standard dunning policy (a friendly reminder three
days before the due date, reminders at 7 and 21 days with a fee at 21, a
final demand at 45; English and German texts), a few collector calls with
next actions, and promises to pay (one due today, one in a week), then
computes today's worklist priorities. Dunning itself is left to the beat
task at the company's local dunning hour, or to "Start a run" on the runs
page, so the first `make run` sends nothing by surprise. Through the
services, deterministic, idempotent (a company with a policy is left alone).
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from collections_app.dunning.models import ActivityKind, DunningPolicy
from collections_app.dunning.services.policies import (
    LevelInput,
    PolicyInput,
    TemplateInput,
    dunning_policy_create,
)
from collections_app.dunning.services.priorities import collection_priorities_compute
from collections_app.dunning.services.promises import (
    PromiseInput,
    activity_log,
    promise_record,
)
from otc.audit.services import Actor
from otc.ledger.models import ItemKind, ItemStatus, OpenItem
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant

DEMO_SLUGS = ("northwind", "blue-harbor")

_ITEMS = "{items}"
_EN = {
    "subject": "{level_name}: {total_due} open for {customer_name}",
    "body": (
        "Dear {contact_name},\n\nour records show {item_count} item(s) of "
        "{customer_name} open, the oldest due on {oldest_due_date}:\n\n"
        f"{_ITEMS}\n\nPlease pay {{total_due}} or tell us why not.\n{{fees}}\n\n"
        "Kind regards\n{company_name}"
    ),
    "letter": (
        "Dear {contact_name},\n\nthe following items are overdue by up to "
        f"{{max_days_overdue}} days:\n\n{_ITEMS}\n\nPlease pay {{total_due}} "
        "within 7 days.\n{fees}"
    ),
}
_DE = {
    "subject": "{level_name}: {total_due} offen für {customer_name}",
    "body": (
        "Sehr geehrte Damen und Herren,\n\nbei {customer_name} sind {item_count} "
        f"Posten offen, der älteste fällig am {{oldest_due_date}}:\n\n{_ITEMS}\n\n"
        "Bitte überweisen Sie {total_due}.\n{fees}\n\nMit freundlichen Grüßen\n{company_name}"
    ),
    "letter": (
        "Sehr geehrte Damen und Herren,\n\nfolgende Posten sind bis zu "
        f"{{max_days_overdue}} Tage überfällig:\n\n{_ITEMS}\n\nBitte zahlen Sie "
        "{total_due} innerhalb von 7 Tagen.\n{fees}"
    ),
}


def _templates(prefix_en: str, prefix_de: str) -> list[TemplateInput]:
    return [
        TemplateInput(
            language=language,
            subject=texts["subject"],
            body=f"{prefix}\n\n{texts['body']}",
            letter_text=f"{prefix}\n\n{texts['letter']}",
        )
        for language, prefix, texts in (("en", prefix_en, _EN), ("de", prefix_de, _DE))
    ]


def standard_policy_input(currency: str) -> PolicyInput:
    return PolicyInput(
        name="Standard",
        description="Every customer without a policy of its own.",
        is_default=True,
        min_amount=Decimal("25.00"),
        grace_days=2,
        levels=[
            LevelInput(
                name="Friendly reminder",
                days_overdue=-3,
                templates=_templates(
                    "A friendly reminder: payment falls due in a few days.",
                    "Eine freundliche Erinnerung: in wenigen Tagen wird eine Zahlung fällig.",
                ),
            ),
            LevelInput(
                name="First reminder",
                days_overdue=7,
                templates=_templates(
                    "Perhaps this has slipped your attention.",
                    "Vielleicht ist Ihnen diese Zahlung entgangen.",
                ),
            ),
            LevelInput(
                name="Second reminder",
                days_overdue=21,
                channel="both",
                fee_amount=Decimal("10.00"),
                fee_currency=currency,
                templates=_templates(
                    "We have not yet received your payment.",
                    "Leider haben wir Ihre Zahlung noch nicht erhalten.",
                ),
            ),
            LevelInput(
                name="Final demand",
                days_overdue=45,
                channel="both",
                templates=_templates(
                    "This is our final demand before we hand the matter over.",
                    "Dies ist unsere letzte Mahnung vor der Übergabe an ein Inkassobüro.",
                ),
            ),
        ],
    )


class Command(BaseCommand):
    help = "Load a dunning policy, calls and promises for the demo companies (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for slug in DEMO_SLUGS:
            tenant = Tenant.objects.filter(slug=slug).first()
            if tenant is None:
                self._progress(f"{slug} is not loaded (run seed_demo): skipped.")
                continue
            with tenant_context(tenant):
                if DunningPolicy.objects.for_tenant(tenant).exists():
                    self._progress(f"{tenant.name} has a dunning policy already: nothing to do.")
                    continue
                started = time.monotonic()
                with transaction.atomic():
                    summary = self._seed(tenant)
                self._progress(f"{tenant.name}: {summary} ({time.monotonic() - started:.1f}s)")

    def _progress(self, message: str) -> None:
        self.stderr.write(message, style_func=str)

    def _seed(self, tenant: Tenant) -> str:
        actor = Actor.system("demo data")
        today = timezone.localdate(timezone=ZoneInfo(tenant.timezone))
        dunning_policy_create(
            tenant=tenant, actor=actor, data=standard_policy_input(str(tenant.base_currency))
        )
        # The customers who owe the most overdue money get the calls.
        overdue = (
            OpenItem.objects.for_tenant(tenant)
            .filter(status=ItemStatus.OPEN, kind=ItemKind.INVOICE, due_date__lt=today)
            .values("customer_id")
            .annotate(total=Sum("open_amount"))
            .order_by("-total", "customer_id")[:6]
        )
        calls = promises = 0
        for rank, row in enumerate(overdue):
            customer_id = row["customer_id"]
            activity_log(
                tenant=tenant,
                actor=actor,
                customer_id=customer_id,
                kind=ActivityKind.CALL,
                subject="Called accounts payable about the overdue invoices",
                body="Spoke to the AP clerk; they are checking the invoices with purchasing.",
                outcome="reached",
                next_action_date=today + timedelta(days=2 + rank),
            )
            calls += 1
            if rank >= 2:
                continue
            items = list(
                OpenItem.objects.for_tenant(tenant)
                .filter(
                    customer_id=customer_id,
                    status=ItemStatus.OPEN,
                    kind=ItemKind.INVOICE,
                    due_date__lt=today,
                )
                .order_by("due_date", "pk")[:2]
            )
            if not items or len({str(item.currency) for item in items}) != 1:
                continue
            promise_record(
                tenant=tenant,
                actor=actor,
                data=PromiseInput(
                    customer_id=customer_id,
                    amount=sum((item.open_amount for item in items), Decimal(0)),
                    currency=str(items[0].currency),
                    promised_date=today + timedelta(days=7 * rank),
                    item_ids=[item.pk for item in items],
                    note="Promised on the phone by the AP clerk.",
                ),
            )
            promises += 1
        ranked = collection_priorities_compute(tenant=tenant, day=today)
        return (
            f"dunning policy with 4 levels, {calls} calls, {promises} promises, "
            f"{ranked} customers ranked"
        )
