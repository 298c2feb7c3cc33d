"""Reading payments, statements, proposals and remittances (tenant-scoped;
another tenant's id is NotFound, like a missing one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from collections_app.models import (
    AllocationKind,
    BankStatement,
    BankStatementLine,
    CashAllocation,
    MatchProposal,
    Payment,
    PaymentStatus,
    ProposalStatus,
    Remittance,
    RemittanceLine,
)
from otc.errors import NotFound
from otc.ledger.models import ItemKind, ItemStatus, OpenItem
from otc.tenancy.models import Tenant


def payment_list(
    *,
    tenant: Tenant,
    status: str | list[str] | None = None,
    customer_id: int | None = None,
    statement_id: int | None = None,
    search: str = "",
    updated_since: datetime | None = None,
    value_date_from: date | None = None,
    value_date_to: date | None = None,
    min_confidence: int | None = None,
    max_confidence: int | None = None,
) -> QuerySet[Payment]:
    payments = Payment.objects.for_tenant(tenant).select_related("customer", "open_item")
    if status:
        payments = payments.filter(status__in=[status] if isinstance(status, str) else status)
    if customer_id is not None:
        payments = payments.filter(customer_id=customer_id)
    if statement_id is not None:
        payments = payments.filter(statement_lines__statement_id=statement_id)
    if search:
        payments = payments.filter(
            Q(payer_name__icontains=search)
            | Q(remittance_text__icontains=search)
            | Q(number__iexact=search)
            | Q(end_to_end_id__iexact=search)
            | Q(customer__legal_name__icontains=search)
        )
    if updated_since is not None:
        payments = payments.filter(updated_at__gt=updated_since)
    if value_date_from is not None:
        payments = payments.filter(value_date__gte=value_date_from)
    if value_date_to is not None:
        payments = payments.filter(value_date__lte=value_date_to)
    if min_confidence is not None:
        payments = payments.filter(match_confidence__gte=min_confidence)
    if max_confidence is not None:
        payments = payments.filter(
            Q(match_confidence__lte=max_confidence) | Q(match_confidence__isnull=True)
        )
    return payments


def payment_get(*, tenant: Tenant, payment_id: int | str) -> Payment:
    try:
        pk = int(payment_id)
    except (TypeError, ValueError):
        raise NotFound("Payment not found.") from None
    payment = payment_list(tenant=tenant).filter(pk=pk).first()
    if payment is None:
        raise NotFound("Payment not found.")
    return payment


def payment_allocations(*, tenant: Tenant, payment: Payment) -> QuerySet[CashAllocation]:
    return (
        CashAllocation.objects.for_tenant(tenant)
        .filter(payment=payment)
        .select_related("invoice_item", "deduction")
        .order_by("pk")
    )


def payment_proposals(
    *, tenant: Tenant, payment: Payment, open_only: bool = False
) -> QuerySet[MatchProposal]:
    proposals = (
        MatchProposal.objects.for_tenant(tenant)
        .filter(payment=payment)
        .select_related("customer")
        .order_by("-created_at", "rank")
    )
    if open_only:
        proposals = proposals.filter(status=ProposalStatus.PROPOSED).order_by("rank")
    return proposals


def proposal_get(*, tenant: Tenant, payment: Payment, proposal_id: int) -> MatchProposal:
    proposal = (
        MatchProposal.objects.for_tenant(tenant).filter(payment=payment, pk=proposal_id).first()
    )
    if proposal is None:
        raise NotFound("Proposal not found.")
    return proposal


def open_items_for_allocation(*, tenant: Tenant, customer_id: int) -> QuerySet[OpenItem]:
    """What a person can allocate a payment to: the customer's open invoices
    and debit memos, oldest due first."""
    return (
        OpenItem.objects.for_tenant(tenant)
        .filter(
            customer_id=customer_id,
            status=ItemStatus.OPEN,
            kind__in=[ItemKind.INVOICE, ItemKind.DEBIT_MEMO],
        )
        .order_by("due_date", "pk")
    )


def statement_list(*, tenant: Tenant) -> QuerySet[BankStatement]:
    return BankStatement.objects.for_tenant(tenant)


def statement_get(*, tenant: Tenant, statement_id: int | str) -> BankStatement:
    try:
        pk = int(statement_id)
    except (TypeError, ValueError):
        raise NotFound("Bank statement not found.") from None
    statement = statement_list(tenant=tenant).filter(pk=pk).first()
    if statement is None:
        raise NotFound("Bank statement not found.")
    return statement


def statement_lines(*, tenant: Tenant, statement: BankStatement) -> QuerySet[BankStatementLine]:
    return (
        BankStatementLine.objects.for_tenant(tenant)
        .filter(statement=statement)
        .select_related("payment", "payment__customer")
    )


def remittance_list(*, tenant: Tenant) -> QuerySet[Remittance]:
    return Remittance.objects.for_tenant(tenant).prefetch_related(
        Prefetch("lines", queryset=RemittanceLine.objects.for_tenant(tenant))
    )


def remittance_get(*, tenant: Tenant, remittance_id: int | str) -> Remittance:
    try:
        pk = int(remittance_id)
    except (TypeError, ValueError):
        raise NotFound("Remittance not found.") from None
    remittance = remittance_list(tenant=tenant).filter(pk=pk).first()
    if remittance is None:
        raise NotFound("Remittance not found.")
    return remittance


def proposal_as_dict(proposal: MatchProposal) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "rank": proposal.rank,
        "customer_id": proposal.customer_id,
        "confidence": proposal.confidence,
        "explanation": proposal.explanation,
        "reasons": proposal.reasons,
        "allocations": proposal.allocations,
        "on_account": str(proposal.on_account),
        "deduction": proposal.deduction or None,
        "status": proposal.status,
        "auto_applied": proposal.auto_applied,
        "learned": proposal.learned,
    }


@dataclass(frozen=True)
class CashMetrics:
    """Auto-application and precision over payments valued in a period (or
    one statement). Rates are shares (0..1), None when nothing to divide."""

    date_from: date
    date_to: date
    payments: int
    auto_applied_payments: int
    auto_rate_by_count: Decimal | None
    auto_rate_by_amount: Decimal | None
    invoices_settled: int
    invoices_settled_automatically: int
    auto_rate_invoices: Decimal | None
    auto_applications: int
    auto_applications_corrected: int
    precision: Decimal | None
    queue_size: int
    queue_amount_by_currency: dict[str, str]


def _share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def cash_metrics(
    *,
    tenant: Tenant,
    date_from: date,
    date_to: date,
    statement_id: int | None = None,
) -> CashMetrics:
    """By count and by amount (in the tenant's base currency would need a
    rate per payment; amounts are summed per currency and the rate by amount
    uses the payments' own amounts, which is exact for one-currency books and
    a close reading otherwise)."""
    payments = Payment.objects.for_tenant(tenant).exclude(status=PaymentStatus.REVERSED)
    if statement_id is not None:
        payments = payments.filter(statement_lines__statement_id=statement_id)
    else:
        payments = payments.filter(value_date__gte=date_from, value_date__lte=date_to)
    auto_proposals = MatchProposal.objects.for_tenant(tenant).filter(
        payment__in=payments, auto_applied=True
    )
    auto_payment_ids = set(auto_proposals.values_list("payment_id", flat=True))
    totals = payments.aggregate(count=Count("pk"), amount=Sum("amount"))
    auto_amount = payments.filter(pk__in=auto_payment_ids).aggregate(s=Sum("amount"))[
        "s"
    ] or Decimal(0)
    cash = CashAllocation.objects.for_tenant(tenant).filter(
        payment__in=payments, kind=AllocationKind.CASH
    )
    invoices = cash.values("invoice_item_id").distinct().count()
    invoices_auto = (
        cash.filter(proposal__auto_applied=True).values("invoice_item_id").distinct().count()
    )
    auto_count = auto_proposals.count()
    corrected = auto_proposals.filter(corrected=True).count()
    queue = Payment.objects.for_tenant(tenant).filter(
        status__in=[PaymentStatus.UNIDENTIFIED, PaymentStatus.UNAPPLIED]
    )
    if statement_id is not None:
        queue = queue.filter(statement_lines__statement_id=statement_id)
    queue_amounts = {
        row["currency"]: str(row["s"])
        for row in queue.values("currency").annotate(s=Sum("amount")).order_by("currency")
    }
    return CashMetrics(
        date_from=date_from,
        date_to=date_to,
        payments=totals["count"] or 0,
        auto_applied_payments=len(auto_payment_ids),
        auto_rate_by_count=_share(len(auto_payment_ids), totals["count"] or 0),
        auto_rate_by_amount=_share(auto_amount, totals["amount"] or 0),
        invoices_settled=invoices,
        invoices_settled_automatically=invoices_auto,
        auto_rate_invoices=_share(invoices_auto, invoices),
        auto_applications=auto_count,
        auto_applications_corrected=corrected,
        precision=_share(auto_count - corrected, auto_count),
        queue_size=queue.count(),
        queue_amount_by_currency=queue_amounts,
    )


# The collector's figures live with dunning; other apps (the reporting
# dashboards) reach them through this public module.
from collections_app.dunning.selectors import (  # noqa: E402, F401
    collector_figures,
    promises_broken_recently,
    promises_due,
)
