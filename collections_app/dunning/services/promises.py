"""Activities (calls, notes, e-mails) and promises to pay.

A promise is kept when cash application has applied its amount to its items
(or, for a promise without items, to any of the customer's items in its
currency) since it was made; it is broken when its date passes first.
Cash application keeps promises the moment it applies their money
(``promises_keep_for_items``, called explicitly by the apply service);
``promises_check`` decides both, for every open promise of a tenant, and is
run by the worker every hour and after each day's end; it can run any
number of times (it only moves open promises, under a row lock).

A promise's states move through one table (PROMISE_TRANSITIONS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from collections_app.dunning.models import (
    ActivityKind,
    CallOutcome,
    CollectionActivity,
    PromiseItem,
    PromiseStatus,
    PromiseToPay,
)
from otc.audit.services import Actor, audit_record
from otc.customers.models import Customer
from otc.errors import IllegalTransition, NotFound, ValidationFailed
from otc.fx.money import quantize_money
from otc.ledger.models import DEBIT_KINDS, Application, ApplicationKind, ItemStatus, OpenItem
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

PROMISE_TRANSITIONS: dict[str, frozenset[str]] = {
    PromiseStatus.OPEN: frozenset(
        {PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.CANCELLED}
    ),
    PromiseStatus.KEPT: frozenset(),
    PromiseStatus.BROKEN: frozenset(),
    PromiseStatus.CANCELLED: frozenset(),
}


def _transition(promise: PromiseToPay, to: str, *, on: date) -> None:
    if to not in PROMISE_TRANSITIONS[promise.status]:
        raise IllegalTransition(
            f"A {promise.get_status_display().lower()} promise cannot become {to}.",
            current=promise.status,
            requested=to,
        )
    promise.status = to
    promise.resolved_on = on


def _customer(tenant: Tenant, customer_id: int) -> Customer:
    customer = Customer.objects.for_tenant(tenant).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def activity_log(
    *,
    tenant: Tenant,
    actor: Actor,
    customer_id: int,
    kind: str,
    subject: str,
    body: str = "",
    outcome: str = "",
    contact_name: str = "",
    next_action_date: date | None = None,
) -> CollectionActivity:
    customer = _customer(tenant, customer_id)
    errors: dict[str, list[str]] = {}
    if kind not in ActivityKind.values:
        errors["kind"] = [f"'{kind}' is not an activity kind (call, note, email)."]
    if not subject.strip():
        errors["subject"] = ["Say in a few words what happened."]
    if outcome and outcome not in CallOutcome.values:
        errors["outcome"] = [f"'{outcome}' is not a call outcome."]
    if outcome and kind != ActivityKind.CALL:
        errors["outcome"] = ["Only calls have an outcome."]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    activity = CollectionActivity.objects.for_tenant(tenant).create(
        tenant=tenant,
        customer=customer,
        kind=kind,
        subject=subject.strip()[:200],
        body=body,
        outcome=outcome,
        contact_name=contact_name,
        next_action_date=next_action_date,
        created_by=actor.user,
    )
    audit_record(
        tenant=tenant, actor=actor, action="collections.activity_logged", instance=activity
    )
    return activity


def _cash_applied(
    tenant: Tenant, *, customer: Customer, currency: str, item_ids: list[int]
) -> Decimal:
    """Cash applied so far (reversals netted) to the items, or to all of the
    customer's debit items in the currency when no items are given."""
    applications = Application.objects.for_tenant(tenant).filter(
        Q(kind=ApplicationKind.CASH) | Q(reverses__kind=ApplicationKind.CASH)
    )
    if item_ids:
        applications = applications.filter(debit_item_id__in=item_ids)
    else:
        applications = applications.filter(
            debit_item__customer=customer, debit_item__currency=currency
        )
    total = applications.aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


@dataclass(frozen=True)
class PromiseInput:
    customer_id: int
    amount: Decimal
    currency: str
    promised_date: date
    item_ids: list[int]
    note: str = ""


@transaction.atomic
def promise_record(*, tenant: Tenant, actor: Actor, data: PromiseInput) -> PromiseToPay:
    customer = _customer(tenant, data.customer_id)
    errors: dict[str, list[str]] = {}
    amount = quantize_money(data.amount, data.currency) if data.amount else Decimal(0)
    if amount <= 0:
        errors["amount"] = ["The promised amount must be greater than zero."]
    if data.promised_date < tenant_today(tenant):
        errors["promised_date"] = ["The promised date cannot be in the past."]
    items = list(
        OpenItem.objects.for_tenant(tenant).filter(
            pk__in=data.item_ids, customer=customer, kind__in=DEBIT_KINDS, status=ItemStatus.OPEN
        )
    )
    if len(items) != len(set(data.item_ids)):
        errors["item_ids"] = ["Choose open items of this customer."]
    elif any(item.currency != data.currency for item in items):
        errors["item_ids"] = [f"Every item must be in {data.currency}, the promise's currency."]
    elif items and amount > sum((item.open_amount for item in items), Decimal(0)):
        errors["amount"] = ["The promise is larger than what the chosen items still owe."]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    activity = CollectionActivity.objects.for_tenant(tenant).create(
        tenant=tenant,
        customer=customer,
        kind=ActivityKind.NOTE,
        subject=f"Promise to pay {amount} {data.currency} by {data.promised_date.isoformat()}",
        body=data.note,
        next_action_date=data.promised_date,
        created_by=actor.user,
    )
    promise = PromiseToPay.objects.for_tenant(tenant).create(
        tenant=tenant,
        customer=customer,
        amount=amount,
        currency=data.currency,
        promised_date=data.promised_date,
        note=data.note[:300],
        applied_at_promise=_cash_applied(
            tenant, customer=customer, currency=data.currency, item_ids=data.item_ids
        ),
        activity=activity,
        created_by=actor.user,
    )
    PromiseItem.objects.for_tenant(tenant).bulk_create(
        [PromiseItem(tenant=tenant, promise=promise, open_item=item) for item in items]
    )
    audit_record(
        tenant=tenant, actor=actor, action="collections.promise_recorded", instance=promise
    )
    return promise


