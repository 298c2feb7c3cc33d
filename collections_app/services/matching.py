"""Running the engine against the database: load once, match many, apply
the confident ones.

``payments_match`` loads every open debit item of the tenant, its customers,
learned accounts and aliases in a handful of queries (``index_load``), runs
the pure engine per payment, stores the ranked proposals and applies the
best one when it reaches the tenant's threshold. Payments go in chunks of
``CHUNK``, one transaction each, the chunk's confident proposals applied
set-based (``applying_batch``): a proposal made stale by a concurrent import
leaves that payment in the queue and the rest of the statement goes on; a
crash loses at most the chunk in progress. Running it twice
applies nothing twice: only payments still open and without an applied
proposal are matched, and applying re-checks under row locks.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.db import DatabaseError, transaction
from django.utils import timezone

from collections_app.matching.engine import (
    CandidateItem,
    CustomerInfo,
    MatchIndex,
    PaymentFacts,
    Policy,
    Proposal,
    RemittanceHint,
    match_payment,
)
from collections_app.models import (
    OPEN_PAYMENT_STATUSES,
    BankStatement,
    BankStatementLine,
    CashApplicationPolicy,
    MatchProposal,
    PayerAccount,
    PayerAlias,
    Payment,
    ProposalStatus,
    RemittanceLine,
    StatementStatus,
)
from collections_app.services.applying import proposal_apply
from collections_app.services.applying_batch import proposals_apply_auto
from otc.audit.services import Actor
from otc.customers.models import Customer, PaymentTerms
from otc.customers.selectors import payment_terms_discount_date
from otc.errors import DomainError
from otc.fx.money import minor_units
from otc.fx.selectors import RateUnavailableError, fx_rate
from otc.gc_scope import gc_paused, long_lived_frozen
from otc.ledger.models import ItemKind, ItemStatus, OpenItem
from otc.tenancy.managers import rows_update
from otc.tenancy.models import Tenant

logger = logging.getLogger(__name__)
ENGINE = Actor.system("cash application engine")


def cash_policy_get(*, tenant: Tenant) -> CashApplicationPolicy:
    """The tenant's policy, or the defaults (unsaved) when it has none."""
    policy = CashApplicationPolicy.objects.for_tenant(tenant).first()
    return policy or CashApplicationPolicy(tenant=tenant)


def policy_values(policy: CashApplicationPolicy) -> Policy:
    return Policy(
        threshold=policy.auto_apply_threshold,
        tolerance_amount=policy.tolerance_amount,
        tolerance_percent=policy.tolerance_percent,
        fx_tolerance_percent=policy.fx_tolerance_percent,
        discount_grace_days=policy.discount_grace_days,
        max_subset_size=policy.max_subset_size,
    )


