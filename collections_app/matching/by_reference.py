"""What for, when the payment names documents: settle the referenced items
(equal, discount, installments, completion of a combination, overpayment,
tolerance, short payment with a deduction)."""

from __future__ import annotations

from decimal import Decimal

from collections_app.matching.allocation import (
    FX_CLOSE,
    Context,
    deduction_reason,
    fx_certainty,
    fx_reason,
    money,
    scale_to,
    settle_in_full,
    subsets,
    write_off_from_the_end,
)
from collections_app.matching.candidates import Referenced
from collections_app.matching.facts import (
    ZERO,
    Allocation,
    CandidateItem,
    DeductionPlan,
    Reason,
    quantize,
)
from collections_app.matching.normalize import number_keys, reference_keys

SUBSET_ITEM_LIMIT = 24  # oldest open items of a customer a combination may use


def by_references(  # noqa: PLR0911, PLR0912, PLR0915  (one branch per payment shape)
    ctx: Context, referenced: Referenced, *, corroborated: bool
) -> tuple[float, list[Allocation], Decimal, DeductionPlan | None, list[Reason]] | None:
    """Settle the referenced items with the payment: equal, discount,
    tolerance, overpayment or short payment. A near miss among them (a
    number one edit away) settles only when the amount settles the items
    exactly: with a shortfall or a rest, a near miss is as likely to be the
    neighbouring number's document."""
    payment = ctx.payment
    items, hit_exact = referenced.items, referenced.exact
    numbers = ", ".join(item.number for item in items)
    noun = "invoice" if len(items) == 1 else "invoices"
    found = Reason(
        "reference_found" if hit_exact else "reference_found_mangled",
        f"{noun} {numbers} found in the remittance"
        + ("" if hit_exact else " (written differently)")
        + (" (one character off; the amount settles it exactly)" if referenced.near_miss else ""),
    )
    full = settle_in_full(ctx, items)
    if full is None:
        return None
    total = sum((a.payment_amount for a in full), ZERO)
    fx = fx_reason(ctx, items)
    fx_factor = fx_certainty(ctx, total) if fx else 1.0
    base = 1.0 if hit_exact else 0.99
    if referenced.near_miss and fx and fx_factor < FX_CLOSE:
        return None  # within the FX tolerance is not "exactly" enough for a near miss
    if payment.amount == total or (fx and ctx.fx_ok(payment.amount, total)):
        reasons = [found, Reason("amount_equal", "amount equal"), *fx]
        return 0.99 * base * fx_factor, scale_to(full, payment.amount), ZERO, None, reasons
    discounted = settle_in_full(ctx, items, discounts=True)
    if discounted is not None and any(a.discount for a in discounted):
        net = sum((a.payment_amount for a in discounted), ZERO)
        if payment.amount == net or (fx and ctx.fx_ok(payment.amount, net)):
            taken = ", ".join(
                f"{money(a.discount, a.currency)} on {a.number}" for a in discounted if a.discount
            )
            reasons = [
                found,
                Reason(
                    "discount_within_terms", f"early-payment discount taken within terms ({taken})"
                ),
                *fx,
            ]
            return (
                0.98 * base * fx_factor,
                scale_to(discounted, payment.amount),
                ZERO,
                None,
                reasons,
            )
    if referenced.near_miss:
        return None
    split = installments_due_first(ctx, items, found, fx, base, corroborated=corroborated)
    if split is not None:
        return split
    if payment.amount > total:
        rest = payment.amount - total
        completed = complete(ctx, items, rest)
        if completed is not None:
            extra, unique = completed
            more = settle_in_full(ctx, extra) or []
            reasons = [
                found,
                Reason(
                    "combination_completes" if unique else "combination_ambiguous",
                    f"the rest equals open item{'s' if len(extra) > 1 else ''} "
                    f"{', '.join(i.number for i in extra)} of the same customer"
                    + ("" if unique else " (another combination does too)"),
                ),
            ]
            certainty = (0.93 if unique and corroborated else 0.6) * base
            return certainty, [*full, *more], ZERO, None, reasons
        reasons = [
            found,
            Reason("overpayment", f"overpaid by {money(rest, payment.currency)}, left on account"),
            *fx,
        ]
        # A large unexplained rest is more often a combined payment whose
        # other numbers were lost than a real overpayment, unless every open
        # item of the customer was tried for the rest (``complete``) and none
        # fits: then nothing else of the customer's can be what it pays.
        if not corroborated:
            certainty = 0.75
        elif rest <= total / 2:
            certainty = 0.95
        else:
            certainty = 0.93 if _searched_all(ctx, items[0].customer_id) else 0.8
        return certainty * base * fx_factor, full, rest, None, reasons
    shortfall = total - payment.amount
    if fx:
        return short_in_other_currency(ctx, items, found, fx, base, corroborated=corroborated)
    if shortfall <= ctx.tolerance(total):
        adjusted = write_off_from_the_end(full, shortfall)
        reasons = [
            found,
            Reason(
                "within_tolerance",
                f"short by {money(shortfall, payment.currency)}, within tolerance, written off",
            ),
        ]
        return 0.96 * base, adjusted, ZERO, None, reasons
    # Short payment: settle oldest first, the rest of the last becomes a deduction.
    remaining = payment.amount
    allocations: list[Allocation] = []
    short_item: CandidateItem | None = None
    for item in items:
        if remaining >= item.open_amount:
            allocations.append(
                Allocation(item.id, item.number, item.currency, item.open_amount, item.open_amount)
            )
            remaining -= item.open_amount
        elif short_item is None:
            short_item = item
            if remaining > 0:
                allocations.append(
                    Allocation(item.id, item.number, item.currency, remaining, remaining)
                )
            remaining = ZERO
    if short_item is None or len(items) - len(allocations) > 1 or not allocations:
        return None  # paid well under several invoices: an installment plan, not a deduction
    short = short_item.open_amount - (
        allocations[-1].amount if allocations[-1].item_id == short_item.id else ZERO
    )
    reason_code, reason_text = deduction_reason(ctx, short_item)
    deduction = DeductionPlan(short_item.id, short_item.number, short, reason_code, reason_text)
    said = f" (payer's reason: {reason_text})" if reason_text else " (no reason given)"
    reasons = [
        found,
        Reason(
            "short_payment",
            f"short by {money(short, payment.currency)} on {short_item.number}, "
            f"opened as a deduction{said}",
        ),
    ]
    certainty = (0.95 if reason_text else 0.93) * base if corroborated else 0.7
    return certainty, allocations, ZERO, deduction, reasons


