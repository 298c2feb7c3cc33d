"""Sales orders as the credit check sees them: header, lines, the decision
with its reason codes, and an outbox of events for the ERP.

Amounts: `total_amount` in the order currency; `base_amount` at the rate of
the order date (`fx_rate`). `released_amount` is what credit let through
(the total, or less on a partial release); `invoiced_amount` what invoicing
consumed of it. `open_base_amount` is the exposure the order still carries:
the released amount not yet invoiced, in base currency. Held and submitted
orders carry none there; they count as *pending* exposure through
`base_amount` while they wait.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import CurrencyField

from credit.models.common import RATE_DECIMALS, RATE_DIGITS, amount_field
from otc.tenancy.models import TenantOwnedModel


class OrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    HELD = "held", "On credit hold"
    INFO_REQUESTED = "info_requested", "Information requested"
    RELEASED = "released", "Released"
    REJECTED = "rejected", "Rejected"
    PARTIALLY_INVOICED = "partially_invoiced", "Partially invoiced"
    INVOICED = "invoiced", "Invoiced"
    CANCELLED = "cancelled", "Cancelled"


# Orders that may ship and are not fully invoiced: their open_base_amount is exposure.
OPEN_ORDER_STATUSES = (
    OrderStatus.APPROVED,
    OrderStatus.RELEASED,
    OrderStatus.PARTIALLY_INVOICED,
)
# Orders waiting for a credit decision: their base_amount is pending exposure.
PENDING_ORDER_STATUSES = (
    OrderStatus.SUBMITTED,
    OrderStatus.HELD,
    OrderStatus.INFO_REQUESTED,
)


class HoldReason(models.TextChoices):
    """Why the credit check held an order; the API documents every code."""

    OVER_LIMIT = "over_limit", "Over the credit limit"
    GROUP_LIMIT_EXCEEDED = "group_limit_exceeded", "Over the group's credit limit"
    OVERDUE_ITEMS = "overdue_items", "Overdue items older than the policy allows"
    CUSTOMER_BLOCKED = "customer_blocked", "Customer blocked for credit"
    CUSTOMER_INACTIVE = "customer_inactive", "Customer on hold, in legal or closed"
    REVIEW_EXPIRED = "review_expired", "Credit review overdue"
    HIGH_RISK_CLASS = "high_risk_class", "Risk class requires manual approval"


class Order(TenantOwnedModel):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="orders"
    )
    # The ERP's id of the order: optional, never shared by two. NULL, not "".
    external_ref = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    currency = CurrencyField()
    order_date = models.DateField()
    requested_ship_date = models.DateField(null=True, blank=True)
    customer_po = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    net_amount = amount_field(default=0)
    tax_amount = amount_field(default=0)
    total_amount = amount_field(default=0)
    base_currency = CurrencyField()
    fx_rate = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS)
    base_amount = amount_field(default=0)
    released_amount = amount_field(default=0)
    invoiced_amount = amount_field(default=0)
    open_base_amount = amount_field(default=0)
    # The last credit decision: [{"code": ..., "message": ..., ...}], empty when approved.
    hold_reasons = models.JSONField(default=list, blank=True)
    # Snapshot of the figures the decision was taken on (exposure, limit, policy).
    decision_figures = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Conditions of a manual release.
    prepayment_required = models.BooleanField(default=False)
    decision_note = models.CharField(max_length=1000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_ref"],
                condition=Q(external_ref__isnull=False),
                name="order_tenant_external_ref_uniq",
            ),
            models.CheckConstraint(
                condition=~Q(external_ref=""), name="order_external_ref_null_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(total_amount=models.F("net_amount") + models.F("tax_amount")),
                name="order_total_is_net_plus_tax",
            ),
            models.CheckConstraint(
                condition=Q(total_amount__gte=0)
                & Q(released_amount__gte=0)
                & Q(released_amount__lte=models.F("total_amount"))
                & Q(invoiced_amount__gte=0)
                & Q(invoiced_amount__lte=models.F("released_amount"))
                & Q(open_base_amount__gte=0),
                name="order_amounts_consistent",
            ),
        ]
        indexes = [
            # Exposure sums a customer's open and pending orders by status.
            models.Index(
                fields=["tenant", "customer", "status"], name="order_tenant_cust_status_idx"
            ),
            models.Index(fields=["tenant", "updated_at"], name="order_tenant_updated_idx"),
            models.Index(
                fields=["tenant", "requested_ship_date"],
                name="order_held_queue_idx",
                condition=Q(status="held"),
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.display_ref}"

    @property
    def display_ref(self) -> str:
        return self.external_ref or f"#{self.pk}"


class OrderLine(TenantOwnedModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    sku = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=18, decimal_places=4)
    unit_price = models.DecimalField(max_digits=18, decimal_places=6)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    line_net = amount_field()
    line_tax = amount_field()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "order", "position"], name="orderline_position_uniq"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_pos"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_not_neg"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lt=100), name="orderline_tax_range"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "order"], name="orderline_order_idx")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"


class OrderEvent(TenantOwnedModel):
    """Outbox of what happened to an order, for the ERP: one row per
    decision or status change, never changed (append-only). A webhook
    dispatcher reads it in id order; until one exists the ERP polls the
    order (`GET /api/v1/orders/?updated_since=`)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=32)
    status = models.CharField(max_length=20, choices=OrderStatus.choices)
    payload = models.JSONField(default=dict)
    actor_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "order"], name="orderevent_order_idx")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.status})"
