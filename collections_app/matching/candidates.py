"""Who paid: the customers a payment may come from, each with the evidence
that names it (learned payer account, references to its documents, the
payer's name) and a strength per piece of evidence."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from collections_app.matching.facts import (
    CandidateItem,
    MatchIndex,
    PaymentFacts,
    Reason,
)
from collections_app.matching.normalize import (
    alnum_upper,
    digit_forms,
    name_forms,
    normalize_account,
    normalize_name,
    reference_keys,
    reference_tokens,
    resembles,
    short_numbers,
)

FUZZY_CUTOFF = 86
CUSTOMER_NAME_LIMIT = 20  # namesakes: the amount tells them apart (engine)
TOKEN_BLOCK_LIMIT = 400  # a name token shared by more customers blocks nothing
NEAR_MISS_STRENGTH = 0.9
REFERENCE_CUSTOMER = "reference_customer"
REFERENCE_NEAR_MISS = "reference_near_miss"
# Evidence that comes from the remittance's numbers alone: a mistyped digit
# can make them point at somebody else's document.
REFERENCE_ONLY = frozenset({REFERENCE_CUSTOMER, REFERENCE_NEAR_MISS})


@dataclass
class Evidence:
    strengths: list[float] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    @property
    def score(self) -> float:
        remaining = 1.0
        for strength in self.strengths:
            remaining *= 1 - strength
        return min(1 - remaining, 0.995)


@dataclass(frozen=True)
class RefHit:
    item_id: int
    token: str
    exact: bool
    advice: bool = False  # named by a remittance advice linked to the payment
    near_miss: bool = False  # one edit from the number (``normalize.resembles``)


def _tokens(payment: PaymentFacts) -> list[tuple[str, bool]]:
    """(text, from the payer's remittance advice) for everything the payment says."""
    texts = [(text, False) for text in (payment.text, *payment.references)]
    return texts + [(hint.reference, True) for hint in payment.remittance]


def reference_hits(payment: PaymentFacts, index: MatchIndex) -> dict[int, RefHit]:
    texts = _tokens(payment)
    hits: dict[int, RefHit] = {}
    for text, advice in texts:
        for key, token in reference_keys(text).items():
            exact = key.startswith("RF:") or key == alnum_upper(token)
            for item_id in index.by_key.get(key, ()):
                if item_id not in index.items:
                    continue  # applied earlier in this run
                known = hits.get(item_id)
                if known is None or (exact and not known.exact) or (advice and not known.advice):
                    hits[item_id] = RefHit(
                        item_id, token, exact or bool(known and known.exact), advice
                    )
    # A near miss anywhere in the book counts only for an item whose open
    # amount is exactly the payment's: one edit away from a number is common
    # among 100,000 numbers, one edit away and equal to the cent is not.
    same_amount = [
        index.items[item_id]
        for item_id in index.by_amount.get((payment.currency, payment.amount), ())
        if item_id in index.items and item_id not in hits
    ]
    # Every token with digits: one that named another document exactly may
    # be this one's number with two digits swapped into a valid neighbour.
    tokens = _digit_tokens(texts)
    for item in same_amount:
        if item.open_amount != payment.amount:
            continue  # partly applied earlier in this run
        hit = _near_miss(item, tokens, index)
        if hit is not None:
            hits[item.id] = hit
    return hits


def _digit_tokens(texts: list[tuple[str, bool]]) -> list[str]:
    return [token for text, _advice in texts for token in _tokens_with_digits(text)]


@functools.lru_cache(maxsize=4_096)  # one payment's texts, asked once per candidate customer
def _tokens_with_digits(text: str) -> tuple[str, ...]:
    return tuple(token for token in reference_tokens(text) if any(c.isdigit() for c in token))


def _near_miss(item: CandidateItem, tokens: list[str], index: MatchIndex) -> RefHit | None:
    number_forms = index.digit_forms_of(item)
    for token in tokens:
        if resembles(digit_forms(token), number_forms):
            return RefHit(item.id, token, exact=False, near_miss=True)
    return None


def identify(
    payment: PaymentFacts, index: MatchIndex, hits: dict[int, RefHit]
) -> dict[int, Evidence]:
    evidence: dict[int, Evidence] = defaultdict(Evidence)
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
    by_customer: dict[int, list[RefHit]] = defaultdict(list)
    for hit in hits.values():
        by_customer[index.items[hit.item_id].customer_id].append(hit)
    for customer_id, customer_hits in by_customer.items():
        exact = any(hit.exact for hit in customer_hits)
        near_misses_only = all(hit.near_miss for hit in customer_hits)
        # A near miss alone is weaker than a mangled number: together with an
        # exact amount it still collides now and then in a large book (amounts
        # bunch, and a number has dozens of valid neighbours one edit away),
        # so it needs the payer's name or account beside it to auto-apply.
        evidence[customer_id].strengths.append(
            0.97 if exact else NEAR_MISS_STRENGTH if near_misses_only else 0.93
        )
        if near_misses_only:
            evidence[customer_id].reasons.append(
                Reason(
                    REFERENCE_NEAR_MISS,
                    "a number in the remittance is one character from this customer's "
                    "invoice of exactly the amount paid",
                )
            )
        else:
            evidence[customer_id].reasons.append(
                Reason(REFERENCE_CUSTOMER, "the references are this customer's documents")
            )
        if any(hit.advice for hit in customer_hits):
            # The payer's own advice, tied to this payment by its reference.
            evidence[customer_id].strengths.append(0.97)
            evidence[customer_id].reasons.append(
                Reason("remittance_advice", "the payer's remittance advice lists them")
            )
    name = normalize_name(payment.payer_name)
    forms = name_forms(payment.payer_name)
    alias = next((form for form in sorted(forms) if form in index.aliases), None)
    if name:
        if alias is not None:
            customer_id = index.aliases[alias]
            evidence[customer_id].strengths.append(0.95)
            evidence[customer_id].reasons.append(
                Reason("payer_alias_known", f"payer name '{payment.payer_name}' is a learned alias")
            )
        exact_ids = set().union(*(index.by_name.get(form, set()) for form in forms))
        for customer_id in exact_ids:
            # Not divided among namesakes: which of them the payment fits
            # is for the allocation to show, and a namesake it fits as well
            # is a rival (``_rivals``) that keeps it out of auto-apply.
            evidence[customer_id].strengths.append(0.95)
            evidence[customer_id].reasons.append(
                Reason("payer_name_equal", f"payer name equals '{index.name_of(customer_id)}'")
            )
        if not exact_ids and alias is None:
            fuzzy_name(name, payment.payer_name, index, evidence)
    return evidence


def fuzzy_name(name: str, raw_name: str, index: MatchIndex, evidence: dict[int, Evidence]) -> None:
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
            name,
            choices,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=FUZZY_CUTOFF,
            limit=CUSTOMER_NAME_LIMIT,
        )
    ]
    if not found and len(name) >= 15:
        # SEPA cuts names at 27 or 35 characters: a long prefix is a match.
        found = [(c, 92.0, cid) for cid, c in choices.items() if c.startswith(name)][
            :CUSTOMER_NAME_LIMIT
        ]
    for _choice, score, customer_id in found:
        evidence[customer_id].strengths.append(0.9 * score / 100)
        evidence[customer_id].reasons.append(
            Reason(
                "payer_name_similar",
                f"payer name '{raw_name}' resembles '{index.name_of(customer_id)}' "
                f"({round(score)}%)",
            )
        )


