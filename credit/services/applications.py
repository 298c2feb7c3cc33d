"""Credit applications: from draft to a decision, routed by amount.

    draft ─submit─> submitted ─review─> under_review ─approve─> approved
                        ^                   │  ├─reject──> rejected
                        └──resubmit── more_info_needed <─request info

Approving needs a membership whose approval limit covers the approved
limit. A reviewer below it does not fail: the application is escalated
(recommended amount and reviewer kept) and stays under review until someone
with a high enough limit decides. Every decision stores the score, the
ratios and the exposure it was taken on.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from credit.models import (
    STATEMENT_FIELDS,
    ApplicationKind,
    ApplicationStatus,
    CreditApplication,
    LimitKind,
)
from credit.selectors import credit_profile_find, customer_exposure
from credit.services.common import actor_approval_limit, format_money
from credit.services.profiles import credit_limit_set
from credit.services.ratios import application_ratios
from credit.services.scoring import credit_score_customer
from otc.audit.services import Actor, audit_record
from otc.customers.models import Customer
from otc.errors import IllegalTransition, ValidationFailed
from otc.fx.money import quantize_money
from otc.tenancy.models import Tenant

S = ApplicationStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.REJECTED}),
    S.UNDER_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.MORE_INFO_NEEDED, S.UNDER_REVIEW}),
    S.MORE_INFO_NEEDED: frozenset({S.SUBMITTED, S.REJECTED}),
    S.APPROVED: frozenset(),
    S.REJECTED: frozenset(),
}

STATEMENTS_MAX_BYTES = 10 * 1024 * 1024


def _transition(application: CreditApplication, target: str) -> None:
    current = application.status
    if target not in TRANSITIONS.get(current, frozenset()):
        labels = dict(ApplicationStatus.choices)
        raise IllegalTransition(
            f"{application} is {str(labels[current]).lower()}: it cannot become "
            f"{str(labels[target]).lower()}.",
            current=current,
            requested=target,
        )
    application.status = target


def _clean(tenant: Tenant, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    limit = cleaned.get("requested_limit")
    if limit is None or limit < 0:
        errors["requested_limit"] = ["Enter the limit asked for (0 or more)."]
    else:
        cleaned["requested_limit"] = quantize_money(limit, tenant.base_currency)
    for name in STATEMENT_FIELDS:
        value = cleaned.get(name)
        if value is not None:
            cleaned[name] = quantize_money(value, tenant.base_currency)
    for name in (
        "current_assets",
        "inventory",
        "current_liabilities",
        "total_liabilities",
        "revenue",
        "interest_expense",
    ):
        if cleaned.get(name) is not None and cleaned[name] < 0:
            errors[name] = ["This statement line cannot be negative."]
    references = cleaned.get("trade_references") or []
    for index, reference in enumerate(references):
        if not str(reference.get("name", "")).strip():
            errors[f"trade_references[{index}].name"] = ["Name the trade reference."]
    statements = cleaned.get("statements_file")
    if statements is not None and statements.size > STATEMENTS_MAX_BYTES:
        errors["statements_file"] = ["Upload at most 10 MB (a PDF or spreadsheet)."]
    if errors:
        raise ValidationFailed(
            "The application was not saved: fix the marked fields.", errors=errors
        )
    return cleaned


def credit_application_create(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    requested_limit: Decimal,
    kind: str | None = None,
    justification: str = "",
    trade_references: list[dict[str, Any]] | None = None,
    statements_file: UploadedFile | None = None,
    submit: bool = False,
    **statements: Any,
) -> CreditApplication:
    if customer.tenant_id != tenant.pk:
        raise ValidationFailed(errors={"customer": ["No such customer."]})
    unknown = set(statements) - {*STATEMENT_FIELDS, "fiscal_year_end"}
    if unknown:
        raise ValidationFailed(errors={name: ["Not a statement line."] for name in unknown})
    profile = credit_profile_find(tenant=tenant, customer=customer)
    current = profile.credit_limit if profile is not None else Decimal(0)
    if kind is None:
        kind = ApplicationKind.LIMIT_CHANGE if current > 0 else ApplicationKind.NEW_CUSTOMER
    data = _clean(
        tenant,
        {
            "requested_limit": requested_limit,
            "trade_references": trade_references or [],
            "statements_file": statements_file,
            **statements,
        },
    )
    with transaction.atomic():
        application = CreditApplication(
            tenant=tenant,
            customer=customer,
            kind=kind,
            currency=tenant.base_currency,
            requested_limit=data.pop("requested_limit"),
            current_limit=current,
            justification=justification.strip(),
            trade_references=data.pop("trade_references"),
            created_by=actor.user,
            **{k: v for k, v in data.items() if k != "statements_file"},
        )
        if statements_file is not None:
            application.statements_file = statements_file
        application.save()
        audit_record(
            tenant=tenant,
            actor=actor,
            action="credit.application_created",
            instance=application,
            changes={"requested_limit": str(application.requested_limit), "kind": kind},
        )
        if submit:
            application = credit_application_submit(
                tenant=tenant, actor=actor, application=application
            )
    return application


def _locked(tenant: Tenant, application: CreditApplication) -> CreditApplication:
    return (
        CreditApplication.objects.for_tenant(tenant)
        .select_related("customer")
        .select_for_update(of=("self",))
        .get(pk=application.pk)
    )


def _step(
    *,
    tenant: Tenant,
    actor: Actor,
    application: CreditApplication,
    target: str,
    action: str,
    note: str = "",
    **extra: Any,
) -> CreditApplication:
    with transaction.atomic():
        application = _locked(tenant, application)
        before = application.status
        _transition(application, target)
        if target == S.SUBMITTED:
            application.submitted_at = timezone.now()
        if note:
            application.decision_note = note
        application.save()
        audit_record(
            tenant=tenant,
            actor=actor,
            action=f"credit.application_{action}",
            instance=application,
            changes={"status": {"before": before, "after": target}, "note": note, **extra},
        )
    return application


def credit_application_submit(
    *, tenant: Tenant, actor: Actor, application: CreditApplication
) -> CreditApplication:
    return _step(
        tenant=tenant, actor=actor, application=application, target=S.SUBMITTED, action="submitted"
    )


def credit_application_start_review(
    *, tenant: Tenant, actor: Actor, application: CreditApplication
) -> CreditApplication:
    return _step(
        tenant=tenant,
        actor=actor,
        application=application,
        target=S.UNDER_REVIEW,
        action="review_started",
    )


def credit_application_request_info(
    *, tenant: Tenant, actor: Actor, application: CreditApplication, note: str
) -> CreditApplication:
    if not (note or "").strip():
        raise ValidationFailed(errors={"note": ["Say what information is missing."]})
    return _step(
        tenant=tenant,
        actor=actor,
        application=application,
        target=S.MORE_INFO_NEEDED,
        action="info_requested",
        note=note.strip(),
    )


def _snapshot(tenant: Tenant, actor: Actor, application: CreditApplication) -> dict[str, Any]:
    customer = application.customer
    score = credit_score_customer(tenant=tenant, actor=actor, customer=customer)
    exposure = customer_exposure(tenant=tenant, customer=customer)
    return {
        "score": score.score,
        "risk_class": score.risk_class,
        "score_breakdown": score.breakdown,
        "score_inputs": score.inputs,
        "recommended_limit": str(score.recommended_limit),
        "ratios": application_ratios(application).as_json(),
        "exposure": str(exposure.total),
        "pending_orders": str(exposure.pending_orders),
    }


def credit_application_reject(
    *, tenant: Tenant, actor: Actor, application: CreditApplication, note: str
) -> CreditApplication:
    if not (note or "").strip():
        raise ValidationFailed(errors={"note": ["Say why the application is rejected."]})
    with transaction.atomic():
        application = _locked(tenant, application)
        before = application.status
        _transition(application, S.REJECTED)
        application.decision_note = note.strip()
        application.decision_snapshot = _snapshot(tenant, actor, application)
        application.decided_by, application.decided_at = actor.user, timezone.now()
        application.save()
        audit_record(
            tenant=tenant,
            actor=actor,
            action="credit.application_rejected",
            instance=application,
            changes={
                "status": {"before": before, "after": S.REJECTED},
                "note": note,
                "snapshot": application.decision_snapshot,
            },
        )
    return application


def credit_application_approve(
    *,
    tenant: Tenant,
    actor: Actor,
    application: CreditApplication,
    approved_limit: Decimal | None = None,
    note: str = "",
) -> CreditApplication:
    """Approve at `approved_limit` (default: the requested limit). If the
    actor's approval limit does not cover it, the application is escalated
    instead: it stays under review, marked for a higher approver, with this
    reviewer's recommendation."""
    with transaction.atomic():
        application = _locked(tenant, application)
        if application.status != S.UNDER_REVIEW:
            _transition(application, S.APPROVED)  # raises with the right message
        amount = application.requested_limit if approved_limit is None else approved_limit
        if amount < 0:
            raise ValidationFailed(errors={"approved_limit": ["A limit cannot be negative."]})
        amount = quantize_money(amount, tenant.base_currency)
        snapshot = _snapshot(tenant, actor, application)
        own_limit = actor_approval_limit(tenant=tenant, actor=actor)
        if own_limit is not None and amount > own_limit:
            application.escalated = True
            application.recommended_limit = amount
            application.recommended_by = actor.user
            application.decision_note = (note or "").strip()
            application.decision_snapshot = snapshot
            application.save()
            audit_record(
                tenant=tenant,
                actor=actor,
                action="credit.application_escalated",
                instance=application,
                changes={
                    "recommended_limit": str(amount),
                    "approver_limit": str(own_limit),
                    "snapshot": snapshot,
                },
            )
            return application
        _transition(application, S.APPROVED)
        application.approved_limit = amount
        application.decision_note = (note or "").strip()
        application.decision_snapshot = snapshot
        application.decided_by, application.decided_at = actor.user, timezone.now()
        application.save()
        credit_limit_set(
            tenant=tenant,
            actor=actor,
            customer=application.customer,
            amount=amount,
            reason=f"{application} approved"
            + (f" ({format_money(amount, tenant.base_currency)})" if amount else ""),
            kind=LimitKind.CUSTOMER,
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="credit.application_approved",
            instance=application,
            changes={
                "approved_limit": str(amount),
                "requested_limit": str(application.requested_limit),
                "snapshot": snapshot,
            },
        )
    return application
