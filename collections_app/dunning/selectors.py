"""Reading collections: policies, runs and letters, the worklist, a
customer's timeline and the collector's figures. Tenant-scoped; another
tenant's id is NotFound, like a missing one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from collections_app.dunning.models import (
    CollectionActivity,
    CollectionPriority,
    DunningCharge,
    DunningLetter,
    DunningLevel,
    DunningNotice,
    DunningPolicy,
    DunningRun,
    DunningTemplate,
    PromiseStatus,
    PromiseToPay,
)
from otc.customers.models import Customer
from otc.errors import NotFound
from otc.ledger.models import (
    DEBIT_KINDS,
    Application,
    ApplicationKind,
    ItemKind,
    ItemStatus,
    OpenItem,
)
from otc.tenancy.models import Tenant


def dunning_policy_list(*, tenant: Tenant) -> QuerySet[DunningPolicy]:
    return (
        DunningPolicy.objects.for_tenant(tenant)
        .annotate(level_count=Count("levels"))
        .order_by("-is_default", "name")
    )


def dunning_policy_get(*, tenant: Tenant, policy_id: int) -> DunningPolicy:
    policy = (
        DunningPolicy.objects.for_tenant(tenant)
        .prefetch_related(
            Prefetch(
                "levels",
                queryset=DunningLevel.objects.for_tenant(tenant)
                .order_by("number")
                .prefetch_related(
                    Prefetch(
                        "templates",
                        queryset=DunningTemplate.objects.for_tenant(tenant).order_by("language"),
                    )
                ),
            )
        )
        .filter(pk=policy_id)
        .first()
    )
    if policy is None:
        raise NotFound("No such dunning policy.")
    return policy


def dunning_run_list(*, tenant: Tenant) -> QuerySet[DunningRun]:
    return DunningRun.objects.for_tenant(tenant).order_by("-run_date", "-id")


def dunning_run_get(*, tenant: Tenant, run_id: int) -> DunningRun:
    run = DunningRun.objects.for_tenant(tenant).filter(pk=run_id).first()
    if run is None:
        raise NotFound("No such dunning run.")
    return run


def dunning_run_letter_counts(*, tenant: Tenant, run: DunningRun) -> dict[str, int]:
    rows = (
        DunningLetter.objects.for_tenant(tenant)
        .filter(run=run)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}


def dunning_letter_list(
    *, tenant: Tenant, run: DunningRun | None = None, customer: Customer | None = None
) -> QuerySet[DunningLetter]:
    letters = (
        DunningLetter.objects.for_tenant(tenant)
        .select_related("customer", "level", "run")
        .annotate(item_count=Count("notices"))
        .defer("pdf")
        .order_by("customer__number", "id")
    )
    if run is not None:
        letters = letters.filter(run=run)
    if customer is not None:
        letters = letters.filter(customer=customer).order_by("-run__run_date", "-id")
    return letters


def dunning_letter_get(*, tenant: Tenant, letter_id: int) -> DunningLetter:
    letter = (
        DunningLetter.objects.for_tenant(tenant)
        .select_related("customer", "level", "run", "policy")
        .filter(pk=letter_id)
        .first()
    )
    if letter is None:
        raise NotFound("No such dunning letter.")
    return letter


def dunning_letter_notices(*, tenant: Tenant, letter: DunningLetter) -> QuerySet[DunningNotice]:
    return (
        DunningNotice.objects.for_tenant(tenant)
        .filter(letter=letter)
        .select_related("open_item", "level")
        .order_by("-days_overdue", "open_item_id")
    )


def dunning_letter_charges(*, tenant: Tenant, letter: DunningLetter) -> QuerySet[DunningCharge]:
    return DunningCharge.objects.for_tenant(tenant).filter(letter=letter).order_by("id")


@dataclass(frozen=True)
class WorklistRow:
    customer_id: int
    customer_number: str
    customer_name: str
    collector_email: str
    score: int
    overdue_base_amount: Decimal
    max_days_overdue: int
    dunning_level: int
    broken_promises: int
    risk_class: str
    reasons: list[str]


def worklist(
    *,
    tenant: Tenant,
    day: date,
    collector_id: int | None = None,
    unassigned: bool = False,
    search: str = "",
) -> QuerySet[CollectionPriority]:
    """The day's priorities, highest first, for one collector (or all)."""
    rows = (
        CollectionPriority.objects.for_tenant(tenant)
        .filter(day=day)
        .select_related("customer", "customer__collector")
        .order_by("-score", "customer__number")
    )
    if collector_id is not None:
        rows = rows.filter(customer__collector_id=collector_id)
    if unassigned:
        rows = rows.filter(customer__collector__isnull=True)
    if search:
        rows = rows.filter(
            Q(customer__number__icontains=search) | Q(customer__legal_name__icontains=search)
        )
    return rows


