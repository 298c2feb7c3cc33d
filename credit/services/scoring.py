"""The risk scorecard: a transparent 0-100 score per customer.

Each factor turns one figure from the ledger (or the profile) into 0-100
points; the score is the weighted mean of the factors that have data, with
the tenant's weights (CreditPolicy.score_weights). The class follows the
tenant's cut-offs, the recommended limit the class's share of the last
twelve months' sales. Every score is stored with its breakdown and inputs
(CreditScore, append-only), so wherever a score is shown its reasons are too.

Scoring is set-based: a batch of customers costs two aggregate queries on
the ledger and a few writes, whatever the number of items, so the nightly
run over 50,000 customers works in short transactions that never hold
locks for long.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from credit.models import (
    SCORE_FACTORS,
    ApplicationStatus,
    CreditApplication,
    CreditPolicy,
    CreditProfile,
    CreditScore,
    RiskClass,
    ScoreTrigger,
)
from credit.selectors import credit_policy_get
from credit.services.common import format_money
from credit.services.ratios import application_ratios
from otc.audit.services import Actor, AuditEntry, audit_record_many
from otc.customers.models import Customer
from otc.errors import NotFound
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

ZERO = Decimal(0)
BATCH_SIZE = 2_000

# Agency grades to points; modifiers (+/-) are ignored.
RATING_POINTS = {
    "AAA": 100,
    "AA": 90,
    "A": 80,
    "BBB": 65,
    "BB": 50,
    "B": 35,
    "CCC": 20,
    "CC": 10,
    "C": 5,
    "D": 0,
}

FACTOR_LABELS = SCORE_FACTORS


@dataclass(frozen=True)
class Figures:
    """What the ledger says about one customer, base currency."""

    paid: Decimal = ZERO
    late_weighted: Decimal = ZERO
    paid_late: Decimal = ZERO
    paid_6m: Decimal = ZERO
    late_weighted_6m: Decimal = ZERO
    paid_3m: Decimal = ZERO
    late_weighted_3m: Decimal = ZERO
    dishonoured: int = 0
    open_debits: Decimal = ZERO
    overdue: Decimal = ZERO
    disputed: Decimal = ZERO
    sales_12m: Decimal = ZERO
    first_document: date | None = None
    # From the latest credit application's statements, when there is one.
    current_ratio: Decimal | None = None
    debt_to_equity: Decimal | None = None
    interest_cover: Decimal | None = None
    net_margin: Decimal | None = None
    statement_revenue: Decimal | None = None


def _avg_days(weighted: Decimal, paid: Decimal) -> Decimal | None:
    return (weighted / paid).quantize(Decimal("0.1")) if paid > 0 else None


def _clamp(value: Decimal) -> int:
    return int(max(ZERO, min(Decimal(100), value)).quantize(Decimal(1)))


def _pct(share: Decimal) -> str:
    return f"{(share * 100).quantize(Decimal('0.1'))} %"


Factor = tuple[str, int | None]  # (the input in words, points or None for no data)


def _factors(
    figures: Figures, profile: CreditProfile, customer: Customer, today: date, currency: str
) -> dict[str, Factor]:
    f = figures
    avg12 = _avg_days(f.late_weighted, f.paid)
    avg6 = _avg_days(f.late_weighted_6m, f.paid_6m)
    avg3 = _avg_days(f.late_weighted_3m, f.paid_3m)
    out: dict[str, Factor] = {}
    if avg12 is None:
        out["days_late"] = ("no payments in 12 months", None)
        out["late_share"] = ("no payments in 12 months", None)
    else:
        # 0 days late is 100 points, 60 days or more is 0.
        out["days_late"] = (f"{avg12} days", _clamp(100 - avg12 * 100 / 60))
        share = f.paid_late / f.paid
        paid = format_money(f.paid, currency)
        out["late_share"] = (f"{_pct(share)} of {paid} paid", _clamp(100 * (1 - share)))
    if avg12 is None or avg3 is None:
        out["trend"] = ("not enough payments", None)
    else:
        # Paying faster lately than over the year earns points, slower loses them.
        text = f"3 m {avg3} / 6 m {avg6 if avg6 is not None else '—'} / 12 m {avg12} days"
        out["trend"] = (text, _clamp(50 + (avg12 - avg3) * Decimal("2.5")))
    if f.open_debits > 0:
        share = f.overdue / f.open_debits
        owed = format_money(f.open_debits, currency)
        out["overdue_now"] = (f"{_pct(share)} of {owed}", _clamp(100 * (1 - share)))
        disputed = f.disputed / f.open_debits
        out["disputes"] = (_pct(disputed), _clamp(100 * (1 - 2 * disputed)))
    else:
        out["overdue_now"] = ("nothing open", 100)
        out["disputes"] = ("nothing open", 100)
    out["dishonoured"] = (str(f.dishonoured), _clamp(Decimal(100 - 40 * f.dishonoured)))
    grade = profile.external_rating.strip().upper().rstrip("+-")
    if grade in RATING_POINTS:
        agency = f" ({profile.external_rating_agency})" if profile.external_rating_agency else ""
        out["external_rating"] = (f"{profile.external_rating}{agency}", RATING_POINTS[grade])
    else:
        out["external_rating"] = ("none on file", None)
    out["financials"] = _financials(f)
    since = f.first_document or customer.created_at.date()
    years = Decimal(max(0, (today - since).days)) / Decimal("365.25")
    out["relationship_age"] = (f"{years.quantize(Decimal('0.1'))} years", _clamp(years * 20))
    return out


def _financials(f: Figures) -> Factor:
    """Mean of the ratio points that can be computed: current ratio 0.5 -> 0,
    2.0 -> 100; debt to equity 3 -> 0, 0.5 -> 100; interest cover 1 -> 0,
    5 -> 100; net margin -5 % -> 0, 10 % -> 100."""
    parts: list[tuple[str, int]] = []
    if f.current_ratio is not None:
        parts.append(
            (
                f"current ratio {f.current_ratio}",
                _clamp((f.current_ratio - Decimal("0.5")) / Decimal("1.5") * 100),
            )
        )
    if f.debt_to_equity is not None:
        de = f.debt_to_equity if f.debt_to_equity >= 0 else Decimal(99)
        parts.append((f"debt/equity {f.debt_to_equity}", _clamp((3 - de) / Decimal("2.5") * 100)))
    if f.interest_cover is not None:
        parts.append(
            (f"interest cover {f.interest_cover}", _clamp((f.interest_cover - 1) / 4 * 100))
        )
    if f.net_margin is not None:
        parts.append((f"net margin {f.net_margin} %", _clamp((f.net_margin + 5) / 15 * 100)))
    if not parts:
        return ("no financial statements", None)
    points = sum(p for _, p in parts) / Decimal(len(parts))
    return (", ".join(text for text, _ in parts), _clamp(points))


def _class_for(score: int, cutoffs: dict[str, Any]) -> str:
    for risk in ("A", "B", "C", "D"):
        if score >= int(cutoffs.get(risk, 101)):
            return risk
    return RiskClass.E.value


def score_from_figures(
    *,
    policy: CreditPolicy,
    figures: Figures,
    profile: CreditProfile,
    customer: Customer,
    today: date,
    currency: str,
) -> tuple[int, str, list[dict[str, Any]], Decimal]:
    """(score, class, breakdown, recommended limit) for one customer."""
    factors = _factors(figures, profile, customer, today, currency)
    weights = {name: int(w) for name, w in (policy.score_weights or {}).items()}
    used = {
        name: weights.get(name, 0) for name, (_, points) in factors.items() if points is not None
    }
    total_weight = sum(w for w in used.values() if w > 0)
    score_value = ZERO
    breakdown = []
    for name, (text, points) in factors.items():
        weight = weights.get(name, 0)
        contribution = None
        if points is not None and weight > 0 and total_weight:
            share = Decimal(points * weight) / total_weight
            score_value += share
            contribution = str(share.quantize(Decimal("0.1")))
        breakdown.append(
            {
                "factor": name,
                "label": FACTOR_LABELS[name],
                "input": text,
                "points": points,
                "weight": weight,
                "contribution": contribution,
            }
        )
    score = _clamp(score_value) if total_weight else 50
    risk = _class_for(score, policy.class_cutoffs or {})
    share = Decimal(str((policy.limit_share or {}).get(risk, "0")))
    size = figures.sales_12m
    if not size and figures.statement_revenue:
        # A new customer has no sales with us yet: assume we will be a tenth
        # of its purchases, sized from its own revenue.
        size = figures.statement_revenue / 10
    recommended = (size * share / 1000).quantize(Decimal(1), ROUND_DOWN) * 1000
    return score, risk, breakdown, max(recommended, ZERO)


_LEDGER_SQL = """
SELECT customer_id,
    SUM(open_base_amount) FILTER (WHERE status = 'open' AND amount > 0),
    SUM(open_base_amount) FILTER (WHERE status = 'open' AND amount > 0 AND due_date < %(today)s),
    SUM(open_base_amount) FILTER (WHERE status = 'open' AND kind = 'deduction'),
    SUM(base_amount) FILTER (WHERE kind = 'invoice' AND document_date >= %(since12)s),
    MIN(document_date)
