"""The cash-matching engine, as pure functions over plain values.

``match_payment(payment, index, policy)`` returns ranked ``Proposal`` values
for one payment: who paid (customer evidence) and what for (which open items,
how much each, what is left on account, written off or opened as a
deduction), each with a confidence 0-100 and an explanation in words. No
database here: ``collections_app.services.matching`` loads a ``MatchIndex``
once per statement (a few queries) and applies what comes back, so a 10,000
line statement is matched in memory.

Modules: ``facts`` (the values and the index), ``candidates`` (who paid),
``allocation`` / ``by_reference`` / ``by_amount`` (what for), this one
(ranking and rival customers).

Confidence = customer certainty x allocation certainty:

- customer: evidence strengths combine as independent signals
  (1 - prod(1 - s)): payer account learned 0.99, document references 0.97
  (mangled 0.93; a near miss, one edit from the number and settled to the
  cent, 0.9), learned alias or exact name 0.95 (every namesake tried),
  fuzzy name 0.9 x similarity; with no reference in the payment, the one
  customer among those the name fits that has an open item of exactly the
  amount gains 0.8 more; when the payment fits a second customer nearly as
  well (both proposals above 60 and within 15 points) each loses the
  other's margin above 50, unless the best is named by the payment's
  references and the rival only by its name and a similar amount.
- allocation: references and amount equal 0.99, with a discount within terms
  0.98, within the write-off tolerance 0.96, overpayment 0.95 (0.93 when
  the rest is over half but no open item of the customer could be it), short payment
  (rest to a deduction) 0.95 with a reason from the payer and 0.93 without;
  overpayment and short payment only when something besides the reference
  names the customer (a transposed digit makes a valid number of somebody
  else's invoice), else 0.7-0.75; no reference but the
  only open item with that amount 0.95, a unique combination of open items
  0.93; ambiguous amounts 0.6 and below; a payment in another currency
  within the FX tolerance x0.97.

A wrong automatic application costs more than none, so every shape the
engine is not sure of lands below the default threshold (90).
"""

from __future__ import annotations

from decimal import Decimal

from collections_app.matching.allocation import Context
from collections_app.matching.by_amount import without_references
from collections_app.matching.by_reference import by_references
from collections_app.matching.candidates import (
    REFERENCE_CUSTOMER,
    REFERENCE_NEAR_MISS,
    REFERENCE_ONLY,
    Evidence,
    identify,
    reference_hits,
    referenced_items,
)
from collections_app.matching.facts import (
    Allocation,
    CandidateItem,
    CustomerInfo,
    DeductionPlan,
    MatchIndex,
    PaymentFacts,
    Policy,
    Proposal,
    Reason,
    RemittanceHint,
)

__all__ = [
    "Allocation",
    "CandidateItem",
    "CustomerInfo",
    "DeductionPlan",
    "MatchIndex",
    "PaymentFacts",
    "Policy",
    "Proposal",
    "Reason",
    "RemittanceHint",
    "match_payment",
]


def _confidence(customer_score: float, certainty: float) -> int:
    return max(0, min(100, int(customer_score * certainty * 100 + 1e-9)))


# Customers a payment is tried against. Not just the best three: a common
# name ("Smith Group", "Weber") names a dozen namesakes equally, and which of
# them the amount fits is what tells them apart.
CUSTOMER_LIMIT = 30
# Customers (best evidence first) that get the costly searches: subsets of
# their open items, near misses among their own numbers.
COMBINATION_RANKS = 3
# What the amount adds when it singles out one customer among those the
# payer's name fits: a cent-exact open amount is rare in one customer's few
# items, so it is evidence of its own, independent of the name.
AMOUNT_SINGLES_OUT = 0.8
# Allocations that settle named documents exactly.
SETTLES_EXACTLY = frozenset(
    {"amount_equal", "discount_within_terms", "installments_due_first", "combination_completes"}
)
KNOWN_PAYER = frozenset({"payer_account_known", "payer_alias_known", "customer_given"})
NAME_CODES = frozenset({"payer_name_equal", "payer_name_similar"})

