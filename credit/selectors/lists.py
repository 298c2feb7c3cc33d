"""Lists and lookups of the credit app, always scoped to one tenant."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from credit.models import (
    OPEN_ORDER_STATUSES,
    CreditApplication,
    CreditLimitChange,
    CreditPolicy,
    CreditProfile,
    CreditReview,
    CreditScore,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from otc.customers.models import Customer
from otc.errors import NotFound
from otc.ledger.models import ItemStatus, OpenItem
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

_AMOUNT = DecimalField(max_digits=20, decimal_places=4)


# Reads every order submission makes are hand-written SQL through raw():
# the same model instances for a fraction of the CPU the query compiler
# takes to build these few fixed statements.
_POLICY_SQL = "SELECT * FROM credit_creditpolicy WHERE tenant_id = %s"
_CUSTOMER_BY = {"id": "id", "external_ref": "external_ref", "number": "number"}


def credit_policy_get(*, tenant: Tenant) -> CreditPolicy:
    """The tenant's policy; a tenant that never saved one gets the defaults
    (created on first read, so every later decision names the same row)."""
    policies = CreditPolicy.objects.for_tenant(tenant)
    policy = next(iter(policies.raw(_POLICY_SQL, [tenant.pk])), None)
    if policy is None:
        policy, _ = policies.get_or_create(tenant=tenant)
    return policy


def order_customer_find(*, tenant: Tenant, by: str, value: int | str) -> Customer | None:
    """The customer an order names, by its id, external_ref or number (each
    unique in the tenant), or None."""
    column = _CUSTOMER_BY[by]
    sql = f"SELECT * FROM customers_customer WHERE tenant_id = %s AND {column} = %s"  # noqa: S608  (a fixed column)
    return next(iter(Customer.objects.for_tenant(tenant).raw(sql, [tenant.pk, value])), None)


def credit_profile_find(*, tenant: Tenant, customer: Customer) -> CreditProfile | None:
    return CreditProfile.objects.for_tenant(tenant).filter(customer_id=customer.pk).first()


def credit_profile_get(*, tenant: Tenant, customer_id: int | str) -> CreditProfile:
    try:
        return (
            CreditProfile.objects.for_tenant(tenant)
            .select_related("customer")
            .get(customer_id=int(customer_id))
        )
    except (CreditProfile.DoesNotExist, ValueError, TypeError):
        raise NotFound("No credit profile for this customer.") from None


def _with_exposure(profiles: QuerySet[CreditProfile], tenant: Tenant) -> QuerySet[CreditProfile]:
    """Annotate own exposure (open AR + open orders, base currency) per profile."""
    ar = (
        OpenItem.objects.for_tenant(tenant)
        .filter(customer_id=OuterRef("customer_id"), status=ItemStatus.OPEN)
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("open_base_amount"))
        .values("total")
    )
    orders = (
        Order.objects.for_tenant(tenant)
        .filter(customer_id=OuterRef("customer_id"), status__in=OPEN_ORDER_STATUSES)
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("open_base_amount"))
        .values("total")
    )
    zero = Value(Decimal(0), output_field=_AMOUNT)
    return profiles.annotate(
        open_ar=Coalesce(Subquery(ar, output_field=_AMOUNT), zero),
        open_orders=Coalesce(Subquery(orders, output_field=_AMOUNT), zero),
    ).annotate(exposure=ExpressionWrapper(F("open_ar") + F("open_orders"), output_field=_AMOUNT))


def credit_profile_list(
    *,
    tenant: Tenant,
    risk_class: str = "",
    is_blocked: bool | None = None,
    updated_since: datetime | None = None,
    search: str = "",
) -> QuerySet[CreditProfile]:
    profiles = CreditProfile.objects.for_tenant(tenant).select_related("customer")
    if risk_class:
        profiles = profiles.filter(risk_class=risk_class)
    if is_blocked is not None:
        profiles = profiles.filter(is_blocked=is_blocked)
    if updated_since is not None:
        profiles = profiles.filter(updated_at__gte=updated_since)
    if search:
        profiles = profiles.filter(
            Q(customer__legal_name__icontains=search) | Q(customer__number__icontains=search)
        )
    return _with_exposure(profiles, tenant)


def customers_over_utilization(
    *, tenant: Tenant, threshold: Decimal = Decimal("0.9")
) -> QuerySet[CreditProfile]:
    """Profiles whose exposure has reached `threshold` of their limit, fullest first."""
    profiles: Any = _with_exposure(
        CreditProfile.objects.for_tenant(tenant)
        .select_related("customer")
        .filter(credit_limit__gt=0),
        tenant,
    )
    return (
        profiles.filter(exposure__gte=F("credit_limit") * threshold)
        .annotate(
            utilization=ExpressionWrapper(
                F("exposure") * 100 / F("credit_limit"), output_field=_AMOUNT
            )
        )
        .order_by("-utilization", "pk")
    )


_OVER_UTILIZATION_COUNT = """
WITH ar AS (
    SELECT customer_id, SUM(open_base_amount) AS amount
    FROM ledger_customerbalance WHERE tenant_id = %(tenant)s GROUP BY customer_id
),
orders AS (
    SELECT customer_id, SUM(open_base_amount) AS amount
    FROM credit_order WHERE tenant_id = %(tenant)s AND status = ANY(%(open_statuses)s)
    GROUP BY customer_id
)
SELECT COUNT(*)
FROM credit_creditprofile AS cp
LEFT JOIN ar ON ar.customer_id = cp.customer_id
LEFT JOIN orders ON orders.customer_id = cp.customer_id
WHERE cp.tenant_id = %(tenant)s AND cp.credit_limit > 0
  AND COALESCE(ar.amount, 0) + COALESCE(orders.amount, 0) >= cp.credit_limit * %(threshold)s
