"""The cash-matching engine, as pure functions over plain values.

``match_payment(payment, index, policy)`` returns ranked ``Proposal`` values
for one payment: who paid (customer evidence) and what for (which open items,
how much each, what is left on account, written off or opened as a
deduction), each with a confidence 0-100 and an explanation in words. No
database here: ``collections_app.services.matching`` loads a ``MatchIndex``
once per statement (a few queries) and applies what comes back, so a 10,000
line statement is matched in memory.

Confidence = customer certainty x allocation certainty:

- customer: evidence strengths combine as independent signals
  (1 - prod(1 - s)): payer account learned 0.99, document references 0.97
  (mangled 0.93), learned alias or exact name 0.95, fuzzy name
  0.9 x similarity; when the payment fits a second customer nearly as well
  (both proposals above 60 and within 15 points) the best loses the rival's
  margin above 50.
- allocation: references and amount equal 0.99, with a discount within terms
  0.98, within the write-off tolerance 0.96, overpayment 0.95, short payment
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

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from rapidfuzz import fuzz, process

from collections_app.matching.normalize import (
    alnum_upper,
    last_group_key,
    normalize_account,
    normalize_name,
    number_keys,
    reference_keys,
    short_numbers,
)

CENT = Decimal("0.01")
ZERO = Decimal(0)
SUBSET_ITEM_LIMIT = 24  # oldest open items of a customer a combination may use
SUBSET_NODE_LIMIT = 20_000
FUZZY_CUTOFF = 86
TOKEN_BLOCK_LIMIT = 400  # a name token shared by more customers blocks nothing


def _q(amount: Decimal, exponent: Decimal = CENT) -> Decimal:
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CandidateItem:
    """An open debit item (invoice, debit memo, installment)."""

    id: int
    customer_id: int
    number: str
    amount: Decimal
    open_amount: Decimal
    currency: str
    document_date: date
    due_date: date | None = None
    discount_percent: Decimal = ZERO
    discount_until: date | None = None
    minor: Decimal = CENT  # the currency's minor unit


@dataclass(frozen=True)
class RemittanceHint:
    reference: str
    paid_amount: Decimal | None = None
    discount_amount: Decimal | None = None
    adjustment_amount: Decimal | None = None
    adjustment_reason: str = ""  # the payer's code, e.g. EDI 820 ADX "CS"
    note: str = ""  # the payer's words, e.g. "damaged goods"


@dataclass(frozen=True)
class PaymentFacts:
    amount: Decimal
    currency: str
    value_date: date
    payer_name: str = ""
    payer_account: str = ""
    text: str = ""
    references: tuple[str, ...] = ()
    remittance: tuple[RemittanceHint, ...] = ()
    customer_id: int | None = None  # already identified (by a person or the API)
    minor: Decimal = CENT


@dataclass(frozen=True)
class Policy:
    threshold: int = 90
    tolerance_amount: Decimal = Decimal("5")
    tolerance_percent: Decimal = Decimal("0.5")
    fx_tolerance_percent: Decimal = Decimal("1")
    discount_grace_days: int = 3
    max_subset_size: int = 5


@dataclass(frozen=True)
class Allocation:
    item_id: int
    number: str
    currency: str
    amount: Decimal  # cash settled, item currency
    payment_amount: Decimal  # payment currency taken
    discount: Decimal = ZERO  # item currency
    write_off: Decimal = ZERO  # item currency

    def as_json(self) -> dict[str, str | int]:
        return {
            "item_id": self.item_id,
            "number": self.number,
            "currency": self.currency,
            "amount": str(self.amount),
            "payment_amount": str(self.payment_amount),
            "discount": str(self.discount),
            "write_off": str(self.write_off),
        }


@dataclass(frozen=True)
class DeductionPlan:
    item_id: int
    number: str
    amount: Decimal  # item currency
    reason_code: str = ""
    reason_text: str = ""

    def as_json(self) -> dict[str, str | int]:
        return {
            "item_id": self.item_id,
            "number": self.number,
            "amount": str(self.amount),
            "reason_code": self.reason_code,
            "reason_text": self.reason_text,
        }


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass
class Proposal:
    customer_id: int | None
    confidence: int
    reasons: list[Reason]
    allocations: list[Allocation] = field(default_factory=list)
    on_account: Decimal = ZERO  # payment currency
    deduction: DeductionPlan | None = None

    @property
    def explanation(self) -> str:
        text = "; ".join(reason.text for reason in self.reasons)
        return text[:1].upper() + text[1:] + "." if text else ""

    @property
    def applied_total(self) -> Decimal:
        return sum((a.payment_amount for a in self.allocations), ZERO)


@dataclass(frozen=True)
class CustomerInfo:
    id: int
    name: str


class MatchIndex:
    """Everything the engine looks up, built once for many payments."""

    def __init__(
        self,
        *,
        items: Iterable[CandidateItem],
        customers: Iterable[CustomerInfo],
        aliases: dict[str, int] | None = None,
        payer_accounts: dict[str, int] | None = None,
        rate: Callable[[str, str], Decimal | None] | None = None,
    ) -> None:
        self.items: dict[int, CandidateItem] = {}
        self.by_customer: dict[int, list[CandidateItem]] = defaultdict(list)
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.by_last_group: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.by_amount: dict[tuple[str, Decimal], list[int]] = defaultdict(list)
        for item in items:
            self.items[item.id] = item
            self.by_amount[(item.currency, item.open_amount)].append(item.id)
            self.by_customer[item.customer_id].append(item)
            for key in number_keys(item.number):
                self.by_key[key].append(item.id)
            self.by_key["RF:" + alnum_upper(item.number)[-21:]].append(item.id)
            group = last_group_key(item.number)
            if group:
                self.by_last_group[(item.customer_id, group)].append(item.id)
        for customer_items in self.by_customer.values():
            customer_items.sort(key=lambda i: (i.due_date or i.document_date, i.id))
        self.customer_names: dict[int, str] = {}
        self.by_name: dict[str, set[int]] = defaultdict(set)
        self.by_token: dict[str, set[int]] = defaultdict(set)
        for customer in customers:
            self.customer_names[customer.id] = customer.name
            normalized = normalize_name(customer.name)
            self.by_name[normalized].add(customer.id)
            for token in set(normalized.split()):
                self.by_token[token].add(customer.id)
        self.aliases = {normalize_name(k): v for k, v in (aliases or {}).items()}
        self.payer_accounts = {normalize_account(k): v for k, v in (payer_accounts or {}).items()}
        self._rate = rate

    def rate(self, from_currency: str, to_currency: str) -> Decimal | None:
        if from_currency == to_currency:
            return Decimal(1)
        return self._rate(from_currency, to_currency) if self._rate else None

    def name_of(self, customer_id: int | None) -> str:
        return self.customer_names.get(customer_id or 0, f"customer {customer_id}")


# --- who paid -----------------------------------------------------------------------


@dataclass
class _Evidence:
    strengths: list[float] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    @property
    def score(self) -> float:
        remaining = 1.0
        for strength in self.strengths:
            remaining *= 1 - strength
        return min(1 - remaining, 0.995)


@dataclass(frozen=True)
class _RefHit:
    item_id: int
    token: str
    exact: bool
    advice: bool = False  # named by a remittance advice linked to the payment


def _reference_hits(payment: PaymentFacts, index: MatchIndex) -> dict[int, _RefHit]:
    texts = [(text, False) for text in (payment.text, *payment.references)]
    texts += [(hint.reference, True) for hint in payment.remittance]
    hits: dict[int, _RefHit] = {}
    for text, advice in texts:
        for key, token in reference_keys(text).items():
            exact = key.startswith("RF:") or key == alnum_upper(token)
            for item_id in index.by_key.get(key, ()):
                if item_id not in index.items:
                    continue  # applied earlier in this run
                known = hits.get(item_id)
                if known is None or (exact and not known.exact) or (advice and not known.advice):
                    hits[item_id] = _RefHit(
                        item_id, token, exact or bool(known and known.exact), advice
                    )
    return hits


def _identify(
    payment: PaymentFacts, index: MatchIndex, hits: dict[int, _RefHit]
) -> dict[int, _Evidence]:
    evidence: dict[int, _Evidence] = defaultdict(_Evidence)
    if payment.customer_id is not None:
        evidence[payment.customer_id].strengths.append(0.995)
        evidence[payment.customer_id].reasons.append(
            Reason("customer_given", f"customer {index.name_of(payment.customer_id)} given")
        )
        return evidence
    account = normalize_account(payment.payer_account)
    if account and account in index.payer_accounts:
        customer_id = index.payer_accounts[account]
        evidence[customer_id].strengths.append(0.99)
        evidence[customer_id].reasons.append(
            Reason("payer_account_known", "payer IBAN known for this customer")
        )
    by_customer: dict[int, list[_RefHit]] = defaultdict(list)
    for hit in hits.values():
        by_customer[index.items[hit.item_id].customer_id].append(hit)
    for customer_id, customer_hits in by_customer.items():
        exact = any(hit.exact for hit in customer_hits)
        evidence[customer_id].strengths.append(0.97 if exact else 0.93)
        evidence[customer_id].reasons.append(
            Reason("reference_customer", "the references are this customer's documents")
        )
        if any(hit.advice for hit in customer_hits):
            # The payer's own advice, tied to this payment by its reference.
            evidence[customer_id].strengths.append(0.97)
            evidence[customer_id].reasons.append(
                Reason("remittance_advice", "the payer's remittance advice lists them")
            )
    name = normalize_name(payment.payer_name)
    if name:
        if name in index.aliases:
            customer_id = index.aliases[name]
            evidence[customer_id].strengths.append(0.95)
            evidence[customer_id].reasons.append(
                Reason("payer_alias_known", f"payer name '{payment.payer_name}' is a learned alias")
            )
        exact_ids = index.by_name.get(name, set())
        for customer_id in exact_ids:
            # Not divided among namesakes: which of them the payment fits
            # is for the allocation to show, and a namesake it fits as well
            # is a rival (``_rivals``) that keeps it out of auto-apply.
            evidence[customer_id].strengths.append(0.95)
            evidence[customer_id].reasons.append(
                Reason("payer_name_equal", f"payer name equals '{index.name_of(customer_id)}'")
            )
        if not exact_ids and name not in index.aliases:
            _fuzzy_name(name, payment.payer_name, index, evidence)
    return evidence


def _fuzzy_name(
    name: str, raw_name: str, index: MatchIndex, evidence: dict[int, _Evidence]
) -> None:
    # Block on shared name tokens first: comparing against 20,000 names per
    # payment would dominate a large statement.
    candidates: set[int] = set()
    for token in name.split():
        ids = index.by_token.get(token, set())
        if len(ids) <= TOKEN_BLOCK_LIMIT:
            candidates |= ids
    if not candidates:
        return
    choices = {cid: normalize_name(index.customer_names[cid]) for cid in candidates}
    found = [
        (choice, float(score), customer_id)
        for choice, score, customer_id in process.extract(
            name, choices, scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_CUTOFF, limit=3
        )
    ]
    if not found and len(name) >= 15:
        # SEPA cuts names at 27 or 35 characters: a long prefix is a match.
        found = [(c, 92.0, cid) for cid, c in choices.items() if c.startswith(name)][:3]
    for _choice, score, customer_id in found:
        evidence[customer_id].strengths.append(0.9 * score / 100)
        evidence[customer_id].reasons.append(
            Reason(
                "payer_name_similar",
                f"payer name '{raw_name}' resembles '{index.name_of(customer_id)}' "
                f"({round(score)}%)",
            )
        )


# --- what for ------------------------------------------------------------------------


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


class _Context:
    def __init__(self, payment: PaymentFacts, index: MatchIndex, policy: Policy) -> None:
        self.payment = payment
        self.index = index
        self.policy = policy

    def converted(self, item: CandidateItem, amount: Decimal) -> Decimal | None:
        rate = self.index.rate(item.currency, self.payment.currency)
        return None if rate is None else _q(amount * rate, self.payment.minor)

    def discount(self, item: CandidateItem) -> Decimal:
        if (
            item.discount_percent <= 0
            or item.discount_until is None
            or item.open_amount != item.amount
            or self.payment.value_date
            > item.discount_until + timedelta(days=self.policy.discount_grace_days)
        ):
            return ZERO
        return _q(item.amount * item.discount_percent / 100, item.minor)

    def tolerance(self, total: Decimal) -> Decimal:
        return min(self.policy.tolerance_amount, _q(total * self.policy.tolerance_percent / 100))

    def fx_ok(self, paid: Decimal, expected: Decimal) -> bool:
        return abs(paid - expected) <= _q(expected * self.policy.fx_tolerance_percent / 100)


def _full(
    ctx: _Context, items: list[CandidateItem], *, discounts: bool = False
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


def _scale_to(allocations: list[Allocation], total: Decimal) -> list[Allocation]:
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
            share = _q(allocation.payment_amount * total / current)
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


def _fx_factor(ctx: _Context, expected: Decimal) -> float:
    """A conversion that lands within 0.2 % is as good as equal; the rest of
    the FX tolerance costs a little certainty."""
    if expected and abs(ctx.payment.amount - expected) <= _q(expected * Decimal("0.002")):
        return 0.99
    return 0.97


def _fx_reason(ctx: _Context, items: list[CandidateItem]) -> list[Reason]:
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


def _deduction_reason(ctx: _Context, item: CandidateItem) -> tuple[str, str]:
    keys = number_keys(item.number)
    explained = [h for h in ctx.payment.remittance if h.adjustment_reason or h.note]
    for hint in sorted(
        explained, key=lambda h: not (h.reference and keys & set(reference_keys(h.reference)))
    ):
        code = hint.adjustment_reason[:32]
        text = " ".join(part for part in (hint.adjustment_reason, hint.note) if part)
        return code, text
    return "", ""


def _by_references(  # noqa: PLR0911, PLR0912, PLR0915  (one branch per payment shape)
    ctx: _Context, items: list[CandidateItem], hit_exact: bool, *, corroborated: bool
) -> tuple[float, list[Allocation], Decimal, DeductionPlan | None, list[Reason]] | None:
    """Settle the referenced items with the payment: equal, discount,
    tolerance, overpayment or short payment."""
    payment = ctx.payment
    numbers = ", ".join(item.number for item in items)
    noun = "invoice" if len(items) == 1 else "invoices"
    found = Reason(
        "reference_found" if hit_exact else "reference_found_mangled",
        f"{noun} {numbers} found in the remittance"
        + ("" if hit_exact else " (written differently)"),
    )
    full = _full(ctx, items)
    if full is None:
        return None
    total = sum((a.payment_amount for a in full), ZERO)
    fx = _fx_reason(ctx, items)
    fx_factor = _fx_factor(ctx, total) if fx else 1.0
    base = 1.0 if hit_exact else 0.99
    if payment.amount == total or (fx and ctx.fx_ok(payment.amount, total)):
        reasons = [found, Reason("amount_equal", "amount equal"), *fx]
        return 0.99 * base * fx_factor, _scale_to(full, payment.amount), ZERO, None, reasons
    discounted = _full(ctx, items, discounts=True)
    if discounted is not None and any(a.discount for a in discounted):
        net = sum((a.payment_amount for a in discounted), ZERO)
        if payment.amount == net or (fx and ctx.fx_ok(payment.amount, net)):
            taken = ", ".join(
                f"{_money(a.discount, a.currency)} on {a.number}" for a in discounted if a.discount
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
                _scale_to(discounted, payment.amount),
                ZERO,
                None,
                reasons,
            )
    split = _installments_due_first(ctx, items, found, fx, base, corroborated=corroborated)
    if split is not None:
        return split
    if payment.amount > total:
        rest = payment.amount - total
        completed = _complete(ctx, items, rest)
        if completed is not None:
            extra, unique = completed
            more = _full(ctx, extra) or []
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
            Reason("overpayment", f"overpaid by {_money(rest, payment.currency)}, left on account"),
            *fx,
        ]
        # A large unexplained rest is more often a combined payment whose
        # other numbers were lost than a real overpayment.
        certainty = 0.95 if corroborated and rest <= total / 2 else 0.8 if corroborated else 0.75
        return certainty * base * fx_factor, full, rest, None, reasons
    shortfall = total - payment.amount
    if fx:
        return _short_in_other_currency(ctx, items, found, fx, base, corroborated=corroborated)
    if shortfall <= ctx.tolerance(total):
        adjusted = _write_off_from_the_end(full, shortfall)
        reasons = [
            found,
            Reason(
                "within_tolerance",
                f"short by {_money(shortfall, payment.currency)}, within tolerance, written off",
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
    reason_code, reason_text = _deduction_reason(ctx, short_item)
    deduction = DeductionPlan(short_item.id, short_item.number, short, reason_code, reason_text)
    said = f" (payer's reason: {reason_text})" if reason_text else " (no reason given)"
    reasons = [
        found,
        Reason(
            "short_payment",
            f"short by {_money(short, payment.currency)} on {short_item.number}, "
            f"opened as a deduction{said}",
        ),
    ]
    certainty = (0.95 if reason_text else 0.93) * base if corroborated else 0.7
    return certainty, allocations, ZERO, deduction, reasons


def _installments_due_first(
    ctx: _Context,
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
    full = _full(ctx, items)
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
            factor = _fx_factor(ctx, running) if fx else 1.0
            return 0.97 * base * factor, _scale_to(chosen, payment.amount), ZERO, None, reasons
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
            f"{_money(payment.amount, payment.currency)} settles installments of {number} "
            f"earliest-due first; {_money(total - payment.amount, payment.currency)} stays open",
        ),
    ]
    # Below the usual threshold: whether the rest is a dispute or a later
    # payment is for a person to say.
    return (0.85 if corroborated else 0.7) * base, allocations, ZERO, None, reasons


def _complete(
    ctx: _Context, referenced: list[CandidateItem], rest: Decimal
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
    combos = _subsets(
        pool, [item.open_amount for item in pool], rest, ctx.policy.max_subset_size - len(taken)
    )
    if not combos:
        return None
    return [pool[i] for i in combos[0]], len(combos) == 1


def _short_in_other_currency(
    ctx: _Context,
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
    settled = stated[0] if stated else _q(payment.amount / rate, item.minor)
    if not ZERO < settled < item.open_amount:
        return None
    reason_code, reason_text = _deduction_reason(ctx, item)
    rest = item.open_amount - settled
    said = f" (payer's reason: {reason_text})" if reason_text else " (no reason given)"
    reasons = [
        found,
        Reason(
            "short_payment",
            f"{_money(payment.amount, payment.currency)} pays {_money(settled, item.currency)} of "
            f"{item.number}; the rest, {_money(rest, item.currency)}, opened as a deduction{said}",
        ),
        *fx,
    ]
    certainty = (0.95 if reason_text else 0.93) * base * 0.97 if corroborated else 0.7
    allocation = Allocation(item.id, item.number, item.currency, settled, payment.amount)
    deduction = DeductionPlan(item.id, item.number, rest, reason_code, reason_text)
    return certainty, [allocation], ZERO, deduction, reasons


def _subsets(
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


def _without_references(
    ctx: _Context, customer_id: int
) -> list[tuple[float, list[Allocation], Decimal, DeductionPlan | None, list[Reason]]]:
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
        allocations = _full(ctx, [item])
        if allocations is None:
            continue
        unique = len(exact) == 1
        fx = _fx_reason(ctx, [item])
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
        factor = _fx_factor(ctx, allocations[0].payment_amount) if fx else 1.0
        certainty = (0.95 if unique else 0.6 - 0.05 * rank) * factor
        options.append((certainty, _scale_to(allocations, payment.amount), ZERO, None, reasons))
    if options:
        return options
    discounted = [
        item
        for item, _ in converted
        if (d := ctx.discount(item)) and ctx.converted(item, item.open_amount - d) == payment.amount
    ]
    if discounted:
        item = discounted[0]
        allocations = _full(ctx, [item], discounts=True) or []
        reasons = [
            Reason(
                "amount_with_discount",
                f"amount equals {item.number} less its early-payment discount of "
                f"{_money(allocations[0].discount, item.currency)}, taken within terms",
            )
        ]
        options.append((0.93 if len(discounted) == 1 else 0.55, allocations, ZERO, None, reasons))
        return options
    same = [(item, value) for item, value in converted if item.currency == payment.currency]
    pool = same[:SUBSET_ITEM_LIMIT]
    combos = _subsets(
        [item for item, _ in pool],
        [value or ZERO for _, value in pool],
        payment.amount,
        ctx.policy.max_subset_size,
    )
    for rank, combo in enumerate(combos):
        chosen = [pool[i][0] for i in combo]
        allocations = _full(ctx, chosen) or []
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
                    f"amount is {_money(shortfall, payment.currency)} short of {item.number}, "
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


def _write_off_from_the_end(full: list[Allocation], shortfall: Decimal) -> list[Allocation]:
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


def _confidence(customer_score: float, certainty: float) -> int:
    return max(0, min(100, int(customer_score * certainty * 100 + 1e-9)))


def _referenced(
    payment: PaymentFacts, index: MatchIndex, hits: dict[int, _RefHit], customer_id: int
) -> tuple[list[CandidateItem], bool]:
    own = [hit for hit in hits.values() if index.items[hit.item_id].customer_id == customer_id]
    if own:
        items = sorted(
            (index.items[hit.item_id] for hit in own),
            key=lambda i: (i.due_date or i.document_date, i.id),
        )
        return items, any(hit.exact for hit in own)
    # A running number alone ("Rechnung 123") for a known customer.
    found: dict[int, CandidateItem] = {}
    for number in short_numbers(payment.text):
        for item_id in index.by_last_group.get((customer_id, number), ()):
            if item_id in index.items:
                found[item_id] = index.items[item_id]
    return list(found.values()), False


def match_payment(payment: PaymentFacts, index: MatchIndex, policy: Policy) -> list[Proposal]:
    """Ranked proposals for one payment, best first (possibly none)."""
    hits = _reference_hits(payment, index)
    evidence = _identify(payment, index, hits)
    ranked = sorted(evidence.items(), key=lambda kv: kv[1].score, reverse=True)[:3]
    ctx = _Context(payment, index, policy)
    per_customer: list[list[Proposal]] = []
    for customer_id, customer_evidence in ranked:
        score = customer_evidence.score
        # Evidence beyond the reference itself: a transposed digit can make
        # a reference point at someone else's invoice; a payer account, an
        # alias or the payer's name cannot be wrong in the same way.
        corroborated = any(r.code != "reference_customer" for r in customer_evidence.reasons)
        referenced, exact_refs = _referenced(payment, index, hits, customer_id)
        options = []
        if referenced:
            result = _by_references(ctx, referenced, exact_refs, corroborated=corroborated)
            if result is not None:
                options.append(result)
        if not options:
            options = _without_references(ctx, customer_id)
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


def _rivals(per_customer: list[list[Proposal]]) -> None:
    """When the payment fits another customer nearly as well, the best is
    not sure: it loses what the rival scores above a coin toss."""
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
    (top, position), (second, _) = bests[0], bests[1]
    if second >= 60 and top - second < 15:
        for proposal in per_customer[position]:
            proposal.confidence = max(0, proposal.confidence - (second - 50))
            proposal.reasons.append(
                Reason("rival_customer", f"the payment fits another customer too ({second}%)")
            )


def _unknown_payer(ctx: _Context) -> list[Proposal]:
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