Option = tuple[float, list[Allocation], Decimal, DeductionPlan | None, list[Reason]]


def match_payment(payment: PaymentFacts, index: MatchIndex, policy: Policy) -> list[Proposal]:
    """Ranked proposals for one payment, best first (possibly none)."""
    hits = reference_hits(payment, index)
    evidence = identify(payment, index, hits)
    ranked = sorted(evidence.items(), key=lambda kv: kv[1].score, reverse=True)
    ctx = Context(payment, index, policy)
    options_of: dict[int, list[Option]] = {}
    for rank, (customer_id, customer_evidence) in enumerate(ranked[:CUSTOMER_LIMIT]):
        # Evidence beyond the reference itself: a transposed digit can make
        # a reference point at someone else's invoice; a payer account, an
        # alias or the payer's name cannot be wrong in the same way.
        corroborated = any(r.code not in REFERENCE_ONLY for r in customer_evidence.reasons)
        referenced = referenced_items(
            payment, index, hits, customer_id, near_misses=rank < COMBINATION_RANKS
        )
        options: list[Option] = []
        if referenced:
            result = by_references(ctx, referenced, corroborated=corroborated)
            if result is not None:
                options.append(result)
        if not options:
            # A combination by name alone is never applied on its own; the
            # subset search is spent on the best-evidenced few only.
            options = without_references(ctx, customer_id, combinations=rank < COMBINATION_RANKS)
        options_of[customer_id] = options
    if not hits:
        _amount_singles_out(ctx, evidence, options_of)
    per_customer: list[list[Proposal]] = []
    for customer_id, options in options_of.items():
        customer_evidence = evidence[customer_id]
        score = customer_evidence.score
        proposals = [
            Proposal(
                customer_id=customer_id,
                confidence=_confidence(score, certainty),
                reasons=[*reasons, *customer_evidence.reasons],
                allocations=allocations,
                on_account=on_account,
                deduction=deduction,
            )
            for certainty, allocations, on_account, deduction, reasons in options
        ]
        if not proposals and score >= 0.5:
            proposals.append(
                Proposal(
                    customer_id=customer_id,
                    confidence=_confidence(score, 0.5),
                    reasons=[
                        Reason("no_open_item", "no open item fits the amount; put it on account"),
                        *customer_evidence.reasons,
                    ],
                    on_account=payment.amount,
                )
            )
        per_customer.append(proposals)
    _rivals(per_customer)
    proposals = [p for group in per_customer for p in group]
    if not evidence:
        proposals.extend(_unknown_payer(ctx))
    proposals.sort(key=lambda p: p.confidence, reverse=True)
    return proposals[:5]


def _amount_singles_out(
    ctx: Context, evidence: dict[int, Evidence], options_of: dict[int, list[Option]]
) -> None:
    """A payment that names no document, from a payer known only by name:
    when exactly one of the customers the name fits has an open item of
    exactly the amount (converted at the day's rate for another currency), the
    amount confirms that customer. Two such customers and neither gains:
    the rival rule then keeps the payment for a person."""
    named = [
        customer_id
        for customer_id, options in options_of.items()
        if any(r.code in NAME_CODES for r in evidence[customer_id].reasons)
        and not any(r.code in KNOWN_PAYER for r in evidence[customer_id].reasons)
    ]
    fitting = [
        customer_id
        for customer_id in named
        if any(
            any(r.code == "amount_unique" for r in reasons) and _to_the_cent(ctx, allocations)
            for _certainty, allocations, _rest, _deduction, reasons in options_of[customer_id]
        )
    ]
    if len(fitting) != 1:
        return
    customer_id = fitting[0]
    others = len(named) - 1
    checked = f" ({others} other customer{'s' if others > 1 else ''} of the name checked)"
    evidence[customer_id].strengths.append(AMOUNT_SINGLES_OUT)
    evidence[customer_id].reasons.append(
        Reason(
            "amount_singles_out",
            "the only customer of that name with an open item of exactly this amount"
            + (checked if others else ""),
        )
    )