FROM ledger_openitem
WHERE tenant_id = %(tenant)s AND customer_id = ANY(%(ids)s)
GROUP BY customer_id
"""
# Cash applied to debit items in the window, without applications that were
# later reversed; reversals of cash (a bounced payment) are counted apart.
_PAYMENTS_SQL = """
SELECT d.customer_id,
    SUM(a.debit_base_amount) FILTER (WHERE a.amount > 0),
    SUM(a.debit_base_amount * GREATEST(a.effective_date - d.due_date, 0))
        FILTER (WHERE a.amount > 0),
    SUM(a.debit_base_amount) FILTER (WHERE a.amount > 0 AND a.effective_date > d.due_date),
    SUM(a.debit_base_amount) FILTER (WHERE a.amount > 0 AND a.effective_date >= %(since6)s),
    SUM(a.debit_base_amount * GREATEST(a.effective_date - d.due_date, 0))
        FILTER (WHERE a.amount > 0 AND a.effective_date >= %(since6)s),
    SUM(a.debit_base_amount) FILTER (WHERE a.amount > 0 AND a.effective_date >= %(since3)s),
    SUM(a.debit_base_amount * GREATEST(a.effective_date - d.due_date, 0))
        FILTER (WHERE a.amount > 0 AND a.effective_date >= %(since3)s),
    COUNT(*) FILTER (WHERE a.amount < 0)