def _minor(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def index_load(*, tenant: Tenant, on: date) -> MatchIndex:
    """Everything the engine looks up, in five queries, read in one
    transaction (one consistent snapshot; the row-level security setting
    lives per transaction, which a server-side cursor must share)."""
    with transaction.atomic(), gc_paused():
        return _index_load(tenant=tenant, on=on)


def _index_load(*, tenant: Tenant, on: date) -> MatchIndex:
    terms = {
        t.pk: t for t in PaymentTerms.objects.for_tenant(tenant).filter(discount_percent__gt=0)
    }
    customers = list(
        Customer.objects.for_tenant(tenant).values_list(
            "pk", "legal_name", "trading_name", "payment_terms_id"
        )
    )
    customer_terms = {pk: terms.get(terms_id) for pk, _, _, terms_id in customers if terms_id}
    rows = (
        OpenItem.objects.for_tenant(tenant)
        .filter(status=ItemStatus.OPEN, kind__in=[ItemKind.INVOICE, ItemKind.DEBIT_MEMO])
        .values_list(
            "pk",
            "customer_id",
            "number",
            "amount",
            "open_amount",
            "currency",
            "document_date",
            "due_date",
        )
        .iterator(chunk_size=5000)
    )
    minors: dict[str, Decimal] = {}
    # A statement's open items share a few hundred document dates.
    discount_dates: dict[tuple[int, date], date | None] = {}
    items: list[CandidateItem] = []
    for pk, customer_id, number, amount, open_amount, currency, document_date, due in rows:
        term = customer_terms.get(customer_id)
        minor = minors.get(currency) or minors.setdefault(currency, _minor(currency))
        discount_until = None
        if term:
            key = (term.pk, document_date)
            if key not in discount_dates:
                discount_dates[key] = payment_terms_discount_date(
                    terms=term, document_date=document_date
                )
            discount_until = discount_dates[key]
        items.append(
            CandidateItem(
                id=pk,
                customer_id=customer_id,
                number=number,
                amount=amount.quantize(minor),
                open_amount=open_amount.quantize(minor),
                currency=currency,
                document_date=document_date,
                due_date=due,
                discount_percent=term.discount_percent if term else Decimal(0),
                discount_until=discount_until,
                minor=minor,
            )
        )
    infos = [CustomerInfo(pk, legal) for pk, legal, _, _ in customers]
    infos += [CustomerInfo(pk, trading) for pk, _, trading, _ in customers if trading]
    rates: dict[tuple[str, str], Decimal | None] = {}

    def rate(from_currency: str, to_currency: str) -> Decimal | None:
        key = (from_currency, to_currency)
        if key not in rates:
            try:
                rates[key] = fx_rate(
                    tenant=tenant, from_currency=from_currency, to_currency=to_currency, on=on
                ).rate
            except RateUnavailableError:
                rates[key] = None
        return rates[key]

    return MatchIndex(
        items=items,
        customers=infos,
        aliases=dict(PayerAlias.objects.for_tenant(tenant).values_list("alias", "customer_id")),
        payer_accounts=dict(
            PayerAccount.objects.for_tenant(tenant).values_list("account", "customer_id")
        ),
        rate=rate,
    )


def _facts(payment: Payment, hints: list[RemittanceHint]) -> PaymentFacts:
    return PaymentFacts(
        amount=payment.amount,
        currency=payment.currency,
        value_date=payment.value_date,
        payer_name=payment.payer_name,
        payer_account=payment.payer_account,
        text=payment.remittance_text,
        references=tuple(payment.structured_references),
        remittance=tuple(hints),
        customer_id=payment.customer_id,
        minor=_minor(payment.currency),
    )


def _store(
    tenant: Tenant, payments: list[Payment], ranked: dict[int, list[Proposal]]
) -> dict[int, list[MatchProposal]]:
    """The chunk's ranked proposals in one INSERT, by payment, best first."""
    rows = [
        MatchProposal(
            tenant=tenant,
            payment=payment,
            rank=rank,
            customer_id=proposal.customer_id,
            confidence=proposal.confidence,
            explanation=proposal.explanation,
            reasons=[{"code": r.code, "text": r.text} for r in proposal.reasons],
            allocations=[a.as_json() for a in proposal.allocations],
            on_account=proposal.on_account,
            deduction=proposal.deduction.as_json() if proposal.deduction else {},
        )
        for payment in payments
        for rank, proposal in enumerate(ranked[payment.pk], start=1)
    ]
    stored: dict[int, list[MatchProposal]] = {payment.pk: [] for payment in payments}
    for row in MatchProposal.objects.for_tenant(tenant).bulk_create(rows, batch_size=1000):
        stored[row.payment_id].append(row)
    return stored


def _hints(tenant: Tenant, payment_ids: list[int]) -> dict[int, list[RemittanceHint]]:
    hints: dict[int, list[RemittanceHint]] = defaultdict(list)
    for line in (
        RemittanceLine.objects.for_tenant(tenant)
        .filter(remittance__payment_id__in=payment_ids)
        .select_related("remittance")
    ):
        hints[line.remittance.payment_id or 0].append(
            RemittanceHint(
                reference=line.reference,
                paid_amount=line.paid_amount,
                discount_amount=line.discount_amount,
                adjustment_amount=line.adjustment_amount,
                adjustment_reason=line.adjustment_reason,
                note=line.note,
            )
        )
    return hints


def payments_match(
    *,
    tenant: Tenant,
    actor: Actor = ENGINE,
    payment_ids: list[int],
    auto_apply: bool = True,
    index: MatchIndex | None = None,
) -> dict[str, int]:
    """Match (and where confident, apply) the given payments. Returns counts."""
    policy = cash_policy_get(tenant=tenant)
    values = policy_values(policy)
    payments = list(
        Payment.objects.for_tenant(tenant)
        .filter(pk__in=payment_ids, status__in=OPEN_PAYMENT_STATUSES)
        .exclude(proposals__status=ProposalStatus.APPLIED, proposals__auto_applied=True)
        .order_by("pk")
    )
    counts = {"matched": 0, "auto_applied": 0, "queued": 0, "stale": 0}
    if not payments:
        return counts
    if index is None:
        index = index_load(tenant=tenant, on=max(p.value_date for p in payments))
    hints = _hints(tenant, [p.pk for p in payments])
    # A person reversed the engine's application of these: propose, never
    # apply on its own again.
    corrected = set(
        MatchProposal.objects.for_tenant(tenant)
        .filter(payment__in=payments, corrected=True)
        .values_list("payment_id", flat=True)
    )
    with long_lived_frozen():
        _match_chunks(
            tenant=tenant,
            actor=actor,
            payments=payments,
            hints=hints,
            index=index,
            values=values,
            auto_apply=auto_apply,
            counts=counts,
            corrected=corrected,
        )
    return counts


def _match_chunks(
    *,
    tenant: Tenant,
    actor: Actor,
    payments: list[Payment],
    hints: dict[int, list[RemittanceHint]],
    index: MatchIndex,
    values: Policy,
    auto_apply: bool,
    counts: dict[str, int],
    corrected: set[int],
) -> None:
    for start in range(0, len(payments), CHUNK):
        # One transaction per chunk (one commit, not one per payment); each
        # payment's application in its own savepoint, so a stale proposal or
        # a lock conflict leaves that payment in the queue and no other.
        with transaction.atomic():
            _match_chunk(
                tenant=tenant,
                actor=actor,
                payments=payments[start : start + CHUNK],
                hints=hints,
                index=index,
                values=values,
                auto_apply=auto_apply,
                counts=counts,
                corrected=corrected,
            )


# Payments matched and applied per transaction: a crash loses at most one
# chunk, and a retry skips what earlier chunks applied.
CHUNK = 500


def _match_chunk(
    *,
    tenant: Tenant,
    actor: Actor,
    payments: list[Payment],
    hints: dict[int, list[RemittanceHint]],
    index: MatchIndex,
    values: Policy,
    auto_apply: bool,
    counts: dict[str, int],
    corrected: set[int],
) -> None:
    now = timezone.now()
    MatchProposal.objects.for_tenant(tenant).filter(
        payment__in=payments, status=ProposalStatus.PROPOSED
    ).update(status=ProposalStatus.SUPERSEDED)
    ranked = {
        payment.pk: match_payment(_facts(payment, hints.get(payment.pk, [])), index, values)
        for payment in payments
    }
    stored = _store(tenant, payments, ranked)
    payments_by_pk = {payment.pk: payment for payment in payments}
    confident: list[MatchProposal] = []
    for payment in payments:
        best = stored[payment.pk][0] if stored[payment.pk] else None
        payment.match_confidence = best.confidence if best else None
        payment.match_summary = best.explanation[:500] if best else "No candidate found."
        payment.matched_at = now
        counts["matched"] += 1
        if (
            auto_apply
            and payment.pk not in corrected
            and best is not None
            and best.confidence >= values.threshold
            and best.customer_id is not None
        ):
            confident.append(best)
            # Later payments of the run must not see cash this one takes.
            _drop_applied_from_index(index, best)
        else:
            counts["queued"] += 1
    refused = _apply_confident(tenant=tenant, actor=actor, proposals=confident)
    for proposal in confident:
        if proposal.pk in refused:
            counts["stale"] += 1
            counts["queued"] += 1
            logger.info("Proposal %s not applied: %s", proposal.pk, refused[proposal.pk])
        else:
            counts["auto_applied"] += 1
    applied = {p.payment_id for p in confident if p.pk not in refused}
    for proposal in confident:
        if proposal.pk in refused:
            payments_by_pk[
                proposal.payment_id
            ].match_summary = f"Not applied automatically: {refused[proposal.pk]}"[:500]
    # Applied payments already carry their applied proposal's summary.
    rows_update(
        tenant=tenant,
        objs=[payment for payment in payments if payment.pk not in applied],
        fields=["match_confidence", "match_summary", "matched_at"],
    )


def _apply_confident(
    *, tenant: Tenant, actor: Actor, proposals: list[MatchProposal]
) -> dict[int, str]:
    """Apply the chunk's confident proposals set-based; should the batch fail
    as a whole (a refusal only the writing finds), apply them one by one,
    each in its own savepoint, so one bad proposal keeps only its own payment
    in the queue. Returns why each refused proposal was refused."""
    ids = [proposal.pk for proposal in proposals]
    try:
        with transaction.atomic():
            return proposals_apply_auto(tenant=tenant, actor=actor, proposal_ids=ids)
    except (DomainError, DatabaseError) as error:
        logger.info("Chunk not applied at once (%s); applying one by one.", error)
    refused: dict[int, str] = {}
    for proposal_id in ids:
        try:
            with transaction.atomic():
                proposal_apply(tenant=tenant, actor=actor, proposal_id=proposal_id, auto=True)
        except (DomainError, DatabaseError) as error:
            refused[proposal_id] = str(error)
    return refused


def _drop_applied_from_index(index: MatchIndex, proposal: MatchProposal) -> None:
    """Later payments of the same run must not see cash already applied."""
    for allocation in proposal.allocations:
        item_id = int(allocation["item_id"])
        item = index.items.get(item_id)
        if item is None:
            continue
        used = (
            Decimal(allocation["amount"])
            + Decimal(allocation.get("discount") or 0)
            + Decimal(allocation.get("write_off") or 0)
        )
        if proposal.deduction and int(proposal.deduction["item_id"]) == item_id:
            used += Decimal(proposal.deduction["amount"])
        remaining = item.open_amount - used
        customer_items = index.by_customer.get(item.customer_id, [])
        if remaining <= 0:
            del index.items[item_id]
            index.by_customer[item.customer_id] = [i for i in customer_items if i.id != item_id]
            continue
        updated = replace(item, open_amount=remaining)
        index.items[item_id] = updated
        index.by_customer[item.customer_id] = [
            updated if i.id == item_id else i for i in customer_items
        ]


def statement_match(*, tenant: Tenant, statement_id: int, actor: Actor = ENGINE) -> dict[str, int]:
    """Match the payments of one statement; idempotent."""
    statement = BankStatement.objects.for_tenant(tenant).filter(pk=statement_id).first()
    if statement is None:
        return {}
    # From the lines alone, not payments joined to lines: right after the
    # import the planner's statistics still see both tables empty and join
    # them in a nested loop, quadratic in the statement's lines (8 s for
    # 10,000 lines).
    payment_ids = list(
        BankStatementLine.objects.for_tenant(tenant)
        .filter(statement=statement, payment__isnull=False)
        .values_list("payment_id", flat=True)
    )
    counts = payments_match(tenant=tenant, actor=actor, payment_ids=payment_ids)
    BankStatement.objects.for_tenant(tenant).filter(pk=statement.pk).update(
        status=StatementStatus.MATCHED, matched_at=timezone.now()
    )
    return counts


def cash_policy_update(
    *,
    tenant: Tenant,
    actor: Actor,
    auto_apply_threshold: int,
    tolerance_amount: Decimal,
    tolerance_percent: Decimal,
    fx_tolerance_percent: Decimal,
    discount_grace_days: int,
    max_subset_size: int,
) -> CashApplicationPolicy:
    """Change the tenant's rules for automatic cash application."""
    from otc.audit.services import audit_record, field_changes, snapshot
    from otc.errors import ValidationFailed

    errors: dict[str, list[str]] = {}
    if not 50 <= auto_apply_threshold <= 100:
        errors["auto_apply_threshold"] = ["Use 50 to 100; below 50 the engine would guess."]
    if not 1 <= max_subset_size <= 8:
        errors["max_subset_size"] = ["Use 1 to 8 invoices per combination."]
    for name, value in (
        ("tolerance_amount", tolerance_amount),
        ("tolerance_percent", tolerance_percent),
        ("fx_tolerance_percent", fx_tolerance_percent),
    ):
        if value < 0:
            errors[name] = ["Enter zero or more."]
    if tolerance_percent > 5 or fx_tolerance_percent > 5:
        errors.setdefault("tolerance_percent", []).append(
            "Tolerances above 5 % write off real money; keep them small."
        )
    if errors:
        raise ValidationFailed("Check the cash application rules.", errors=errors)
    fields = [
        "auto_apply_threshold",
        "tolerance_amount",
        "tolerance_percent",
        "fx_tolerance_percent",
        "discount_grace_days",
        "max_subset_size",
    ]
    with transaction.atomic():
        policy = CashApplicationPolicy.objects.for_tenant(
            tenant
        ).select_for_update().first() or CashApplicationPolicy(tenant=tenant)
        before = snapshot(policy, fields)
        policy.auto_apply_threshold = auto_apply_threshold
        policy.tolerance_amount = tolerance_amount
        policy.tolerance_percent = tolerance_percent
        policy.fx_tolerance_percent = fx_tolerance_percent
        policy.discount_grace_days = discount_grace_days
        policy.max_subset_size = max_subset_size
        policy.save()
        audit_record(
            tenant=tenant,
            actor=actor,
            action="cash.policy_changed",
            instance=policy,
            changes=field_changes(before=before, after=snapshot(policy, fields)),
        )
    return policy