def _to_the_cent(ctx: Context, allocations: list[Allocation]) -> bool:
    """The items' open amounts, converted at the day's rate where the
    currency differs, add up to the payment exactly."""
    total = Decimal(0)
    for allocation in allocations:
        item = ctx.index.items.get(allocation.item_id)
        converted = ctx.converted(item, item.open_amount) if item else None
        if converted is None:
            return False
        total += converted
    return total == ctx.payment.amount


def _rivals(per_customer: list[list[Proposal]]) -> None:
    """When the payment fits another customer nearly as well, the best is
    not sure: it loses what the rival scores above a coin toss. A rival that
    fits by name and a similar amount alone does not shake a best whose
    documents the payment's references name: the references are the
    payer's words for this payment, a namesake's similar amount is not. A
    rival named by references, a known account or alias always counts."""
    bests = sorted(
        (
            (max(p.confidence for p in group), position)
            for position, group in enumerate(per_customer)
            if group
        ),
        reverse=True,
    )
    if len(bests) < 2:
        return
    (top, position), (second, rival) = bests[0], bests[1]
    if second < 60 or top - second >= 15:
        return
    best = max(per_customer[position], key=lambda p: p.confidence)
    challenger = max(per_customer[rival], key=lambda p: p.confidence)
    challenger_named = _named_by_references(challenger, near_miss=False) or bool(
        _codes(challenger) & (KNOWN_PAYER | {REFERENCE_CUSTOMER})
    )
    if _named_by_references(best, near_miss=True) and not challenger_named:
        return
    if "amount_singles_out" in _codes(best):
        return  # the challenger's amount is near, not to the cent (``_amount_singles_out``)
    # Both lose: were only the best marked down, the runner-up, as sure as
    # it was, would be applied in its place.
    for group, other in ((position, second), (rival, top)):
        for proposal in per_customer[group]:
            proposal.confidence = max(0, proposal.confidence - (other - 50))
            proposal.reasons.append(
                Reason("rival_customer", f"the payment fits another customer too ({other}%)")
            )


def _codes(proposal: Proposal) -> set[str]:
    return {reason.code for reason in proposal.reasons}


def _named_by_references(proposal: Proposal, *, near_miss: bool) -> bool:
    """The payment's references name the documents as we write them, or
    written differently (with ``near_miss``, also one edit off) and settled
    exactly by the amount. A near miss holds its place against a namesake's
    similar amount, never against a document named outright."""
    codes = _codes(proposal)
    if REFERENCE_NEAR_MISS in codes and not near_miss:
        return False
    return "reference_found" in codes or (
        "reference_found_mangled" in codes and bool(codes & SETTLES_EXACTLY)
    )


def _unknown_payer(ctx: Context) -> list[Proposal]:
    """Nobody recognised: offer the items anywhere that carry exactly this
    amount, at low confidence, so a person has somewhere to start."""
    out: list[Proposal] = []
    key = (ctx.payment.currency, ctx.payment.amount)
    for item_id in ctx.index.by_amount.get(key, ()):
        item = ctx.index.items.get(item_id)
        if item is not None and item.open_amount == ctx.payment.amount:
            out.append(
                Proposal(
                    customer_id=item.customer_id,
                    confidence=25,
                    reasons=[
                        Reason(
                            "amount_only",
                            f"payer unknown; {item.number} of "
                            f"{ctx.index.name_of(item.customer_id)} has exactly this amount open",
                        )
                    ],
                    allocations=[
                        Allocation(
                            item.id,
                            item.number,
                            item.currency,
                            item.open_amount,
                            item.open_amount,
                        )
                    ],
                )
            )
            if len(out) >= 3:
                break
    return out
