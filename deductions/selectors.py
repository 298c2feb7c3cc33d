"""Reading deductions: the analyst queue, one deduction with what hangs on
it, and the figures (open by reason/age/owner, Days Deductions Outstanding,
cycle times, valid vs invalid, recovery, write-offs by approver)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum

from deductions.models import (
    OPEN_STATUSES,
    Deduction,
    DeductionAttachment,
    DeductionResolution,
    DeductionStatus,
    ReasonCode,
    ReasonMapping,
    ResolutionKind,
    ResolutionStatus,
)
from otc.audit.models import AuditEvent
from otc.ledger.models import ItemKind, OpenItem
from otc.tenancy.models import Tenant

ZERO = Decimal(0)


def deductions_for_payment_items(
    *, tenant: Tenant, payment_item_ids: list[int]
) -> QuerySet[Deduction]:
    return (
        Deduction.objects.for_tenant(tenant)
        .filter(payment_item_id__in=payment_item_ids)
        .select_related("open_item", "invoice_item")
    )


@dataclass(frozen=True)
class QueueFilters:
    """`status` "" means every open status, "all" every status."""

    status: str = ""
    reason_id: int | None = None
    owner_id: int | None = None
    customer_id: int | None = None
    source: str = ""
    sla_breached: bool = False
    unassigned: bool = False


def deduction_queue(*, tenant: Tenant, filters: QueueFilters, today: date) -> QuerySet[Deduction]:
    """The analyst's queue: each row with its open amount (from the ledger
    item) and whether research is past its due date. Callers order it."""
    rows = Deduction.objects.for_tenant(tenant)
    if filters.status == "all":
        pass
    elif filters.status in DeductionStatus.values:
        rows = rows.filter(status=filters.status)
    else:
        rows = rows.filter(status__in=sorted(OPEN_STATUSES))
    if filters.reason_id is not None:
        rows = rows.filter(reason_id=filters.reason_id)
    if filters.owner_id is not None:
        rows = rows.filter(owner_id=filters.owner_id)
    if filters.unassigned:
        rows = rows.filter(owner__isnull=True)
    if filters.customer_id is not None:
        rows = rows.filter(customer_id=filters.customer_id)
    if filters.source:
        rows = rows.filter(source=filters.source)
    if filters.sla_breached:
        rows = rows.filter(research_due__lt=today, status__in=sorted(OPEN_STATUSES))
    # Only the deduction's own columns are filtered, annotated and counted, so
    # the paginator's COUNT never joins; the ledger item (open amount) comes
    # with the page rows through select_related.
    return rows.select_related("customer", "reason", "owner", "open_item").annotate(
        sla_breached=Q(research_due__lt=today) & Q(status__in=sorted(OPEN_STATUSES)),
    )


def deduction_get(*, tenant: Tenant, deduction_id: int, today: date) -> Deduction | None:
    """One deduction of this tenant (None for another tenant's id), with the
    queue's annotations and what it links to."""
    return (
        deduction_queue(tenant=tenant, filters=QueueFilters(status="all"), today=today)
        .select_related("invoice_item", "payment_item", "invoice_line")
        .filter(pk=deduction_id)
        .first()
    )


def deduction_resolutions(*, tenant: Tenant, deduction: Deduction) -> QuerySet[DeductionResolution]:
    return (
        DeductionResolution.objects.for_tenant(tenant)
        .filter(deduction=deduction)
        .select_related("credit_memo", "rebill_item", "requested_by", "approved_by")
        .order_by("created_at", "pk")
    )


def deduction_attachments(*, tenant: Tenant, deduction: Deduction) -> QuerySet[DeductionAttachment]:
    return (
        DeductionAttachment.objects.for_tenant(tenant)
        .filter(deduction=deduction)
        .select_related("uploaded_by")
        .order_by("created_at", "pk")
    )


def deduction_timeline(*, tenant: Tenant, deduction: Deduction) -> QuerySet[AuditEvent]:
    """Everything that happened to the deduction, oldest first (its audit
    events: opening, every transition, reasons, resolutions, attachments)."""
    return (
        AuditEvent.objects.for_tenant(tenant)
        .filter(object_type="deductions.deduction", object_id=str(deduction.pk))
        .select_related("actor_user")
        .order_by("occurred_at", "pk")
    )


def pending_write_offs(*, tenant: Tenant) -> QuerySet[DeductionResolution]:
    return (
        DeductionResolution.objects.for_tenant(tenant)
        .filter(kind=ResolutionKind.WRITE_OFF, status=ResolutionStatus.PENDING_APPROVAL)
        .select_related("deduction", "deduction__customer", "requested_by")
        .order_by("created_at", "pk")
    )


def reason_code_list(*, tenant: Tenant) -> QuerySet[ReasonCode]:
    return ReasonCode.objects.for_tenant(tenant).annotate(
        open_count=Count("deductions", filter=Q(deductions__status__in=sorted(OPEN_STATUSES)))
    )


def reason_mapping_list(*, tenant: Tenant) -> QuerySet[ReasonMapping]:
    return ReasonMapping.objects.for_tenant(tenant).select_related("reason")


# --- figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    label: str
    count: int
    base_amount: Decimal


@dataclass(frozen=True)
class CycleTime:
    reason: str
    resolved: int
    average_days: Decimal
    p90_days: Decimal


@dataclass(frozen=True)
class DeductionFigures:
    base_currency: str
    open_count: int
    open_base: Decimal
    sla_breached: int
    by_reason: list[Bucket]
    by_age: list[Bucket]
    by_owner: list[Bucket]
    days_deductions_outstanding: Decimal | None
    cycle_times: list[CycleTime]
    valid_base: Decimal
    invalid_base: Decimal
    written_off_base: Decimal
    valid_share: Decimal | None
    recovery_rate: Decimal | None
    write_offs_by_approver: list[Bucket] = field(default_factory=list)
    pending_approvals: int = 0


AGE_BUCKETS = ((0, 30, "0-30 days"), (31, 60, "31-60 days"), (61, 90, "61-90 days"))
DDO_DAYS = 90


def _buckets(rows: Any, label_key: str, empty: str = "-") -> list[Bucket]:
    return [Bucket(str(row[label_key] or empty), row["count"], row["base"] or ZERO) for row in rows]


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(Decimal("0.1")) if whole else None


def _cycle_times(tenant: Tenant) -> list[CycleTime]:
    # Percentiles are not in the ORM; the tenant filter is explicit as well
    # as enforced by row-level security.
    sql = """
        SELECT COALESCE(r.code, '-') AS reason, COUNT(*) AS resolved,
               AVG(EXTRACT(EPOCH FROM d.resolved_at - d.created_at)) / 86400 AS avg_days,
               percentile_cont(0.9) WITHIN GROUP (
                   ORDER BY EXTRACT(EPOCH FROM d.resolved_at - d.created_at)
               ) / 86400 AS p90_days
        FROM deductions_deduction d
        LEFT JOIN deductions_reasoncode r ON r.id = d.reason_id
        WHERE d.tenant_id = %s AND d.resolved_at IS NOT NULL
        GROUP BY 1 ORDER BY 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant.pk])
        rows = cursor.fetchall()
    one = Decimal("0.1")
    return [
        CycleTime(reason, count, Decimal(avg).quantize(one), Decimal(p90).quantize(one))
        for reason, count, avg, p90 in rows
    ]


def deduction_figures(*, tenant: Tenant, today: date) -> DeductionFigures:
    """The deductions team's figures, in the tenant's base currency."""
    open_rows = Deduction.objects.for_tenant(tenant).filter(status__in=sorted(OPEN_STATUSES))
    base = F("open_item__open_base_amount")
    totals = open_rows.aggregate(
        count=Count("pk"),
        base=Sum(base),
        breached=Count("pk", filter=Q(research_due__lt=today)),
    )
    by_reason = _buckets(
        open_rows.values("reason__name")
        .annotate(count=Count("pk"), base=Sum(base))
        .order_by("-base"),
        "reason__name",
        "No reason",
    )
    by_owner = _buckets(
        open_rows.values("owner__email")
        .annotate(count=Count("pk"), base=Sum(base))
        .order_by("-base"),
        "owner__email",
        "Unassigned",
    )
    by_age: list[Bucket] = []
    for low, high, label in AGE_BUCKETS:
        agg = open_rows.filter(
            open_item__document_date__lte=today - timedelta(days=low),
            open_item__document_date__gte=today - timedelta(days=high),
        ).aggregate(count=Count("pk"), base=Sum(base))
        by_age.append(Bucket(label, agg["count"], agg["base"] or ZERO))
    older = open_rows.filter(open_item__document_date__lt=today - timedelta(days=90)).aggregate(
        count=Count("pk"), base=Sum(base)
    )
    by_age.append(Bucket("over 90 days", older["count"], older["base"] or ZERO))

    # DDO: open deductions over the average day's billing of the last 90 days.
    billed = (
        OpenItem.objects.for_tenant(tenant)
        .filter(
            kind__in=[ItemKind.INVOICE, ItemKind.DEBIT_MEMO],
            document_date__gt=today - timedelta(days=DDO_DAYS),
            document_date__lte=today,
        )
        .aggregate(base=Sum("base_amount"))["base"]
        or ZERO
    )
    open_base = totals["base"] or ZERO
    ddo = (open_base / (billed / DDO_DAYS)).quantize(Decimal("0.1")) if billed else None

    posted = DeductionResolution.objects.for_tenant(tenant).filter(status=ResolutionStatus.POSTED)
    rate = F("deduction__open_item__fx_rate")
    by_kind = {
        row["kind"]: row["base"] or ZERO
        for row in posted.values("kind").annotate(base=Sum(F("amount") * rate)).order_by()
    }
    valid = by_kind.get(ResolutionKind.CREDIT_MEMO, ZERO)
    invalid = by_kind.get(ResolutionKind.REBILL, ZERO) + by_kind.get(ResolutionKind.REINSTATE, ZERO)
    rebills = posted.filter(kind=ResolutionKind.REBILL).aggregate(
        billed=Sum("rebill_item__amount"), still_open=Sum("rebill_item__open_amount")
    )
    rebilled = rebills["billed"] or ZERO
    recovery = _percent(rebilled - (rebills["still_open"] or ZERO), rebilled)
    approvers = posted.filter(kind=ResolutionKind.WRITE_OFF).values("approved_by__email", "auto")
    write_offs = [
        Bucket(
            "auto write-off rule" if row["auto"] else str(row["approved_by__email"] or "system"),
            row["count"],
            (row["base"] or ZERO).quantize(Decimal("0.01")),
        )
        for row in approvers.annotate(count=Count("pk"), base=Sum(F("amount") * rate)).order_by(
            "-base"
        )
    ]
    q = Decimal("0.01")
    return DeductionFigures(
        base_currency=str(tenant.base_currency),
        open_count=totals["count"],
        open_base=open_base,
        sla_breached=totals["breached"],
        by_reason=by_reason,
        by_age=by_age,
        by_owner=by_owner,
        days_deductions_outstanding=ddo,
        cycle_times=_cycle_times(tenant),
        valid_base=valid.quantize(q),
        invalid_base=invalid.quantize(q),
        written_off_base=by_kind.get(ResolutionKind.WRITE_OFF, ZERO).quantize(q),
        valid_share=_percent(valid, valid + invalid),
        recovery_rate=recovery,
        write_offs_by_approver=write_offs,
        pending_approvals=DeductionResolution.objects.for_tenant(tenant)
        .filter(status=ResolutionStatus.PENDING_APPROVAL)
        .count(),
    )
