"""Reason codes and the mapping from what customers write to them.

Every tenant starts with the same ten reason codes, seeded on first use
(``reason_codes_ensure``), so a new tenant never has an empty list and a
tenant's edits are never overwritten. The mapping table turns a customer's
claim code (exact) or a phrase in the remittance text (contained) into a
reason code; it learns whenever an analyst sets the reason of a deduction
whose customer gave a claim code.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from deductions.models import (
    MappingSource,
    OwnerTeam,
    ReasonCategory,
    ReasonCode,
    ReasonMapping,
)
from otc.audit.services import Actor, audit_record
from otc.errors import ConflictError, NotFound, ValidationFailed
from otc.tenancy.models import Tenant


@dataclass(frozen=True)
class DefaultReason:
    code: str
    name: str
    category: ReasonCategory
    owner_team: OwnerTeam
    research_sla_days: int


UNIDENTIFIED = "UNIDENTIFIED"

DEFAULT_REASONS: tuple[DefaultReason, ...] = (
    DefaultReason("PRICING", "Pricing", ReasonCategory.PRICING, OwnerTeam.SALES, 14),
    DefaultReason(
        "SHORTAGE", "Quantity shortage", ReasonCategory.LOGISTICS, OwnerTeam.LOGISTICS, 10
    ),
    DefaultReason("DAMAGE", "Damage", ReasonCategory.QUALITY, OwnerTeam.QUALITY, 10),
    DefaultReason(
        "PROMOTION",
        "Promotion / trade allowance",
        ReasonCategory.TRADE,
        OwnerTeam.TRADE_MARKETING,
        21,
    ),
    DefaultReason("FREIGHT", "Freight", ReasonCategory.LOGISTICS, OwnerTeam.LOGISTICS, 10),
    DefaultReason("TAX", "Tax", ReasonCategory.TAX, OwnerTeam.TAX, 10),
    DefaultReason("RETURNS", "Returns", ReasonCategory.RETURNS, OwnerTeam.CUSTOMER_SERVICE, 14),
    DefaultReason(
        "LATE_DISCOUNT",
        "Early-payment discount taken late",
        ReasonCategory.TERMS,
        OwnerTeam.ACCOUNTS_RECEIVABLE,
        5,
    ),
    DefaultReason(
        "UNAUTHORIZED",
        "Unauthorized",
        ReasonCategory.COMPLIANCE,
        OwnerTeam.ACCOUNTS_RECEIVABLE,
        7,
    ),
    DefaultReason(
        UNIDENTIFIED, "Unidentified", ReasonCategory.UNKNOWN, OwnerTeam.ACCOUNTS_RECEIVABLE, 7
    ),
)


def reason_codes_ensure(*, tenant: Tenant) -> None:
    """Create the default reason codes this tenant does not have yet (by
    code); existing ones, edited or not, are left alone. Safe to call from
    concurrent requests."""
    existing = set(ReasonCode.objects.for_tenant(tenant).values_list("code", flat=True))
    missing = [reason for reason in DEFAULT_REASONS if reason.code not in existing]
    if not missing:
        return
    ReasonCode.objects.for_tenant(tenant).bulk_create(
        [
            ReasonCode(
                tenant=tenant,
                code=reason.code,
                name=reason.name,
                category=reason.category,
                owner_team=reason.owner_team,
                research_sla_days=reason.research_sla_days,
            )
            for reason in missing
        ],
        ignore_conflicts=True,
    )


def reason_code_get(*, tenant: Tenant, reason_id: int) -> ReasonCode:
    reason = ReasonCode.objects.for_tenant(tenant).filter(pk=reason_id).first()
    if reason is None:
        raise NotFound("No such reason code.")
    return reason


def reason_code_by_code(*, tenant: Tenant, code: str) -> ReasonCode | None:
    reason_codes_ensure(tenant=tenant)
    return ReasonCode.objects.for_tenant(tenant).filter(code=code).first()


def _clean_code(code: str) -> str:
    return code.strip().upper().replace(" ", "_")


def _reason_fields(
    *, name: str, category: str, owner_team: str, research_sla_days: int
) -> dict[str, object]:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Enter a name."]
    if category not in ReasonCategory.values:
        errors["category"] = [f"Choose one of: {', '.join(ReasonCategory.values)}."]
    if owner_team not in OwnerTeam.values:
        errors["owner_team"] = [f"Choose one of: {', '.join(OwnerTeam.values)}."]
    if not 1 <= research_sla_days <= 365:
        errors["research_sla_days"] = ["Enter between 1 and 365 days."]
    if errors:
        raise ValidationFailed("The reason code is not complete.", errors=errors)
    return {
        "name": name.strip()[:120],
        "category": category,
        "owner_team": owner_team,
        "research_sla_days": research_sla_days,
    }


def reason_code_create(
    *,
    tenant: Tenant,
    actor: Actor,
    code: str,
    name: str,
    category: str,
    owner_team: str,
    research_sla_days: int,
) -> ReasonCode:
    code = _clean_code(code)
    if not code or len(code) > 32:
        raise ValidationFailed(errors={"code": ["Enter a code of 1 to 32 characters."]})
    fields = _reason_fields(
        name=name, category=category, owner_team=owner_team, research_sla_days=research_sla_days
    )
    reason_codes_ensure(tenant=tenant)
    try:
        with transaction.atomic():
            reason = ReasonCode.objects.for_tenant(tenant).create(
                tenant=tenant,
                code=code,
                **fields,
            )
    except IntegrityError as error:
        raise ConflictError(
            f"Reason code {code} exists already.", code="duplicate_reason_code"
        ) from error
    audit_record(
        tenant=tenant,
        actor=actor,
        action="deduction.reason_code_created",
        instance=reason,
        changes={"code": {"before": None, "after": code}},
    )
    return reason


def reason_code_update(
    *,
    tenant: Tenant,
    actor: Actor,
    reason_id: int,
    name: str,
    category: str,
    owner_team: str,
    research_sla_days: int,
    is_active: bool = True,
) -> ReasonCode:
    fields = _reason_fields(
        name=name, category=category, owner_team=owner_team, research_sla_days=research_sla_days
    )
    with transaction.atomic():
        reason = (
            ReasonCode.objects.for_tenant(tenant).select_for_update().filter(pk=reason_id).first()
        )
        if reason is None:
            raise NotFound("No such reason code.")
        before = {key: getattr(reason, key) for key in [*fields, "is_active"]}
        for key, value in fields.items():
            setattr(reason, key, value)
        reason.is_active = is_active
        reason.save()
        after = {key: getattr(reason, key) for key in before}
        audit_record(
            tenant=tenant,
            actor=actor,
            action="deduction.reason_code_updated",
            instance=reason,
            changes={
                key: {"before": before[key], "after": after[key]}
                for key in before
                if before[key] != after[key]
            },
        )
    return reason


def normalise_pattern(value: str) -> str:
    return " ".join(value.upper().split())[:100]


def reason_mapping_set(
    *,
    tenant: Tenant,
    actor: Actor,
    source: str,
    pattern: str,
    reason: ReasonCode,
    learned: bool = False,
) -> ReasonMapping:
    """Map a claim code or remittance phrase to `reason` (replacing what it
    mapped to before)."""
    if source not in MappingSource.values:
        raise ValidationFailed(errors={"source": [f"Choose {' or '.join(MappingSource.values)}."]})
    cleaned = normalise_pattern(pattern)
    if not cleaned:
        raise ValidationFailed(errors={"pattern": ["Enter the code or phrase to map."]})
    if reason.tenant_id != tenant.pk:
        raise NotFound("No such reason code.")
    with transaction.atomic():
        mapping, created = (
            ReasonMapping.objects.for_tenant(tenant)
            .select_for_update()
            .get_or_create(
                tenant=tenant,
                source=source,
                pattern=cleaned,
                defaults={"reason": reason, "learned": learned, "created_by": actor.user},
            )
        )
        before = None if created else mapping.reason.code
        if not created and mapping.reason_id != reason.pk:
            mapping.reason = reason
            mapping.learned = learned
            mapping.save(update_fields=["reason", "learned", "updated_at"])
        if created or before != reason.code:
            audit_record(
                tenant=tenant,
                actor=actor,
                action="deduction.mapping_learned" if learned else "deduction.mapping_set",
                instance=mapping,
                changes={"reason": {"before": before, "after": reason.code}, "pattern": cleaned},
            )
    return mapping


def reason_mapping_delete(*, tenant: Tenant, actor: Actor, mapping_id: int) -> None:
    mapping = ReasonMapping.objects.for_tenant(tenant).filter(pk=mapping_id).first()
    if mapping is None:
        raise NotFound("No such mapping.")
    audit_record(
        tenant=tenant,
        actor=actor,
        action="deduction.mapping_deleted",
        instance=mapping,
        changes={"pattern": {"before": mapping.pattern, "after": None}},
    )
    mapping.delete()


def reason_for_remittance(*, tenant: Tenant, claim_code: str, text: str) -> ReasonCode | None:
    """The reason the mapping table gives for what the customer wrote: an
    exact claim-code mapping first, then the longest remittance phrase the
    text contains. None when nothing maps."""
    (reason,) = reasons_for_remittances(tenant=tenant, claims=[(claim_code, text)])
    return reason


def reasons_for_remittances(
    *, tenant: Tenant, claims: list[tuple[str, str]]
) -> list[ReasonCode | None]:
    """``reason_for_remittance`` for each (claim code, text) of a batch (a
    statement's short payments), reading the mapping table once."""
    mappings = list(
        ReasonMapping.objects.for_tenant(tenant)
        .select_related("reason")
        .filter(reason__is_active=True)
    )
    by_code = {m.pattern: m.reason for m in mappings if m.source == MappingSource.CLAIM_CODE}
    phrases = sorted(
        (m for m in mappings if m.source == MappingSource.REMITTANCE_TEXT),
        key=lambda m: -len(m.pattern),
    )
    found: list[ReasonCode | None] = []
    for claim_code, text in claims:
        code = normalise_pattern(claim_code)
        if code and code in by_code:
            found.append(by_code[code])
            continue
        wording = " ".join(f"{claim_code} {text}".upper().split())
        found.append(
            next((m.reason for m in phrases if m.pattern in wording), None) if wording else None
        )
    return found