@dataclass(frozen=True)
class Referenced:
    """The customer's documents the payment names, oldest first."""

    items: list[CandidateItem]
    exact: bool = False  # at least one named exactly as we write it
    near_miss: bool = False  # at least one only one edit away

    def __bool__(self) -> bool:
        return bool(self.items)


def referenced_items(
    payment: PaymentFacts,
    index: MatchIndex,
    hits: dict[int, RefHit],
    customer_id: int,
    *,
    near_misses: bool = True,
) -> Referenced:
    """The customer's documents the payment names; ``near_misses=False``
    skips comparing the customer's own items one by one (the costly part,
    spent on the best-evidenced customers only)."""
    own = [hit for hit in hits.values() if index.items[hit.item_id].customer_id == customer_id]
    # Near misses among this customer's other open items: the customer is
    # named by other evidence, so the few items to compare are its own. A
    # token that names one of them is not also a near miss of its neighbour.
    named = {index.digit_forms_of(index.items[hit.item_id]) for hit in own}
    tokens = [t for t in _digit_tokens(_tokens(payment)) if digit_forms(t) not in named]
    if tokens and near_misses:
        taken = {hit.item_id for hit in own}
        for item in index.by_customer.get(customer_id, []):
            if item.id not in taken and (hit := _near_miss(item, tokens, index)) is not None:
                own.append(hit)
    if own:
        items = sorted(
            (index.items[hit.item_id] for hit in own),
            key=lambda i: (i.due_date or i.document_date, i.id),
        )
        return Referenced(items, any(hit.exact for hit in own), any(hit.near_miss for hit in own))
    # A running number alone ("Rechnung 123") for a known customer.
    found: dict[int, CandidateItem] = {}
    for number in short_numbers(payment.text):
        for item_id in index.by_last_group.get((customer_id, number), ()):
            if item_id in index.items:
                found[item_id] = index.items[item_id]
    return Referenced(list(found.values()))