def installments_due_first(
    ctx: Context,
    items: list[CandidateItem],
    found: Reason,
    fx: list[Reason],
    base: float,
    *,
    corroborated: bool,
) -> tuple[float, list[Allocation], Decimal, DeductionPlan | None, list[Reason]] | None:
    """One invoice in installments (its open parts share one number, in due
    order): a payment of its earliest-due open parts settles exactly those;
    a payment below the whole settles parts earliest-due first and leaves the
    rest open, never as a deduction (the later parts are not short, they are
    simply not paid yet). Paying the whole is the plain "amount equal" case."""
    if len(items) < 2 or len({item.number for item in items}) != 1:
        return None
    payment = ctx.payment
    full = settle_in_full(ctx, items)
    if full is None:
        return None
    total = sum((a.payment_amount for a in full), ZERO)
    if payment.amount >= total:
        return None
    number = items[0].number
    running = ZERO
    for count, allocation in enumerate(full[:-1], start=1):
        running += allocation.payment_amount
        if running == payment.amount or (fx and ctx.fx_ok(payment.amount, running)):
            chosen = full[:count]
            reasons = [
                found,
                Reason(
                    "installments_due_first",
                    f"amount equals the earliest-due {count} of {len(items)} open "
                    f"installments of {number}; the later ones stay open",
                ),
                *fx,
            ]
            factor = fx_certainty(ctx, running) if fx else 1.0
            return 0.97 * base * factor, scale_to(chosen, payment.amount), ZERO, None, reasons
        if running > payment.amount:
            break
    if fx:
        return None
    remaining = payment.amount
    allocations: list[Allocation] = []
    for item in items:
        if remaining <= 0:
            break
        settled = min(remaining, item.open_amount)
        allocations.append(Allocation(item.id, item.number, item.currency, settled, settled))
        remaining -= settled
    reasons = [
        found,
        Reason(
            "installments_partly_paid",
            f"{money(payment.amount, payment.currency)} settles installments of {number} "
            f"earliest-due first; {money(total - payment.amount, payment.currency)} stays open",
        ),
    ]
    # Below the usual threshold: whether the rest is a dispute or a later
    # payment is for a person to say.
    return (0.85 if corroborated else 0.7) * base, allocations, ZERO, None, reasons