FROM ledger_application a
JOIN ledger_openitem d ON d.id = a.debit_item_id AND d.tenant_id = a.tenant_id
WHERE a.tenant_id = %(tenant)s AND a.kind = 'cash' AND a.effective_date >= %(since12)s
  AND d.tenant_id = %(tenant)s AND d.customer_id = ANY(%(ids)s) AND d.due_date IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM ledger_application r WHERE r.reverses_id = a.id AND r.tenant_id = a.tenant_id
  )
GROUP BY d.customer_id
"""


def _figures(tenant: Tenant, ids: Sequence[int], today: date) -> dict[int, Figures]:
    params: dict[str, Any] = {
        "tenant": tenant.pk,
        "ids": list(ids),
        "today": today,
        "since12": today - timedelta(days=365),
        "since6": today - timedelta(days=182),
        "since3": today - timedelta(days=91),
    }
    ledger: dict[int, tuple[Any, ...]] = {}
    payments: dict[int, tuple[Any, ...]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_LEDGER_SQL, params)
        ledger = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(_PAYMENTS_SQL, params)
        payments = {row[0]: row[1:] for row in cursor.fetchall()}
    statements = _statements(tenant, ids)
    out = {}
    for customer_id in ids:
        led = ledger.get(customer_id, (None,) * 5)
        pay = payments.get(customer_id, (None,) * 8)
        out[customer_id] = Figures(
            open_debits=led[0] or ZERO,
            overdue=led[1] or ZERO,
            disputed=led[2] or ZERO,
            sales_12m=led[3] or ZERO,
            first_document=led[4],
            paid=pay[0] or ZERO,
            late_weighted=pay[1] or ZERO,
            paid_late=pay[2] or ZERO,
            paid_6m=pay[3] or ZERO,
            late_weighted_6m=pay[4] or ZERO,
            paid_3m=pay[5] or ZERO,
            late_weighted_3m=pay[6] or ZERO,
            dishonoured=int(pay[7] or 0),
            **statements.get(customer_id, {}),
        )
    return out


def _statements(tenant: Tenant, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Ratios of each customer's latest credit application with statements."""
    latest = (
        CreditApplication.objects.for_tenant(tenant)
        .filter(customer_id__in=ids, submitted_at__isnull=False)
        .exclude(status=ApplicationStatus.REJECTED)
        .order_by("customer_id", "-submitted_at", "-id")
        .distinct("customer_id")
    )
    out: dict[int, dict[str, Any]] = {}
    for application in latest:
        r = application_ratios(application)
        out[application.customer_id] = {
            "current_ratio": r.current_ratio,
            "debt_to_equity": r.debt_to_equity,
            "interest_cover": r.interest_cover,
            "net_margin": r.net_margin,
            "statement_revenue": r.revenue,
        }
    return out