@transaction.atomic
def promise_cancel(*, tenant: Tenant, actor: Actor, promise_id: int) -> PromiseToPay:
    promise = (
        PromiseToPay.objects.for_tenant(tenant).select_for_update().filter(pk=promise_id).first()
    )
    if promise is None:
        raise NotFound("No such promise to pay.")
    _transition(promise, PromiseStatus.CANCELLED, on=tenant_today(tenant))
    promise.save(update_fields=["status", "resolved_on", "updated_at"])
    audit_record(
        tenant=tenant, actor=actor, action="collections.promise_cancelled", instance=promise
    )
    return promise


@dataclass(frozen=True)
class PromiseCheck:
    kept: int
    broken: int


def _settle_locked(
    *, tenant: Tenant, actor: Actor, promise: PromiseToPay, day: date, may_break: bool
) -> None:
    """Bring a locked open promise up to date: kept once its money has been
    applied, broken (when allowed) once its date has passed without it."""
    item_ids = list(promise.items.values_list("open_item_id", flat=True))
    applied = _cash_applied(
        tenant, customer=promise.customer, currency=promise.currency, item_ids=item_ids
    )
    promise.applied_so_far = max(applied - promise.applied_at_promise, Decimal(0))
    if promise.applied_so_far >= promise.amount:
        _transition(promise, PromiseStatus.KEPT, on=day)
    elif may_break and promise.promised_date < day:
        _transition(promise, PromiseStatus.BROKEN, on=day)
    promise.save(update_fields=["applied_so_far", "status", "resolved_on", "updated_at"])
    if promise.status != PromiseStatus.OPEN:
        audit_record(
            tenant=tenant,
            actor=actor,
            action=f"collections.promise_{promise.status}",
            instance=promise,
        )


def promises_keep_for_items(
    *, tenant: Tenant, actor: Actor, customer_id: int, item_ids: list[int], day: date
) -> list[PromiseToPay]:
    """Keep the customer's open promises that cash just applied to `item_ids`
    pays in full. Called by cash application inside its transaction, after
    the applications are posted: promises naming one of the items, and
    promises without items in one of the items' currencies. Only open
    promises move, under a row lock, so calling it again changes nothing;
    a promise whose money is still short stays open (breaking it is the
    hourly check's job)."""
    currencies = set(
        OpenItem.objects.for_tenant(tenant)
        .filter(pk__in=item_ids, customer_id=customer_id, kind__in=DEBIT_KINDS)
        .values_list("currency", flat=True)
    )
    if not currencies:
        return []
    candidates = (
        PromiseToPay.objects.for_tenant(tenant)
        .filter(customer_id=customer_id, status=PromiseStatus.OPEN)
        .filter(
            Q(items__open_item_id__in=item_ids)
            | Q(items__isnull=True, currency__in=sorted(currencies))
        )
        .values("pk")
    )
    # Postgres refuses FOR UPDATE with DISTINCT: lock by id instead.
    promises = list(
        PromiseToPay.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk__in=candidates, status=PromiseStatus.OPEN)
        .order_by("pk")
    )
    kept: list[PromiseToPay] = []
    for promise in promises:
        _settle_locked(tenant=tenant, actor=actor, promise=promise, day=day, may_break=False)
        if promise.status == PromiseStatus.KEPT:
            kept.append(promise)
    return kept


def promises_keep_for_paid_items(
    *, tenant: Tenant, actor: Actor, paid_items: dict[int, list[int]], day: date
) -> list[PromiseToPay]:
    """``promises_keep_for_items`` for a batch of cash application: the
    items paid per customer id. One query finds the customers that have an
    open promise at all; only theirs are looked at."""
    promising = (
        PromiseToPay.objects.for_tenant(tenant)
        .filter(customer_id__in=list(paid_items), status=PromiseStatus.OPEN)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    kept: list[PromiseToPay] = []
    for customer_id in sorted(promising):
        kept += promises_keep_for_items(
            tenant=tenant,
            actor=actor,
            customer_id=customer_id,
            item_ids=paid_items[customer_id],
            day=day,
        )
    return kept


def promises_check(*, tenant: Tenant, day: date) -> PromiseCheck:
    """Keep the open promises whose money has been applied; break those whose
    date is before `day` without it."""
    kept = broken = 0
    open_ids = list(
        PromiseToPay.objects.for_tenant(tenant)
        .filter(status=PromiseStatus.OPEN)
        .values_list("pk", flat=True)
    )
    system = Actor.system("promise check")
    for promise_id in open_ids:
        with transaction.atomic():
            promise = (
                PromiseToPay.objects.for_tenant(tenant)
                .select_for_update()
                .select_related("customer")
                .filter(pk=promise_id, status=PromiseStatus.OPEN)
                .first()
            )
            if promise is None:
                continue
            _settle_locked(tenant=tenant, actor=system, promise=promise, day=day, may_break=True)
            kept += promise.status == PromiseStatus.KEPT
            broken += promise.status == PromiseStatus.BROKEN
    return PromiseCheck(kept=kept, broken=broken)
