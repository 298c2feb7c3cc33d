"""Who paid: the customers a payment may come from, each with the evidence
that names it (learned payer account, references to its documents, the
payer's name) and a strength per piece of evidence."""

from __future__ import annotations

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
    normalize_account,
    normalize_name,
    reference_keys,
    short_numbers,
)

FUZZY_CUTOFF = 86
TOKEN_BLOCK_LIMIT = 400  # a name token shared by more customers blocks nothing


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


def reference_hits(payment: PaymentFacts, index: MatchIndex) -> dict[int, RefHit]:
    texts = [(text, False) for text in (payment.text, *payment.references)]
    texts += [(hint.reference, True) for hint in payment.remittance]
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
    return hits


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


def referenced_items(
    payment: PaymentFacts, index: MatchIndex, hits: dict[int, RefHit], customer_id: int
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