def _searched_all(ctx: Context, customer_id: int) -> bool:
    """``complete`` saw every open item of the customer: none in another
    currency, and no more than the oldest it takes."""
    open_items = ctx.index.by_customer.get(customer_id, [])
    return len(open_items) <= SUBSET_ITEM_LIMIT and all(
        item.currency == ctx.payment.currency for item in open_items
    )


def complete(
    ctx: Context, referenced: list[CandidateItem], rest: Decimal
) -> tuple[list[CandidateItem], bool] | None:
    """A combined payment whose text lost some numbers (mangled beyond
    recognition): other open items of the customer that make up the rest."""
    customer_id = referenced[0].customer_id
    taken = {item.id for item in referenced}
    pool = [
        item
        for item in ctx.index.by_customer.get(customer_id, [])
        if item.id not in taken and item.currency == ctx.payment.currency
    ][:SUBSET_ITEM_LIMIT]
    singles = [item for item in pool if item.open_amount == rest]
    if singles:
        return [singles[0]], len(singles) == 1
    combos = subsets(
        pool, [item.open_amount for item in pool], rest, ctx.policy.max_subset_size - len(taken)
    )
    if not combos:
        return None
    return [pool[i] for i in combos[0]], len(combos) == 1


def short_in_other_currency(
    ctx: Context,
    items: list[CandidateItem],
    found: Reason,
    fx: list[Reason],
    base: float,
    *,
    corroborated: bool,
) -> tuple[float, list[Allocation], Decimal, DeductionPlan | None, list[Reason]] | None:
    """One foreign-currency invoice paid in part: the payer's advice says how
    much of the invoice currency it pays; else the payment converted back."""
    if len(items) != 1:
        return None  # several foreign invoices short-paid: for a person
    item, payment = items[0], ctx.payment
    rate = ctx.index.rate(item.currency, payment.currency)
    if not rate:
        return None
    keys = number_keys(item.number)
    stated = [
        hint.paid_amount
        for hint in payment.remittance
        if hint.paid_amount and keys & set(reference_keys(hint.reference))
    ]
    settled = stated[0] if stated else quantize(payment.amount / rate, item.minor)
    if not ZERO < settled < item.open_amount:
        return None
    reason_code, reason_text = deduction_reason(ctx, item)
    rest = item.open_amount - settled
    said = f" (payer's reason: {reason_text})" if reason_text else " (no reason given)"
    reasons = [
        found,
        Reason(
            "short_payment",
            f"{money(payment.amount, payment.currency)} pays {money(settled, item.currency)} of "
            f"{item.number}; the rest, {money(rest, item.currency)}, opened as a deduction{said}",
        ),
        *fx,
    ]
    certainty = (0.95 if reason_text else 0.93) * base * 0.97 if corroborated else 0.7
    allocation = Allocation(item.id, item.number, item.currency, settled, payment.amount)
    deduction = DeductionPlan(item.id, item.number, rest, reason_code, reason_text)
    return certainty, [allocation], ZERO, deduction, reasons