"""


def customers_over_utilization_count(*, tenant: Tenant, threshold: Decimal = Decimal("0.9")) -> int:
    """How many customers_over_utilization() holds, counted in one pass over
    the ledger's per-customer balances (the dashboard tile at 50,000
    profiles), instead of a subquery per profile."""
    with connection.cursor() as cursor:
        cursor.execute(
            _OVER_UTILIZATION_COUNT,
            {
                "tenant": tenant.pk,
                "open_statuses": [str(status) for status in OPEN_ORDER_STATUSES],
                "threshold": threshold,
            },
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def reviews_due(*, tenant: Tenant, within_days: int = 30) -> QuerySet[CreditProfile]:
    """Profiles whose next review falls due within `within_days` (or is overdue)."""
    until: date = tenant_today(tenant) + timedelta(days=within_days)
    return (
        CreditProfile.objects.for_tenant(tenant)
        .select_related("customer")
        .filter(next_review_date__lte=until)
        .order_by("next_review_date", "pk")
    )


def credit_limit_history(*, tenant: Tenant, customer: Customer) -> QuerySet[CreditLimitChange]:
    return CreditLimitChange.objects.for_tenant(tenant).filter(customer=customer)


def order_list(
    *,
    tenant: Tenant,
    status: str = "",
    customer_id: int | None = None,
    external_ref: str = "",
    updated_since: datetime | None = None,
) -> QuerySet[Order]:
    orders = Order.objects.for_tenant(tenant).select_related("customer")
    if status:
        orders = orders.filter(status=status)
    if customer_id is not None:
        orders = orders.filter(customer_id=customer_id)
    if external_ref:
        orders = orders.filter(external_ref=external_ref)
    if updated_since is not None:
        orders = orders.filter(updated_at__gte=updated_since)
    return orders


def held_order_queue(*, tenant: Tenant) -> QuerySet[Order]:
    """The analyst's queue: held orders, biggest first, then by ship date."""
    return (
        Order.objects.for_tenant(tenant)
        .select_related("customer")
        .filter(status=OrderStatus.HELD)
        .order_by("-base_amount", F("requested_ship_date").asc(nulls_last=True), "pk")
    )


def order_get(*, tenant: Tenant, order_id: int | str) -> Order:
    try:
        return Order.objects.for_tenant(tenant).select_related("customer").get(pk=int(order_id))
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such order.") from None


def order_lines(*, tenant: Tenant, order: Order) -> list[OrderLine]:
    return list(OrderLine.objects.for_tenant(tenant).filter(order=order))


def order_events(
    *,
    tenant: Tenant,
    order: Order | None = None,
    customer: Customer | None = None,
    limit: int = 50,
) -> list[OrderEvent]:
    events = OrderEvent.objects.for_tenant(tenant).select_related("order")
    if order is not None:
        events = events.filter(order=order)
    if customer is not None:
        events = events.filter(order__customer=customer)
    return list(events.order_by("-id")[:limit])


def credit_score_latest(*, tenant: Tenant, customer: Customer) -> CreditScore | None:
    return CreditScore.objects.for_tenant(tenant).filter(customer=customer).first()


def credit_score_history(
    *, tenant: Tenant, customer: Customer, limit: int = 12
) -> list[CreditScore]:
    return list(CreditScore.objects.for_tenant(tenant).filter(customer=customer)[:limit])


def application_list(
    *,
    tenant: Tenant,
    status: str = "",
    customer_id: int | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[CreditApplication]:
    applications = CreditApplication.objects.for_tenant(tenant).select_related("customer")
    if status:
        applications = applications.filter(status=status)
    if customer_id is not None:
        applications = applications.filter(customer_id=customer_id)
    if updated_since is not None:
        applications = applications.filter(updated_at__gte=updated_since)
    return applications


def applications_to_decide(*, tenant: Tenant) -> QuerySet[CreditApplication]:
    """Submitted and under review, escalated ones and the largest first."""
    return (
        application_list(tenant=tenant)
        .filter(status__in=["submitted", "under_review"])
        .order_by("-escalated", "-requested_limit", "pk")
    )


def application_get(*, tenant: Tenant, application_id: int | str) -> CreditApplication:
    try:
        return (
            CreditApplication.objects.for_tenant(tenant)
            .select_related("customer")
            .get(pk=int(application_id))
        )
    except (CreditApplication.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such credit application.") from None


def review_worklist(*, tenant: Tenant, status: str = "open") -> QuerySet[CreditReview]:
    reviews = CreditReview.objects.for_tenant(tenant).select_related("customer")
    if status:
        reviews = reviews.filter(status=status)
    return reviews.order_by("due_date", "pk")


def review_list(
    *, tenant: Tenant, status: str = "", updated_since: datetime | None = None
) -> QuerySet[CreditReview]:
    reviews = CreditReview.objects.for_tenant(tenant).select_related("customer")
    if status:
        reviews = reviews.filter(status=status)
    if updated_since is not None:
        reviews = reviews.filter(updated_at__gte=updated_since)
    return reviews


def review_get(*, tenant: Tenant, review_id: int | str) -> CreditReview:
    try:
        return (
            CreditReview.objects.for_tenant(tenant)
            .select_related("customer")
            .get(pk=int(review_id))
        )
    except (CreditReview.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such credit review.") from None


def order_outbox(*, tenant: Tenant, after: int = 0, limit: int = 100) -> list[OrderEvent]:
    """Order events after an id, oldest first: what an ERP (or a webhook
    dispatcher) has not seen yet."""
    return list(OrderEvent.objects.for_tenant(tenant).filter(pk__gt=after).order_by("pk")[:limit])