def _inputs(figures: Figures) -> dict[str, Any]:
    return {
        name: (str(value) if isinstance(value, Decimal) else value)
        for name, value in vars(figures).items()
        if not isinstance(value, date)
    } | {"first_document": figures.first_document.isoformat() if figures.first_document else None}


def credit_scores_compute(
    *,
    tenant: Tenant,
    actor: Actor,
    customer_ids: Sequence[int],
    trigger: ScoreTrigger,
    today: date | None = None,
) -> list[CreditScore]:
    """Score a batch of customers in one short transaction: profiles are
    created where missing, each gets its score, recommended limit and (unless
    a person set it) its risk class; class changes are audited."""
    today = today or tenant_today(tenant)
    policy = credit_policy_get(tenant=tenant)
    currency = str(tenant.base_currency)
    now = timezone.now()
    with transaction.atomic():
        customers = {
            c.pk: c for c in Customer.objects.for_tenant(tenant).filter(pk__in=customer_ids)
        }
        profiles = CreditProfile.objects.for_tenant(tenant)
        missing = set(customers) - set(
            profiles.filter(customer_id__in=customers).values_list("customer_id", flat=True)
        )
        if missing:
            profiles.bulk_create(
                [CreditProfile(tenant=tenant, customer_id=pk, currency=currency) for pk in missing],
                ignore_conflicts=True,
            )
        locked = {
            p.customer_id: p
            for p in profiles.filter(customer_id__in=customers).order_by("pk").select_for_update()
        }
        figures = _figures(tenant, list(customers), today)
        scores, audits, changed = [], [], []
        for customer_id, customer in customers.items():
            profile = locked[customer_id]
            score, risk, breakdown, recommended = score_from_figures(
                policy=policy,
                figures=figures[customer_id],
                profile=profile,
                customer=customer,
                today=today,
                currency=currency,
            )
            scores.append(
                CreditScore(
                    tenant=tenant,
                    customer_id=customer_id,
                    score=score,
                    risk_class=risk,
                    breakdown=breakdown,
                    inputs=_inputs(figures[customer_id]),
                    recommended_limit=recommended,
                    currency=currency,
                    trigger=trigger,
                    computed_at=now,
                )
            )
            if not profile.risk_class_manual and profile.risk_class != risk:
                audits.append(
                    AuditEntry(
                        action="credit.risk_class_scored",
                        instance=profile,
                        changes={
                            "risk_class": {"before": profile.risk_class, "after": risk},
                            "score": score,
                        },
                    )
                )
                profile.risk_class = risk
            profile.score, profile.scored_at, profile.recommended_limit = score, now, recommended
            changed.append(profile)
        _write_batch(tenant, scores, changed, trigger=trigger, now=now)
        if audits:
            audit_record_many(tenant=tenant, actor=actor, entries=audits)
    return scores


