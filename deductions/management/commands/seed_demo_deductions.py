"""``manage.py seed_demo_deductions``: open disputes for the demo companies.

Called by ``seed_demo`` after the AR book exists. For each demo company it
disputes a dozen open invoices (part of the amount or all of it) with the
tenant's default reason codes, gives most of them to the deductions analyst
and moves a few into research or waiting on the customer, so the queue, the
figures and the analyst's dashboard have something to show. Everything goes
through the deductions services (ledger, audit). Deterministic, idempotent
(a company with deductions is left alone), one transaction per company.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from deductions.models import Deduction, DeductionStatus, ReasonCode
from deductions.services import (
    deduction_assign,
    deduction_raise_dispute,
    deduction_transition,
    reason_codes_ensure,
)
from invoicing.models import Invoice, InvoiceKind, InvoiceStatus
from otc.audit.services import Actor
from otc.fx.money import quantize_money
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import Role

DEMO_SLUGS = ("northwind", "blue-harbor")
DISPUTES_PER_COMPANY = 12
# Reason, share of the invoice disputed, what the customer said.
CLAIMS = (
    ("PRICING", Decimal("0.08"), "Price differs from the agreed list price"),
    ("SHORTAGE", Decimal("0.15"), "Two cartons missing on delivery"),
    ("DAMAGE", Decimal("0.10"), "Goods damaged in transit, photos attached by the customer"),
    ("PROMOTION", Decimal("0.05"), "Quarterly promotion allowance deducted"),
    ("FREIGHT", Decimal("0.03"), "Freight should have been free of charge"),
    ("PRICING", Decimal("1"), "Customer disputes the whole invoice: order was cancelled"),
)


class Command(BaseCommand):
    help = "Open demo disputes for the demo companies (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for slug in DEMO_SLUGS:
            tenant = Tenant.objects.filter(slug=slug).first()
            if tenant is None:
                self._progress(f"{slug} is not loaded (run seed_demo): skipped.")
                continue
            with tenant_context(tenant):
                if Deduction.objects.for_tenant(tenant).exists():
                    self._progress(f"{tenant.name} has deductions already: nothing to do.")
                    continue
                started = time.monotonic()
                with transaction.atomic():
                    count = self._seed(tenant, slug)
                self._progress(
                    f"{tenant.name}: {count} disputes ({time.monotonic() - started:.1f}s)"
                )

    def _progress(self, message: str) -> None:
        self.stderr.write(message, style_func=str)

    def _seed(self, tenant: Tenant, slug: str) -> int:
        rng = random.Random(f"deductions-{slug}")  # noqa: S311  (demo data, not secrets)
        actor = Actor.system("demo data")
        reason_codes_ensure(tenant=tenant)
        reasons = {reason.code: reason for reason in ReasonCode.objects.for_tenant(tenant)}
        analyst = (
            Membership.objects.for_tenant(tenant)
            .filter(role=Role.DEDUCTIONS_ANALYST, is_active=True)
            .order_by("pk")
            .first()
        )
        invoices = list(
            Invoice.objects.for_tenant(tenant)
            .filter(
                kind=InvoiceKind.INVOICE,
                status=InvoiceStatus.ISSUED,
                installment_count__lte=1,
            )
            .order_by("issue_date", "pk")[:200]
        )
        rng.shuffle(invoices)
        opened = 0
        for invoice in invoices[:DISPUTES_PER_COMPANY]:
            code, share, note = CLAIMS[opened % len(CLAIMS)]
            amount = quantize_money(invoice.gross_amount * share, str(invoice.currency))
            deduction = deduction_raise_dispute(
                tenant=tenant,
                actor=actor,
                invoice_id=invoice.pk,
                amount=amount if share < 1 else None,
                reason_id=reasons[code].pk if code in reasons else None,
                note=note,
            )
            opened += 1
            if analyst is None or opened % 4 == 0:
                continue  # some stay unassigned: the queue shows both
            deduction_assign(
                tenant=tenant, actor=actor, deduction_id=deduction.pk, owner_id=analyst.user_id
            )
            if opened % 3 == 0 or opened % 5 == 0:
                deduction_transition(
                    tenant=tenant,
                    actor=actor,
                    deduction_id=deduction.pk,
                    target=DeductionStatus.IN_RESEARCH,
                    note="Proof of delivery requested from the carrier.",
                )
            if opened % 5 == 0:
                deduction_transition(
                    tenant=tenant,
                    actor=actor,
                    deduction_id=deduction.pk,
                    target=DeductionStatus.WAITING_CUSTOMER,
                    note="Asked the customer for their claim documents.",
                )
        return opened
