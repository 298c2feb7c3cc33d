"""Payments: creating them, identifying their customer, and the status
transitions. Applying cash lives in ``services.applying``.

    unidentified ──identify──> unapplied ──apply──> partially_applied ──> applied
         │                        │  ^                    │    ^             │
         │                        │  └─── unapply ────────┘    └── unapply ──┘
         ├──return──> returned <──┴── (bank return: applications reversed first)
         ├──refund──> refunded <── unapplied (nothing applied)
         └──reverse─> reversed <── unapplied (entered in error)

Applied / partially applied / unapplied follow the ledger: the payment's
PAYMENT item's open amount is the truth (``payment_sync_status``).
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from collections_app.models import CashAllocation, Payment, PaymentSource, PaymentStatus
from otc.audit.services import Actor, AuditEntry, audit_record, audit_record_many
from otc.customers.models import Customer
from otc.errors import ConflictError, IllegalTransition, NotFound, ValidationFailed
from otc.fx.money import is_known_currency, quantize_money
from otc.ledger.models import ItemKind, OpenItem
from otc.ledger.services import ledger_item_post, ledger_item_reverse
from otc.tenancy.dates import tenant_today
from otc.tenancy.managers import rows_update
from otc.tenancy.models import Tenant
from otc.transitions import TransitionTable

S = PaymentStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.UNIDENTIFIED: frozenset({S.UNAPPLIED, S.RETURNED, S.REFUNDED, S.REVERSED}),
    S.UNAPPLIED: frozenset(
        {S.PARTIALLY_APPLIED, S.APPLIED, S.RETURNED, S.REFUNDED, S.REVERSED, S.UNIDENTIFIED}
    ),
    S.PARTIALLY_APPLIED: frozenset({S.UNAPPLIED, S.APPLIED, S.RETURNED}),
    S.APPLIED: frozenset({S.UNAPPLIED, S.PARTIALLY_APPLIED, S.RETURNED}),
    S.RETURNED: frozenset(),
    S.REFUNDED: frozenset(),
    S.REVERSED: frozenset(),
}


# A payment may be "moved" to the status it has (re-applying keeps it applied).
_TABLE = TransitionTable(moves=TRANSITIONS, labels=dict(PaymentStatus.choices), stay_allowed=True)


def can_transition(current: str, target: str) -> bool:
    return _TABLE.allows(current, target)


def transition(payment: Payment, target: str) -> str:
    """Set the status if the table allows it; the caller saves."""
    return _TABLE.move(payment, target, name=f"Payment {payment.number}")


def new_payment_number() -> str:
    # Random rather than a counter: bulk imports create thousands of payments
    # in one INSERT without a sequence round trip per row.
    return f"PAY-{secrets.token_hex(5).upper()}"


def payment_lock(*, tenant: Tenant, payment_id: int) -> Payment:
    payment = (
        Payment.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("open_item", "customer")
        .filter(pk=payment_id)
        .first()
    )
    if payment is None:
        raise NotFound("Payment not found.")
    return payment


def _post_payment_item(*, tenant: Tenant, actor: Actor, payment: Payment) -> OpenItem:
    if payment.customer is None:
        raise ValidationFailed("Identify the payment's customer before posting it.")
    return ledger_item_post(
        tenant=tenant,
        actor=actor,
        customer=payment.customer,
        kind=ItemKind.PAYMENT,
        number=payment.number,
        currency=payment.currency,
        amount=payment.amount,
        document_date=payment.value_date,
        source_type="collections_app.payment",
        source_id=str(payment.pk),
    )


def payment_create(
    *,
    tenant: Tenant,
    actor: Actor,
    amount: Decimal,
    currency: str,
    value_date: date,
    source: str = PaymentSource.MANUAL,
    customer: Customer | None = None,
    external_ref: str | None = None,
    payer_name: str = "",
    payer_account: str = "",
    bank_reference: str = "",
    end_to_end_id: str = "",
    remittance_text: str = "",
    structured_references: list[str] | None = None,
    match: bool = True,
) -> Payment:
    """Record one incoming payment (manual entry or the API). With a
    customer it is posted to the ledger at once as unapplied cash. Matching
    runs after commit unless `match` is false."""
    if not is_known_currency(currency):
        raise ValidationFailed(errors={"currency": [f"'{currency}' is not an ISO 4217 currency."]})
    amount = quantize_money(amount, currency)
    if amount <= 0:
        raise ValidationFailed(errors={"amount": ["Enter an amount greater than zero."]})
    if customer is not None and customer.tenant_id != tenant.pk:
        raise NotFound("Customer not found.")
    with transaction.atomic():
        if (
            external_ref
            and Payment.objects.for_tenant(tenant).filter(external_ref=external_ref).exists()
        ):
            raise ConflictError(
                f"A payment with external_ref '{external_ref}' already exists.",
                code="duplicate_external_ref",
            )
        payment = Payment.objects.for_tenant(tenant).create(
            tenant=tenant,
            external_ref=external_ref or None,
            source=source,
            customer=customer,
            number=new_payment_number(),
            amount=amount,
            currency=currency,
            value_date=value_date,
            payer_name=payer_name[:200],
            payer_account=payer_account[:64],
            bank_reference=bank_reference[:140],
            end_to_end_id=end_to_end_id[:140],
            remittance_text=remittance_text,
            structured_references=list(structured_references or []),
            status=PaymentStatus.UNIDENTIFIED,
            created_by=actor.user,
        )
        if customer is not None:
            payment.open_item = _post_payment_item(tenant=tenant, actor=actor, payment=payment)
            transition(payment, PaymentStatus.UNAPPLIED)
            payment.save(update_fields=["open_item", "status", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="payment.created",
            instance=payment,
            changes={"amount": {"before": None, "after": f"{amount} {currency}"}},
        )
        if match:
            from collections_app.tasks import match_payments

            match_payments.delay_on_commit(tenant.pk, [payment.pk])
    return payment


def payment_identify_locked(
    *, tenant: Tenant, actor: Actor, payment: Payment, customer: Customer
) -> Payment:
    """Give an unidentified (locked) payment its customer and post it to the
    ledger as unapplied cash."""
    if customer.tenant_id != tenant.pk:
        raise NotFound("Customer not found.")
    if payment.status != PaymentStatus.UNIDENTIFIED:
        if payment.customer_id == customer.pk:
            return payment
        raise ConflictError(
            f"Payment {payment.number} already belongs to {payment.customer}; "
            "unapply it and move it instead."
        )
    transition(payment, PaymentStatus.UNAPPLIED)
    payment.customer = customer
    payment.open_item = _post_payment_item(tenant=tenant, actor=actor, payment=payment)
    payment.save(update_fields=["customer", "open_item", "status", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="payment.identified",
        instance=payment,
        changes={"customer": {"before": None, "after": str(customer)}},
    )
    return payment


def payment_sync_status(*, tenant: Tenant, actor: Actor, payment: Payment) -> Payment:
    """Move the status to what the ledger says (after applying or unapplying)."""
    if payment.open_item_id is None:
        return payment
    item = OpenItem.objects.for_tenant(tenant).get(pk=payment.open_item_id)
    if item.open_amount == 0:
        target = PaymentStatus.APPLIED
    elif item.open_amount == item.amount:
        target = PaymentStatus.UNAPPLIED
    else:
        target = PaymentStatus.PARTIALLY_APPLIED
    if target != payment.status:
        previous = transition(payment, target)
        payment.save(update_fields=["status", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="payment.status_changed",
            instance=payment,
            changes={"status": {"before": previous, "after": target}},
        )
    return payment


def _close(*, tenant: Tenant, actor: Actor, payment_id: int, target: str, reason: str) -> Payment:
    (payment,) = _close_many(
        tenant=tenant, actor=actor, reasons={payment_id: reason}, target=target
    )
    return payment


def _close_many(
    *, tenant: Tenant, actor: Actor, reasons: dict[int, str], target: str
) -> list[Payment]:
    """Move each payment (id -> reason) to the closed status `target`, in
    one transaction: the payments locked in id order, what is applied
    reversed and the payment's item taken out of the ledger where there is
    any (one by one, as a person's return), the statuses written and
    audited at once. All or nothing: the first payment that cannot move
    raises the error that names it."""
    from collections_app.services.applying import payment_unapply_locked

    with transaction.atomic():
        locked = {
            payment.pk: payment
            for payment in Payment.objects.for_tenant(tenant)
            .select_for_update(of=("self",))
            .select_related("open_item", "customer")
            .filter(pk__in=sorted(reasons))
            .order_by("pk")
        }
        if len(locked) != len(reasons):
            raise NotFound("Payment not found.")
        applied = (
            set(
                CashAllocation.objects.for_tenant(tenant)
                .filter(payment_id__in=list(locked), reversed_at__isnull=True)
                .values_list("payment_id", flat=True)
            )
            if target == PaymentStatus.RETURNED
            else set()
        )
        closed: list[tuple[Payment, str, str]] = []
        now = timezone.now()
        for payment_id, reason in reasons.items():
            payment = locked[payment_id]
            if payment.status == target or not can_transition(payment.status, target):
                labels = dict(PaymentStatus.choices)
                raise IllegalTransition(
                    f"Payment {payment.number} is {labels[payment.status].lower()}: it cannot "
                    f"become {labels[target].lower()}"
                    + ("; unapply it first." if target != PaymentStatus.RETURNED else "."),
                    current=payment.status,
                    requested=target,
                )
            if payment.pk in applied:
                payment_unapply_locked(tenant=tenant, actor=actor, payment=payment, reason=reason)
            if payment.open_item_id is not None:
                ledger_item_reverse(
                    tenant=tenant,
                    actor=actor,
                    item_id=payment.open_item_id,
                    effective_date=tenant_today(tenant),
                    reason=reason or target,
                )
            previous = transition(payment, target)
            payment.return_reason = reason[:140]
            payment.updated_at = now
            closed.append((payment, previous, reason))
        rows_update(
            tenant=tenant,
            objs=[payment for payment, _, _ in closed],
            fields=["status", "return_reason", "updated_at"],
        )
        audit_record_many(
            tenant=tenant,
            actor=actor,
            entries=[
                AuditEntry(
                    action=f"payment.{target}",
                    instance=payment,
                    changes={
                        "status": {"before": previous, "after": target},
                        "reason": {"before": None, "after": reason},
                    },
                )
                for payment, previous, reason in closed
            ],
        )
    return [payment for payment, _, _ in closed]


def payment_return(*, tenant: Tenant, actor: Actor, payment_id: int, reason: str) -> Payment:
    """The bank took the money back (NSF, chargeback, recall): every
    application is reversed, so the invoices it paid are open again, and the
    payment leaves the ledger. One entry of ``payments_return``."""
    (payment,) = payments_return(tenant=tenant, actor=actor, reasons={payment_id: reason})
    return payment


def payments_return(*, tenant: Tenant, actor: Actor, reasons: dict[int, str]) -> list[Payment]:
    """``payment_return`` for many payments (id -> reason) at once: a
    statement's bank returns. All or nothing."""
    return _close_many(tenant=tenant, actor=actor, reasons=reasons, target=PaymentStatus.RETURNED)


def payment_refund(*, tenant: Tenant, actor: Actor, payment_id: int, reason: str) -> Payment:
    """Unapplied cash paid back to the payer (the outgoing transfer is made
    in the bank or ERP). Only a payment with nothing applied."""
    return _close(
        tenant=tenant,
        actor=actor,
        payment_id=payment_id,
        target=PaymentStatus.REFUNDED,
        reason=reason,
    )


def payment_reverse(*, tenant: Tenant, actor: Actor, payment_id: int, reason: str) -> Payment:
    """A payment recorded in error (a manual entry typed twice)."""
    return _close(
        tenant=tenant,
        actor=actor,
        payment_id=payment_id,
        target=PaymentStatus.REVERSED,
        reason=reason,
    )
