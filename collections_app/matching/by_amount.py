"""What for, when the payment names no document of the customer: the amount
against the customer's open items (one item, less a discount, a unique
combination, within tolerance)."""

from __future__ import annotations

from decimal import Decimal

from collections_app.matching.allocation import (
    Context,
    fx_certainty,
    fx_reason,
    money,
    scale_to,
    settle_in_full,
    subsets,
)
from collections_app.matching.by_reference import SUBSET_ITEM_LIMIT
from collections_app.matching.facts import (
    ZERO,
    Allocation,
    DeductionPlan,
    Reason,
)


def without_references(
    ctx: Context, customer_id: int, *, combinations: bool = True
) -> list[tuple[float, list[Allocation], Decimal, DeductionPlan | None, list[Reason]]]:
    """``combinations=False`` leaves out the subset search, the costly part,
    for customers far down the list of candidates."""
    payment = ctx.payment
    items = ctx.index.by_customer.get(customer_id, [])
    options: list[tuple[float, list[Allocation], Decimal, DeductionPlan | None, list[Reason]]] = []
    if not items:
        return options
    converted = [(item, ctx.converted(item, item.open_amount)) for item in items]
    exact = [item for item, value in converted if value == payment.amount]
    if not exact:
        exact = [
            item
            for item, value in converted
            if value is not None
            and item.currency != payment.currency
            and ctx.fx_ok(payment.amount, value)
        ]
    for rank, item in enumerate(exact[:3]):
        allocations = settle_in_full(ctx, [item])
        if allocations is None:
            continue
        unique = len(exact) == 1
        fx = fx_reason(ctx, [item])
        reasons = [
            Reason(
                "amount_unique" if unique else "amount_ambiguous",
                f"amount equals the open amount of {item.number}"
                + (
                    ", the customer's only open item with that amount"
                    if unique
                    else f", one of {len(exact)} open items with that amount (oldest first)"
                ),
            ),
            *fx,
        ]
        factor = fx_certainty(ctx, allocations[0].payment_amount) if fx else 1.0
        certainty = (0.95 if unique else 0.6 - 0.05 * rank) * factor
        options.append((certainty, scale_to(allocations, payment.amount), ZERO, None, reasons))
    if options:
        return options
    discounted = [
        item
        for item, _ in converted
        if (d := ctx.discount(item)) and ctx.converted(item, item.open_amount - d) == payment.amount
    ]
    if discounted:
        item = discounted[0]
        allocations = settle_in_full(ctx, [item], discounts=True) or []
        reasons = [
            Reason(
                "amount_with_discount",
                f"amount equals {item.number} less its early-payment discount of "
                f"{money(allocations[0].discount, item.currency)}, taken within terms",
            )
        ]
        options.append((0.93 if len(discounted) == 1 else 0.55, allocations, ZERO, None, reasons))
        return options
    same = [(item, value) for item, value in converted if item.currency == payment.currency]
    pool = same[:SUBSET_ITEM_LIMIT]
    combos = (
        subsets(
            [item for item, _ in pool],
            [value or ZERO for _, value in pool],
            payment.amount,
            ctx.policy.max_subset_size,
        )
        if combinations
        else []
    )
    for rank, combo in enumerate(combos):
        chosen = [pool[i][0] for i in combo]
        allocations = settle_in_full(ctx, chosen) or []
        unique = len(combos) == 1
        reasons = [
            Reason(
                "combination_unique" if unique else "combination_ambiguous",
                f"open items {', '.join(i.number for i in chosen)} add up to the amount"
                + ("" if unique else " (another combination does too)"),
            )
        ]
        options.append((0.93 if unique else 0.5 - 0.05 * rank, allocations, ZERO, None, reasons))
    if options:
        return options
    for item, value in converted:
        if value is None or item.currency != payment.currency:
            continue
        shortfall = value - payment.amount
        if 0 < shortfall <= ctx.tolerance(value):
            reasons = [
                Reason(
                    "amount_within_tolerance",
                    f"amount is {money(shortfall, payment.currency)} short of {item.number}, "
                    "within tolerance, written off",
                )
            ]
            allocation = Allocation(
                item.id,
                item.number,
                item.currency,
                item.open_amount - shortfall,
                payment.amount,
                write_off=shortfall,
            )
            options.append((0.85, [allocation], ZERO, None, reasons))
            break
    return options