def worklist_computed(*, tenant: Tenant, day: date) -> bool:
    return CollectionPriority.objects.for_tenant(tenant).filter(day=day).exists()


def promises_due(
    *, tenant: Tenant, day: date, collector_id: int | None = None
) -> QuerySet[PromiseToPay]:
    promises = (
        PromiseToPay.objects.for_tenant(tenant)
        .filter(status=PromiseStatus.OPEN, promised_date__lte=day)
        .select_related("customer")
        .order_by("promised_date", "id")
    )
    if collector_id is not None:
        promises = promises.filter(customer__collector_id=collector_id)
    return promises


def promises_broken_recently(
    *, tenant: Tenant, since: date, collector_id: int | None = None
) -> QuerySet[PromiseToPay]:
    promises = (
        PromiseToPay.objects.for_tenant(tenant)
        .filter(status=PromiseStatus.BROKEN, resolved_on__gte=since)
        .select_related("customer")
        .order_by("-resolved_on", "-id")
    )
    if collector_id is not None:
        promises = promises.filter(customer__collector_id=collector_id)
    return promises


def follow_ups_due(
    *, tenant: Tenant, day: date, collector_id: int | None = None
) -> QuerySet[CollectionActivity]:
    """The latest activity of each customer when its next action date has come
    (a later activity answers an earlier one's next action)."""
    latest = (
        CollectionActivity.objects.for_tenant(tenant)
        .order_by("customer_id", "-created_at", "-id")
        .distinct("customer_id")
    )
    if collector_id is not None:
        latest = latest.filter(customer__collector_id=collector_id)
    ids = [
        pk
        for pk, next_action in latest.values_list("pk", "next_action_date")
        if next_action is not None and next_action <= day
    ]
    return (
        CollectionActivity.objects.for_tenant(tenant)
        .filter(pk__in=ids)
        .select_related("customer")
        .order_by("next_action_date", "id")
    )


def promise_list(
    *, tenant: Tenant, customer_id: int | None = None, status: str = ""
) -> QuerySet[PromiseToPay]:
    promises = (
        PromiseToPay.objects.for_tenant(tenant)
        .select_related("customer")
        .prefetch_related("items__open_item")
        .order_by("-promised_date", "-id")
    )
    if customer_id is not None:
        promises = promises.filter(customer_id=customer_id)
    if status:
        promises = promises.filter(status=status)
    return promises


def promise_get(*, tenant: Tenant, promise_id: int) -> PromiseToPay:
    promise = promise_list(tenant=tenant).filter(pk=promise_id).first()
    if promise is None:
        raise NotFound("No such promise to pay.")
    return promise


def activity_list(
    *, tenant: Tenant, customer_id: int | None = None, kind: str = ""
) -> QuerySet[CollectionActivity]:
    activities = (
        CollectionActivity.objects.for_tenant(tenant)
        .select_related("customer", "created_by")
        .order_by("-created_at", "-id")
    )
    if customer_id is not None:
        activities = activities.filter(customer_id=customer_id)
    if kind:
        activities = activities.filter(kind=kind)
    return activities


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # letter, call, note, email, promise, payment
    title: str
    detail: str
    url: str = ""


