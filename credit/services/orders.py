"""Orders and their credit decisions.

Submitting runs the credit check in the same transaction and answers
approved or held. It locks the order, then the credit profiles it draws on
(the group's top parent first, then the customer's own), always in that
order, so two submissions for the last available credit serialize: the
second reads the exposure after the first committed and is held when the
credit is gone. Every decision writes an outbox event for the ERP and an
audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from credit.models import CreditProfile, Order, OrderEvent, OrderLine, OrderStatus
from credit.selectors import credit_policy_get
from credit.selectors.exposure import customer_exposure, group_exposure, group_root
from credit.services.checks import Decision, credit_check
from credit.services.common import format_money
from credit.services.profiles import credit_profile_ensure
from credit.services.transitions import transition
from otc.audit.services import Actor, AuditEntry, audit_record_many
from otc.customers.models import Customer
from otc.errors import ConflictError, ValidationFailed
from otc.fx.money import is_known_currency, quantize_money
from otc.fx.selectors import RateUnavailableError, fx_rate
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

S = OrderStatus


@dataclass(frozen=True)
class OrderLineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = Decimal(0)
    sku: str = ""


def _event(
    *,
    tenant: Tenant,
    actor: Actor,
    order: Order,
    kind: str,
    preceding_audit: list[AuditEntry] | None = None,
    **extra: Any,
) -> None:
    """The outbox event for the ERP and its audit event; `preceding_audit`
    are written in the same statement, before it (the order's creation)."""
    payload: dict[str, Any] = {
        "order_id": order.pk,
        "external_ref": order.external_ref,
        "status": order.status,
        "hold_reasons": order.hold_reasons,
        "released_amount": str(order.released_amount),
        "invoiced_amount": str(order.invoiced_amount),
        "currency": order.currency,
        "prepayment_required": order.prepayment_required,
        **extra,
    }
    OrderEvent.objects.for_tenant(tenant).create(
        tenant=tenant,
        order=order,
        kind=kind,
        status=order.status,
        payload=payload,
        actor_label=actor.label[:200],
    )
    audit_record_many(
        tenant=tenant,
        actor=actor,
        entries=[
            *(preceding_audit or []),
            AuditEntry(action=f"credit.order_{kind}", instance=order, changes=payload),
        ],
    )


def _check_lines(lines: list[OrderLineInput], currency: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not lines:
        errors["lines"] = ["An order needs at least one line."]
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        if not (line.description or "").strip():
            errors[f"{where}.description"] = ["Describe what is ordered."]
        if line.quantity <= 0:
            errors[f"{where}.quantity"] = ["The quantity must be greater than zero."]
        if line.unit_price < 0:
            errors[f"{where}.unit_price"] = ["The unit price cannot be negative."]
        if not 0 <= line.tax_rate < 100:
            errors[f"{where}.tax_rate"] = ["The tax rate must be from 0 up to 100 percent."]
    return errors


def order_create(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    currency: str,
    lines: list[OrderLineInput],
    order_date: date | None = None,
    requested_ship_date: date | None = None,
    external_ref: str | None = None,
    customer_po: str = "",
    notes: str = "",
    submit: bool = False,
) -> Order:
    """A draft order with its lines, totals and base amount at the rate of
    the order date. A second order with the same external_ref is a conflict
    (the ERP resent it): nothing is created.

    With ``submit`` the credit check runs in the same transaction (what an
    ERP's "may this ship?" call and the order form do): the new order is
    visible to no one else yet, so it needs no re-read or row lock first."""
    if customer.tenant_id != tenant.pk:
        raise ValidationFailed(errors={"customer": ["No such customer."]})
    currency = (currency or "").upper()
    errors = _check_lines(lines, currency)
    if not is_known_currency(currency):
        errors["currency"] = [f"'{currency}' is not an ISO 4217 currency code."]
    external_ref = (external_ref or "").strip() or None
    order_date = order_date or tenant_today(tenant)
    if requested_ship_date is not None and requested_ship_date < order_date:
        errors["requested_ship_date"] = ["The ship date cannot be before the order date."]
    if errors:
        raise ValidationFailed("The order was not created: fix the marked fields.", errors=errors)
    try:
        quote = fx_rate(
            tenant=tenant, from_currency=currency, to_currency=tenant.base_currency, on=order_date
        )
    except RateUnavailableError:
        raise ValidationFailed(
            f"No exchange rate from {currency} to {tenant.base_currency} on "
            f"{order_date.isoformat()}: the order cannot be valued for the credit check.",
            errors={"currency": [f"No exchange rate to {tenant.base_currency} for {currency}."]},
        ) from None
    built: list[OrderLine] = []
    for position, line in enumerate(lines, start=1):
        line_net = quantize_money(line.quantity * line.unit_price, currency)
        built.append(
            OrderLine(
                tenant=tenant,
                position=position,
                sku=line.sku[:64],
                description=line.description.strip()[:300],
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                line_net=line_net,
                line_tax=quantize_money(line_net * line.tax_rate / 100, currency),
            )
        )
    net = sum((line.line_net for line in built), Decimal(0))
    tax = sum((line.line_tax for line in built), Decimal(0))
    if net + tax <= 0:
        raise ValidationFailed(errors={"lines": ["The order total must be greater than zero."]})
    order = Order(
        tenant=tenant,
        customer=customer,
        external_ref=external_ref,
        currency=currency,
        order_date=order_date,
        requested_ship_date=requested_ship_date,
        customer_po=customer_po[:100],
        notes=notes,
        net_amount=net,
        tax_amount=tax,
        total_amount=net + tax,
        base_currency=tenant.base_currency,
        fx_rate=quote.rate,
        base_amount=quantize_money((net + tax) * quote.rate, tenant.base_currency),
        created_by=actor.user,
    )
    created = AuditEntry(
        action="credit.order_created",
        instance=order,
        changes={
            "customer": customer.pk,
            "currency": currency,
            "total_amount": str(order.total_amount),
            "base_amount": str(order.base_amount),
            "external_ref": external_ref,
        },
    )
    with transaction.atomic():
        # A submitted order is decided before it is written, so it is inserted
        # once, already approved or held (no second write of the same row on
        # the ERP's hot path). Until it commits no one else can see it, so it
        # needs no lock of its own; the credit profiles are locked all the same.
        decision = _submit_and_decide(tenant, order) if submit else None
        try:
            with transaction.atomic():
                order.save(force_insert=True)
                for built_line in built:
                    built_line.order = order
                OrderLine.objects.for_tenant(tenant).bulk_create(built)
                _keep_lines(tenant, order, built)
        except IntegrityError:
            # The unique constraint is the duplicate check (one query fewer on
            # the hot path, and right under concurrent resends as well).
            raise ConflictError(
                f"An order with external_ref '{external_ref}' exists already; it was not "
                "created again.",
                code="duplicate_external_ref",
            ) from None
        if decision is None:
            audit_record_many(tenant=tenant, actor=actor, entries=[created])
        else:
            _record_decision(tenant, actor, order, decision, resubmission=False, audit=[created])
    return order


def _keep_lines(tenant: Tenant, order: Order, lines: list[OrderLine]) -> None:
    """Leave the lines just written where ``order.lines.all()`` finds them,
    as ``prefetch_related`` does: whoever shows the new order (the API
    answers with it) does not read back what was just written."""
    lines_queryset = OrderLine.objects.for_tenant(tenant).filter(order=order)
    # What prefetch_related_objects stores (django.db.models.query.prefetch_one_level).
    lines_queryset._result_cache = lines
    lines_queryset._prefetch_done = True  # type: ignore[attr-defined]
    order._prefetched_objects_cache = {"lines": lines_queryset}  # type: ignore[attr-defined]


def _lock_order(tenant: Tenant, order: Order) -> Order:
    return (
        Order.objects.for_tenant(tenant)
        .select_related("customer")
        .select_for_update(of=("self",))
        .get(pk=order.pk)
    )


_LOCK_PROFILES_SQL = """
SELECT * FROM credit_creditprofile
WHERE tenant_id = %s AND customer_id = ANY(%s)
ORDER BY id
FOR UPDATE
"""


def _lock_profiles(
    tenant: Tenant, customer: Customer, root: Customer | None
) -> tuple[CreditProfile, CreditProfile | None]:
    """Lock the customer's profile and its group root's in one statement, in
    primary-key order: the order every writer of several profiles (the
    nightly scoring batch too) takes, so two of them never deadlock."""
    wanted = [customer] if root is None else [root, customer]

    def lock() -> dict[int, CreditProfile]:
        # Hand-written (raw) like the other reads of every submission.
        rows = CreditProfile.objects.for_tenant(tenant).raw(
            _LOCK_PROFILES_SQL, [tenant.pk, [c.pk for c in wanted]]
        )
        return {p.customer_id: p for p in rows}

    locked = lock()
    if len(locked) < len(wanted):  # a customer without a profile yet: create, then lock
        for missing in wanted:
            credit_profile_ensure(tenant=tenant, customer=missing)
        locked = lock()
    return locked[customer.pk], (locked[root.pk] if root is not None else None)


def _decide(tenant: Tenant, order: Order) -> Decision:
    policy = credit_policy_get(tenant=tenant)
    customer = order.customer
    root = group_root(tenant=tenant, customer=customer)
    profile, group_profile = _lock_profiles(tenant, customer, root)
    if root is None and profile.group_limit is not None:
        # The customer heads a group itself: its group limit covers its members too.
        root, group_profile = customer, profile
    today = tenant_today(tenant)
    exposure = customer_exposure(
        tenant=tenant,
        customer=customer,
        limit=profile.credit_limit,
        overdue_days=policy.overdue_days,
        today=today,
        exclude_order_id=order.pk,
    )
    group = None
    if root is not None and group_profile is not None and group_profile.group_limit is not None:
        group = group_exposure(
            tenant=tenant,
            root=root,
            limit=group_profile.group_limit,
            overdue_days=policy.overdue_days,
            today=today,
            exclude_order_id=order.pk,
        )
    return credit_check(
        policy=policy,
        customer=customer,
        profile=profile,
        exposure=exposure,
        order_base=order.base_amount,
        today=today,
        group_profile=group_profile,
        group=group,
    )


def order_submit(*, tenant: Tenant, actor: Actor, order: Order) -> Order:
    """Run the credit check and decide: approved (it may ship) or held with
    reasons. A draft or an order whose information was requested may be
    submitted; anything else answers IllegalTransition."""
    with transaction.atomic():
        order = _lock_order(tenant, order)
        _decide_and_record(tenant, actor, order)
    return order


def _decide_and_record(tenant: Tenant, actor: Actor, order: Order) -> None:
    """Submit the order (locked by the caller) and record the decision."""
    resubmission = order.status == S.INFO_REQUESTED
    decision = _submit_and_decide(tenant, order)
    order.save()
    _record_decision(tenant, actor, order, decision, resubmission=resubmission)


def _submit_and_decide(tenant: Tenant, order: Order) -> Decision:
    """Move the order through submitted to approved or held, with the
    decision's reasons and figures on it; the caller writes it."""
    transition(order, S.SUBMITTED)
    decision = _decide(tenant, order)
    now = timezone.now()
    order.hold_reasons = [reason.as_json() for reason in decision.reasons]
    order.decision_figures = decision.figures
    order.decided_at = now
    order.decided_by = None
    order.decision_note = ""
    order.submitted_at = now
    if decision.approved:
        transition(order, S.APPROVED)
        order.released_amount = order.total_amount
        order.open_base_amount = order.base_amount
    else:
        transition(order, S.HELD)
    return decision


def _record_decision(
    tenant: Tenant,
    actor: Actor,
    order: Order,
    decision: Decision,
    *,
    resubmission: bool,
    audit: list[AuditEntry] | None = None,
) -> None:
    _event(
        tenant=tenant,
        actor=actor,
        order=order,
        kind="approved" if decision.approved else "held",
        preceding_audit=audit,
        resubmission=resubmission,
        figures=decision.figures,
    )


def _require_note(note: str, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(errors={"note": [what]})
    return note[:1000]


def order_release(
    *,
    tenant: Tenant,
    actor: Actor,
    order: Order,
    amount: Decimal | None = None,
    prepayment_required: bool = False,
    note: str = "",
) -> Order:
    """Lift a credit hold, for the whole order or a part of it (`amount`, in
    the order currency: what may ship and be invoiced), optionally only
    against prepayment. The released part becomes exposure."""
    with transaction.atomic():
        order = _lock_order(tenant, order)
        if amount is not None:
            amount = quantize_money(amount, order.currency)
            if amount <= 0 or amount > order.total_amount:
                raise ValidationFailed(
                    errors={
                        "amount": [
                            "Release more than zero and at most the order total, "
                            + format_money(order.total_amount, order.currency)
                            + "."
                        ]
                    }
                )
        transition(order, S.RELEASED)
        released = order.total_amount if amount is None else amount
        order.released_amount = released
        order.open_base_amount = (
            order.base_amount
            if released == order.total_amount
            else quantize_money(released * order.fx_rate, order.base_currency)
        )
        order.prepayment_required = prepayment_required
        order.decision_note = (note or "").strip()[:1000]
        order.decided_at = timezone.now()
        order.decided_by = actor.user
        order.save()
        _event(
            tenant=tenant,
            actor=actor,
            order=order,
            kind="released",
            partial=released != order.total_amount,
            note=order.decision_note,
        )
    return order


def order_reject(*, tenant: Tenant, actor: Actor, order: Order, note: str) -> Order:
    note = _require_note(note, "Say why the order is rejected; the ERP shows it to sales.")
    with transaction.atomic():
        order = _lock_order(tenant, order)
        transition(order, S.REJECTED)
        order.decision_note = note
        order.decided_at = timezone.now()
        order.decided_by = actor.user
        order.open_base_amount = Decimal(0)
        order.save()
        _event(tenant=tenant, actor=actor, order=order, kind="rejected", note=note)
    return order


def order_request_info(*, tenant: Tenant, actor: Actor, order: Order, note: str) -> Order:
    note = _require_note(note, "Say what information is needed before credit decides.")
    with transaction.atomic():
        order = _lock_order(tenant, order)
        transition(order, S.INFO_REQUESTED)
        order.decision_note = note
        order.decided_at = timezone.now()
        order.decided_by = actor.user
        order.save()
        _event(tenant=tenant, actor=actor, order=order, kind="info_requested", note=note)
    return order


def order_cancel(*, tenant: Tenant, actor: Actor, order: Order, note: str = "") -> Order:
    with transaction.atomic():
        order = _lock_order(tenant, order)
        transition(order, S.CANCELLED)
        order.open_base_amount = Decimal(0)
        order.decision_note = (note or "").strip()[:1000]
        order.save()
        _event(tenant=tenant, actor=actor, order=order, kind="cancelled", note=order.decision_note)
    return order


def order_consume_for_invoice(
    *, tenant: Tenant, actor: Actor, order: Order, amount: Decimal, reference: str = ""
) -> Order:
    """Invoicing calls this when it invoices (part of) a released order:
    `amount` in the order currency. The order's open amount, and with it
    the exposure from orders, falls by the same part; the invoice then
    carries the exposure in the ledger. `reference` (the invoice's id) makes
    a retried call a no-op."""
    with transaction.atomic():
        order = _lock_order(tenant, order)
        if (
            reference
            and OrderEvent.objects.for_tenant(tenant)
            .filter(order=order, kind="invoiced", payload__reference=reference)
            .exists()
        ):
            return order
        amount = quantize_money(amount, order.currency)
        if amount <= 0:
            raise ValidationFailed(errors={"amount": ["Invoice more than zero."]})
        remaining = order.released_amount - order.invoiced_amount
        if order.status in (S.APPROVED, S.RELEASED, S.PARTIALLY_INVOICED) and amount > remaining:
            raise ConflictError(
                f"{order} has {format_money(remaining, order.currency)} released and not "
                f"invoiced; {format_money(amount, order.currency)} cannot be invoiced.",
                code="over_invoiced",
            )
        invoiced = order.invoiced_amount + amount
        transition(order, S.INVOICED if invoiced == order.released_amount else S.PARTIALLY_INVOICED)
        order.invoiced_amount = invoiced
        left = order.released_amount - invoiced
        order.open_base_amount = (
            quantize_money(left * order.fx_rate, order.base_currency) if left else Decimal(0)
        )
        order.save()
        _event(
            tenant=tenant,
            actor=actor,
            order=order,
            kind="invoiced",
            amount=str(amount),
            reference=reference,
        )
    return order