# Batch writes take their rows as one JSON document: psycopg quotes one
# string in C, where Django's bulk_create and bulk_update (UNNEST arrays,
# CASE per row) spend more Python per batch than the scoring itself.
_INSERT_SCORES_SQL = """
INSERT INTO credit_creditscore (tenant_id, customer_id, score, risk_class, breakdown, inputs,
    recommended_limit, currency, trigger, computed_at)
SELECT %(tenant)s, r.customer_id, r.score, r.risk_class, r.breakdown, r.inputs,
    r.recommended_limit, %(currency)s, %(trigger)s, %(now)s
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(customer_id bigint, score int, risk_class text,
    breakdown jsonb, inputs jsonb, recommended_limit numeric)
"""
_UPDATE_PROFILES_SQL = """
UPDATE credit_creditprofile AS p
SET risk_class = r.risk_class, score = r.score, recommended_limit = r.recommended_limit,
    scored_at = %(now)s, updated_at = %(now)s
FROM jsonb_to_recordset(%(rows)s::jsonb)
    AS r(id bigint, risk_class text, score int, recommended_limit numeric)
WHERE p.id = r.id AND p.tenant_id = %(tenant)s
"""


def _write_batch(
    tenant: Tenant,
    scores: list[CreditScore],
    profiles: list[CreditProfile],
    *,
    trigger: str,
    now: Any,
) -> None:
    score_rows = [
        {
            "customer_id": s.customer_id,
            "score": s.score,
            "risk_class": s.risk_class,
            "breakdown": s.breakdown,
            "inputs": s.inputs,
            "recommended_limit": str(s.recommended_limit),
        }
        for s in scores
    ]
    profile_rows = [
        {
            "id": p.pk,
            "risk_class": p.risk_class,
            "score": p.score,
            "recommended_limit": str(p.recommended_limit),
        }
        for p in profiles
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_SCORES_SQL,
            {
                "tenant": tenant.pk,
                "currency": str(tenant.base_currency),
                "trigger": str(trigger),
                "now": now,
                "rows": json.dumps(score_rows),
            },
        )
        cursor.execute(
            _UPDATE_PROFILES_SQL,
            {"tenant": tenant.pk, "now": now, "rows": json.dumps(profile_rows)},
        )


def credit_rescore_tenant(
    *,
    tenant: Tenant,
    actor: Actor,
    trigger: ScoreTrigger = ScoreTrigger.NIGHTLY,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Score every customer of the tenant, batch by batch (each batch its own
    short transaction). Returns how many were scored."""
    ids = list(Customer.objects.for_tenant(tenant).order_by("pk").values_list("pk", flat=True))
    today = tenant_today(tenant)
    done = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        credit_scores_compute(
            tenant=tenant, actor=actor, customer_ids=batch, trigger=trigger, today=today
        )
        done += len(batch)
        if progress is not None:
            progress(done)
    return done


def credit_score_customer(
    *, tenant: Tenant, actor: Actor, customer: Customer, trigger: ScoreTrigger = ScoreTrigger.MANUAL
) -> CreditScore:
    credit_scores_compute(tenant=tenant, actor=actor, customer_ids=[customer.pk], trigger=trigger)
    latest = CreditScore.objects.for_tenant(tenant).filter(customer=customer).first()
    if latest is None:  # the batch just wrote it; only a foreign customer gets here
        raise NotFound("No such customer.")
    return latest


def credit_score_refresh_later(*, tenant: Tenant, customer_ids: Sequence[int]) -> None:
    """For the events that move a score (a payment applied or bounced, a
    deduction opened): rescore these customers after the commit. Other apps
    call this from their services; the task is idempotent."""
    from credit.tasks import rescore_customers

    if customer_ids:
        rescore_customers.delay_on_commit(tenant.pk, sorted(set(customer_ids)))
