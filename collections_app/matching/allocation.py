"""What for, the shared part: the context of one payment, settling items in
full, FX and discount arithmetic, the bounded subset search and the words
that explain them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from collections_app.matching.facts import (
    ZERO,
    Allocation,
    CandidateItem,
    MatchIndex,
    PaymentFacts,
    Policy,
    Reason,
    quantize,
)
from collections_app.matching.normalize import number_keys, reference_keys

FX_CLOSE = 0.99  # certainty of a conversion that lands within 0.2 %
SUBSET_NODE_LIMIT = 20_000


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


class Context:
    def __init__(self, payment: PaymentFacts, index: MatchIndex, policy: Policy) -> None:
        self.payment = payment
        self.index = index
        self.policy = policy

    def converted(self, item: CandidateItem, amount: Decimal) -> Decimal | None:
        rate = self.index.rate(item.currency, self.payment.currency)
        return None if rate is None else quantize(amount * rate, self.payment.minor)

    def discount(self, item: CandidateItem) -> Decimal:
        if (
            item.discount_percent <= 0
            or item.discount_until is None
            or item.open_amount != item.amount
            or self.payment.value_date
            > item.discount_until + timedelta(days=self.policy.discount_grace_days)
        ):
            return ZERO
        return quantize(item.amount * item.discount_percent / 100, item.minor)

    def tolerance(self, total: Decimal) -> Decimal:
        return min(
            self.policy.tolerance_amount, quantize(total * self.policy.tolerance_percent / 100)
        )

    def fx_ok(self, paid: Decimal, expected: Decimal) -> bool:
        return abs(paid - expected) <= quantize(expected * self.policy.fx_tolerance_percent / 100)


def settle_in_full(
    ctx: Context, items: list[CandidateItem], *, discounts: bool = False
) -> list[Allocation] | None:
    """Allocations settling `items` completely (less discounts if asked),
    with the payment shared in proportion when currencies differ."""
    out: list[Allocation] = []
    for item in items:
        discount = ctx.discount(item) if discounts else ZERO
        cash = item.open_amount - discount
        paid = ctx.converted(item, cash)
        if paid is None:
            return None
        out.append(Allocation(item.id, item.number, item.currency, cash, paid, discount))
    return out


def scale_to(allocations: list[Allocation], total: Decimal) -> list[Allocation]:
    """Let the payment's amount (within FX tolerance of the sum) settle the
    items fully: the last item takes the rounding rest."""
    current = sum((a.payment_amount for a in allocations), ZERO)
    if current == total or not allocations:
        return allocations
    out: list[Allocation] = []
    taken = ZERO
    for position, allocation in enumerate(allocations):
        if position == len(allocations) - 1:
            share = total - taken
        else:
            share = quantize(allocation.payment_amount * total / current)
        taken += share
        out.append(
            Allocation(
                allocation.item_id,
                allocation.number,
                allocation.currency,
                allocation.amount,
                share,
                allocation.discount,
                allocation.write_off,
            )
        )
    return out


def fx_certainty(ctx: Context, expected: Decimal) -> float:
    """A conversion that lands within 0.2 % is as good as equal; the rest of
    the FX tolerance costs a little certainty."""
    if expected and abs(ctx.payment.amount - expected) <= quantize(expected * Decimal("0.002")):
        return FX_CLOSE
    return 0.97


def fx_reason(ctx: Context, items: list[CandidateItem]) -> list[Reason]:
    foreign = sorted({item.currency for item in items if item.currency != ctx.payment.currency})
    if not foreign:
        return []
    rates = ", ".join(
        f"1 {currency} = {ctx.index.rate(currency, ctx.payment.currency)} {ctx.payment.currency}"
        for currency in foreign
    )
    return [
        Reason(
            "fx_within_tolerance",
            f"paid in {ctx.payment.currency} for {', '.join(foreign)} documents at {rates}, "
            f"within the {ctx.policy.fx_tolerance_percent}% FX tolerance",
        )
    ]


def deduction_reason(ctx: Context, item: CandidateItem) -> tuple[str, str]:
    keys = number_keys(item.number)
    explained = [h for h in ctx.payment.remittance if h.adjustment_reason or h.note]
    for hint in sorted(
        explained, key=lambda h: not (h.reference and keys & set(reference_keys(h.reference)))
    ):
        code = hint.adjustment_reason[:32]
        text = " ".join(part for part in (hint.adjustment_reason, hint.note) if part)
        return code, text
    return "", ""


def subsets(
    items: list[CandidateItem], values: list[Decimal], target: Decimal, max_size: int
) -> list[list[int]]:
    """Index sets (2..max_size items, oldest first) whose values sum to
    target; stops after two solutions (two means ambiguous) or a node budget.
    Hand-written: a bounded depth-first search with the sorted suffix sums
    as a bound is all it takes at this size."""
    solutions: list[list[int]] = []
    nodes = 0
    count = len(items)

    def walk(start: int, chosen: list[int], total: Decimal) -> None:
        nonlocal nodes
        if len(solutions) >= 2 or nodes > SUBSET_NODE_LIMIT:
            return
        for position in range(start, count):
            nodes += 1
            value = total + values[position]
            if value > target:
                continue
            picked = [*chosen, position]
            if value == target and len(picked) >= 2:
                solutions.append(picked)
                if len(solutions) >= 2:
                    return
            elif len(picked) < max_size:
                walk(position + 1, picked, value)

    walk(0, [], ZERO)
    return solutions


def write_off_from_the_end(full: list[Allocation], shortfall: Decimal) -> list[Allocation]:
    """Settle the items in full, the payment short by `shortfall` (same
    currency): the newest items absorb it as a write-off, each at most its
    own amount, so a tiny last item never ends up with a negative payment."""
    adjusted = list(full)
    rest = shortfall
    for index in range(len(adjusted) - 1, -1, -1):
        if rest <= 0:
            break
        allocation = adjusted[index]
        taken = min(rest, allocation.amount)
        adjusted[index] = Allocation(
            allocation.item_id,
            allocation.number,
            allocation.currency,
            allocation.amount - taken,
            allocation.payment_amount - taken,
            discount=allocation.discount,
            write_off=allocation.write_off + taken,
        )
        rest -= taken
    return adjusted
