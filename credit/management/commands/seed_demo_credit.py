"""``manage.py seed_demo_credit``: credit standing and orders for the demo companies.

``seed_demo`` makes the companies and customers and ``seed_demo_invoicing``
their AR book; this command (called by ``seed_demo`` after them) adds:

- a credit profile per customer: a limit sized from what the customer owes
  in the ledger (1.5 to 3 times its open receivables, rounded, at least
  10,000), a risk class from its overdue share, the next review date by
  class, and a credit block for customers in legal proceedings;
- group limits on parent accounts (80 % of their members' limits);
- about forty orders from "the ERP" over the last days, submitted through
  the credit check: most approved, several held (over limit, overdue items,
  blocked, high-risk class), one released in part against prepayment, one
  asked for information, one partly invoiced;
- scores for everyone (the scorecard sets the classes), the credit reviews
  falling due in the next two weeks, and three credit applications (one
  waiting, one escalated above an analyst's approval limit, one approved).

Everything goes through the credit services, so decisions, the outbox and
the audit trail are what production writes. Deterministic, idempotent (a
company with credit profiles is left alone), one transaction per company.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from decimal import ROUND_UP, Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Q, Sum

from credit.models import CreditProfile, LimitKind, OrderStatus, RiskClass, ScoreTrigger
from credit.selectors import credit_policy_get
from credit.services import (
    OrderLineInput,
    credit_application_approve,
    credit_application_create,
    credit_application_start_review,
    credit_limit_set,
    credit_profile_block,
    credit_profile_update,
    credit_rescore_tenant,
    credit_reviews_schedule,
    order_consume_for_invoice,
    order_create,
    order_release,
    order_request_info,
)
from otc.audit.services import Actor
from otc.customers.models import Customer, CustomerStatus
from otc.ledger.models import ItemStatus, OpenItem
from otc.tenancy.context import tenant_context
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Membership, Tenant

DEMO_SLUGS = ("northwind", "blue-harbor")
ORDERS_PER_COMPANY = 40
ARTICLES = {
    "northwind": [
        ("BRG-6204", "Deep groove ball bearing 6204-2RS", Decimal("4.85")),
        ("HYD-C40", "Hydraulic cylinder 40/25-200", Decimal("312.00")),
        ("VLV-DN50", "Butterfly valve DN50 PN16", Decimal("148.50")),
        ("GBX-R37", "Helical gearbox R37, i=19.5", Decimal("689.00")),
    ],
    "blue-harbor": [
        ("FRZ-SHR", "Frozen shrimp 16/20, case 10 lb", Decimal("84.00")),
        ("OIL-CAN", "Canola frying oil, 35 lb jug", Decimal("41.75")),
        ("CHS-MOZ", "Mozzarella loaf, case 6 x 5 lb", Decimal("96.20")),
        ("PAP-TWL", "Paper towels, case of 30 rolls", Decimal("38.90")),
    ],
}


def _round_limit(amount: Decimal) -> Decimal:
    step = Decimal(5_000) if amount < 100_000 else Decimal(25_000)
    return max(Decimal(10_000), (amount / step).quantize(Decimal(1), rounding=ROUND_UP) * step)


def _risk_class(overdue_share: Decimal) -> str:
    for cut, risk in (
        (Decimal("0.05"), "A"),
        (Decimal("0.15"), "B"),
        (Decimal("0.35"), "C"),
        (Decimal("0.6"), "D"),
    ):
        if overdue_share <= cut:
            return risk
    return "E"


class Command(BaseCommand):
    help = "Load credit profiles, limits and orders for the demo companies (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orders", type=int, default=ORDERS_PER_COMPANY)

    def handle(self, *args: Any, **options: Any) -> None:
        for slug in DEMO_SLUGS:
            tenant = Tenant.objects.filter(slug=slug).first()
            if tenant is None:
                self._progress(f"{slug} is not loaded (run seed_demo): skipped.")
                continue
            with tenant_context(tenant):
                if CreditProfile.objects.for_tenant(tenant).exists():
                    self._progress(f"{tenant.name} has credit profiles already: nothing to do.")
                    continue
                started = time.monotonic()
                with transaction.atomic():
                    summary = self._seed(tenant, slug, orders=options["orders"])
                self._progress(f"{tenant.name}: {summary} ({time.monotonic() - started:.1f}s)")

    def _progress(self, message: str) -> None:
        self.stderr.write(message, style_func=str)

    def _seed(self, tenant: Tenant, slug: str, *, orders: int) -> str:
        rng = random.Random(f"credit-{slug}")  # noqa: S311  (demo data, not secrets)
        actor = Actor.system("demo data")
        today = tenant_today(tenant)
        policy = credit_policy_get(tenant=tenant)
        customers = list(Customer.objects.for_tenant(tenant).order_by("pk"))
        owed: dict[int, dict[str, Any]] = {
            row["customer_id"]: dict(row)
            for row in OpenItem.objects.for_tenant(tenant)
            .filter(status=ItemStatus.OPEN)
            .values("customer_id")
            .annotate(
                open=Sum("open_base_amount"),
                overdue=Sum("open_base_amount", filter=Q(amount__gt=0, due_date__lt=today)),
            )
        }
        limits: dict[int, Decimal] = {}
        for customer in customers:
            row: dict[str, Any] = owed.get(customer.pk, {})
            open_ar = max(row.get("open") or Decimal(0), Decimal(0))
            overdue = row.get("overdue") or Decimal(0)
            share = overdue / open_ar if open_ar > 0 else Decimal(0)
            factor = Decimal(rng.choice(["1.5", "2", "2.5", "3"]))
            limit = _round_limit(open_ar * factor)
            limits[customer.pk] = limit
            credit_limit_set(
                tenant=tenant,
                actor=actor,
                customer=customer,
                amount=limit,
                reason="Opening limit from the AR history",
            )
            months = int(policy.review_months.get(_risk_class(share), 12))
            credit_profile_update(
                tenant=tenant,
                actor=actor,
                customer=customer,
                next_review_date=today + timedelta(days=rng.randint(-10, months * 30)),
            )
            if customer.status == CustomerStatus.IN_LEGAL:
                credit_profile_block(
                    tenant=tenant,
                    actor=actor,
                    customer=customer,
                    reason="In legal proceedings: collection agency engaged",
                )
        parents = {c.parent_id for c in customers if c.parent_id}
        for parent in (c for c in customers if c.pk in parents):
            members = [c for c in customers if c.parent_id == parent.pk]
            group = sum((limits[m.pk] for m in members), limits[parent.pk]) * Decimal("0.8")
            credit_limit_set(
                tenant=tenant,
                actor=actor,
                customer=parent,
                amount=_round_limit(group),
                reason="Group exposure cap",
                kind=LimitKind.GROUP,
            )
        # The scorecard sets every class (and recommended limit) from the book.
        credit_rescore_tenant(tenant=tenant, actor=actor, trigger=ScoreTrigger.NIGHTLY)
        reviews = credit_reviews_schedule(tenant=tenant)
        applications = self._applications(tenant, rng, actor, customers)
        summary = self._orders(
            tenant, slug, rng, actor=actor, customers=customers, limits=limits, count=orders
        )
        return f"{summary}; {reviews} reviews open, {applications} credit applications"

    def _applications(
        self, tenant: Tenant, rng: random.Random, actor: Actor, customers: list[Customer]
    ) -> int:
        """Three applications: one waiting, one escalated, one approved."""
        reviewer = Membership.objects.for_tenant(tenant).filter(role="credit_analyst").first()
        picks = rng.sample([c for c in customers if c.status == CustomerStatus.ACTIVE], k=3)
        for index, customer in enumerate(picks):
            revenue = Decimal(rng.randint(20, 400)) * 100_000
            application = credit_application_create(
                tenant=tenant,
                actor=actor,
                customer=customer,
                requested_limit=_round_limit(revenue / 40),
                justification="Framework agreement for next year's volumes",
                trade_references=[
                    {"name": "Rhein Logistik AG", "years": 7, "experience": "prompt"}
                ],
                submit=True,
                revenue=revenue,
                net_income=revenue * Decimal(rng.randint(-2, 9)) / 100,
                ebit=revenue * Decimal(rng.randint(3, 12)) / 100,
                interest_expense=revenue / 100,
                current_assets=revenue * Decimal("0.35"),
                inventory=revenue * Decimal("0.12"),
                current_liabilities=revenue * Decimal(rng.randint(18, 40)) / 100,
                total_liabilities=revenue * Decimal("0.5"),
                equity=revenue * Decimal(rng.randint(15, 45)) / 100,
            )
            if index == 0:
                continue
            application = credit_application_start_review(
                tenant=tenant, actor=actor, application=application
            )
            if index == 1 and reviewer is not None:
                analyst = Actor(user=reviewer.user, label=reviewer.user.email)
                credit_application_approve(
                    tenant=tenant,
                    actor=analyst,
                    application=application,
                    approved_limit=reviewer.approval_limit + 50_000,
                    note="Sound statements; above my limit",
                )
            elif index == 2:
                credit_application_approve(tenant=tenant, actor=actor, application=application)
        return len(picks)

    def _orders(
        self,
        tenant: Tenant,
        slug: str,
        rng: random.Random,
        *,
        actor: Actor,
        customers: list[Customer],
        limits: dict[int, Decimal],
        count: int,
    ) -> str:
        today = tenant_today(tenant)
        articles = ARTICLES.get(slug, ARTICLES["northwind"])
        active = [c for c in customers if c.status == CustomerStatus.ACTIVE]
        decided = []
        for index in range(count):
            customer = rng.choice(active if index % 5 else customers)
            # Every seventh order is far larger than usual: it tests the limit.
            scale = limits[customer.pk] / 40 if index % 7 else limits[customer.pk] * Decimal("0.9")
            lines = []
            for sku, name, price in rng.sample(articles, k=rng.randint(1, 3)):
                quantity = max(Decimal(1), (scale / price / 2).quantize(Decimal(1)))
                lines.append(
                    OrderLineInput(
                        description=name,
                        sku=sku,
                        quantity=quantity,
                        unit_price=price,
                        tax_rate=Decimal(0),
                    )
                )
            order = order_create(
                tenant=tenant,
                actor=actor,
                customer=customer,
                currency=str(customer.currency),
                lines=lines,
                order_date=today - timedelta(days=rng.randint(0, 6)),
                requested_ship_date=today + timedelta(days=rng.randint(1, 21)),
                external_ref=f"ERP-SO-{40_000 + index}",
                customer_po=f"PO-{rng.randint(10_000, 99_999)}",
                submit=True,
            )
            decided.append(order)
        held = [o for o in decided if o.status == OrderStatus.HELD]
        approved = [o for o in decided if o.status == OrderStatus.APPROVED]
        if len(held) > 3:
            order_release(
                tenant=tenant,
                actor=actor,
                order=held[0],
                amount=(held[0].total_amount / 2).quantize(Decimal("0.01")),
                prepayment_required=True,
                note="Half now against prepayment; the rest after the next payment run",
            )
            order_request_info(
                tenant=tenant,
                actor=actor,
                order=held[1],
                note="Please send the latest management accounts",
            )
        if approved:
            order_consume_for_invoice(
                tenant=tenant,
                actor=actor,
                order=approved[0],
                amount=(approved[0].total_amount / 3).quantize(Decimal("0.01")),
                reference="demo-partial",
            )
        classes = ", ".join(
            f"{risk} {CreditProfile.objects.for_tenant(tenant).filter(risk_class=risk).count()}"
            for risk in RiskClass.values
        )
        return (
            f"{len(customers)} credit profiles (classes {classes}), {len(decided)} orders: "
            f"{len(approved)} approved, {len(held)} held"
        )