def customer_timeline(
    *, tenant: Tenant, customer: Customer, limit: int = 200
) -> list[TimelineEntry]:
    """Letters, calls, notes, e-mails, promises and payments in one stream, newest first."""
    entries: list[TimelineEntry] = []
    for letter in dunning_letter_list(tenant=tenant, customer=customer)[:limit]:
        entries.append(
            TimelineEntry(
                at=letter.sent_at or letter.created_at,
                kind="letter",
                title=f"Dunning letter, level {letter.level.number} ({letter.level.name})",
                detail=f"{getattr(letter, 'item_count', 0)} items · {letter.get_status_display()}"
                + (f" · to {', '.join(letter.recipients)}" if letter.recipients else ""),
                url=f"/collections/letters/{letter.pk}/",
            )
        )
    for activity in activity_list(tenant=tenant, customer_id=customer.pk)[:limit]:
        detail = activity.body
        if activity.outcome:
            detail = f"{activity.get_outcome_display()}. {detail}".strip()
        if activity.next_action_date:
            detail = f"{detail} · next action {activity.next_action_date.isoformat()}".strip(" ·")
        entries.append(
            TimelineEntry(
                at=activity.created_at, kind=activity.kind, title=activity.subject, detail=detail
            )
        )
    for promise in promise_list(tenant=tenant, customer_id=customer.pk)[:limit]:
        entries.append(
            TimelineEntry(
                at=promise.created_at,
                kind="promise",
                title=f"Promise to pay {promise.amount:,.2f} {promise.currency} by "
                f"{promise.promised_date.isoformat()}",
                detail=promise.get_status_display()
                + (f" on {promise.resolved_on.isoformat()}" if promise.resolved_on else ""),
            )
        )
    payments = (
        OpenItem.objects.for_tenant(tenant)
        .filter(customer=customer, kind=ItemKind.PAYMENT)
        .order_by("-recorded_at")[:limit]
    )
    for payment in payments:
        applied = (
            Application.objects.for_tenant(tenant)
            .filter(credit_item=payment, kind=ApplicationKind.CASH)
            .aggregate(total=Sum("credit_amount"))["total"]
        ) or Decimal(0)
        entries.append(
            TimelineEntry(
                at=payment.recorded_at,
                kind="payment",
                title=f"Payment {payment.number}: {-payment.amount:,.2f} {payment.currency}",
                detail=f"{applied:,.2f} {payment.currency} applied",
            )
        )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


@dataclass(frozen=True)
class CollectorFigures:
    worklist_size: int
    overdue_base_amount: Decimal
    promises_due_today: int
    broken_promises_7d: int
    collected_this_month: Decimal
    base_currency: str


def collector_figures(
    *, tenant: Tenant, day: date, collector_id: int | None = None
) -> CollectorFigures:
    rows = worklist(tenant=tenant, day=day, collector_id=collector_id)
    totals = rows.aggregate(n=Count("id"), amount=Sum("overdue_base_amount"))
    month_start = day.replace(day=1)
    applications = Application.objects.for_tenant(tenant).filter(
        kind=ApplicationKind.CASH, effective_date__gte=month_start, effective_date__lte=day
    )
    if collector_id is not None:
        applications = applications.filter(debit_item__customer__collector_id=collector_id)
    collected = applications.aggregate(total=Sum("debit_base_amount"))["total"] or Decimal(0)
    return CollectorFigures(
        worklist_size=totals["n"] or 0,
        overdue_base_amount=totals["amount"] or Decimal(0),
        promises_due_today=promises_due(tenant=tenant, day=day, collector_id=collector_id)
        .filter(promised_date=day)
        .count(),
        broken_promises_7d=promises_broken_recently(
            tenant=tenant, since=day - timedelta(days=7), collector_id=collector_id
        ).count(),
        collected_this_month=collected,
        base_currency=str(tenant.base_currency),
    )


@dataclass(frozen=True)
class PreviewCustomer:
    customer_id: int
    number: str
    name: str
    overdue_base_amount: Decimal


def letter_preview_customers(
    *, tenant: Tenant, day: date, limit: int = 50
) -> list[PreviewCustomer]:
    """The customers most overdue on `day` (base currency), for the policy
    editor's preview: the letters that matter most are read first."""
    rows = (
        OpenItem.objects.for_tenant(tenant)
        .filter(
            status=ItemStatus.OPEN,
            kind__in=DEBIT_KINDS,
            due_date__lt=day,
            open_amount__gt=0,
        )
        .values("customer_id", "customer__number", "customer__legal_name", "customer__trading_name")
        .annotate(overdue=Sum("open_base_amount"))
        .order_by("-overdue", "customer_id")[:limit]
    )
    return [
        PreviewCustomer(
            customer_id=row["customer_id"],
            number=row["customer__number"],
            name=row["customer__trading_name"] or row["customer__legal_name"],
            overdue_base_amount=row["overdue"],
        )
        for row in rows
    ]


def customer_by_number(*, tenant: Tenant, number: str) -> Customer:
    customer = Customer.objects.for_tenant(tenant).filter(number=number.strip()).first()
    if customer is None:
        raise NotFound(f"No customer numbered '{number.strip()}'.")
    return customer
