"""Dunning policies: create and update a policy with its levels and templates,
and decide which policy applies to a customer.

A policy's levels are given in order and must have strictly ascending days
overdue (two levels on the same day, or a later level before an earlier one,
overlap). Sent notices point at their level, so a level keeps its row across
edits: matched by its id when the input carries it (the HTML editor, an API
client that sends the ids it read), else by its number. A level that has
been sent can be edited but neither removed nor moved to another place
(inserting a level before it would renumber it, and the letters already
sent at its number would be read as another level's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from collections_app.dunning.models import (
    DunningChannel,
    DunningLevel,
    DunningNotice,
    DunningPolicy,
    DunningSettings,
    DunningTemplate,
)
from collections_app.dunning.services.templating import PLACEHOLDERS, unknown_placeholders
from otc.audit.services import Actor, audit_record
from otc.customers.models import DOCUMENT_LANGUAGES
from otc.errors import ConflictError, NotFound, ValidationFailed
from otc.tenancy.models import Tenant

_LANGUAGES = {code for code, _ in DOCUMENT_LANGUAGES}
_RISK_CLASSES = {"A", "B", "C", "D", "E"}


@dataclass(frozen=True)
class TemplateInput:
    language: str
    subject: str
    body: str
    letter_text: str


@dataclass(frozen=True)
class LevelInput:
    name: str
    days_overdue: int
    channel: str = DunningChannel.EMAIL
    fee_amount: Decimal = Decimal(0)
    fee_currency: str = "EUR"
    interest_rate_percent: Decimal = Decimal(0)
    templates: list[TemplateInput] = field(default_factory=list)
    # The level's row when the input was read from the policy; None for a new
    # level (or an input that identifies levels by their place).
    level_id: int | None = None


@dataclass(frozen=True)
class PolicyInput:
    name: str
    levels: list[LevelInput]
    description: str = ""
    is_default: bool = False
    risk_classes: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    min_amount: Decimal = Decimal(0)
    grace_days: int = 0
    is_active: bool = True


Errors = dict[str, list[str]]


def _add(errors: Errors, path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def dunning_template_errors(template: TemplateInput) -> Errors:
    """What is wrong with one template's texts, by field name; the policy
    editor's preview asks this before rendering a draft."""
    errors: Errors = {}
    for field_name in ("subject", "body", "letter_text"):
        text = getattr(template, field_name)
        if not text.strip():
            _add(errors, field_name, "This text is required.")
        unknown = unknown_placeholders(text)
        if unknown:
            names = ", ".join("{" + name + "}" for name in unknown)
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            _add(errors, field_name, f"Unknown placeholder {names}. Use one of: {known}.")
    return errors


def _validate_templates(errors: Errors, path: str, level: LevelInput) -> None:
    if not level.templates:
        _add(errors, f"{path}.templates", "Each level needs a template in at least one language.")
    seen: set[str] = set()
    for t_index, template in enumerate(level.templates):
        t_path = f"{path}.templates[{t_index}]"
        if template.language not in _LANGUAGES:
            _add(errors, f"{t_path}.language", f"'{template.language}' is not a document language.")
        if template.language in seen:
            _add(errors, f"{t_path}.language", f"Two templates in '{template.language}'.")
        seen.add(template.language)
        for field_name, texts in dunning_template_errors(template).items():
            for text in texts:
                _add(errors, f"{t_path}.{field_name}", text)


def _validate_level(
    errors: Errors, index: int, level: LevelInput, previous: LevelInput | None
) -> None:
    path = f"levels[{index}]"
    if not level.name.strip():
        _add(errors, f"{path}.name", "Give the level a name.")
    if previous is not None and level.days_overdue <= previous.days_overdue:
        _add(
            errors,
            f"{path}.days_overdue",
            f"Level {index + 1} ({level.days_overdue} days) overlaps level {index} "
            f"({previous.days_overdue} days): levels must have strictly ascending days "
            "overdue.",
        )
    if level.channel not in DunningChannel.values:
        _add(errors, f"{path}.channel", f"'{level.channel}' is not a channel.")
    if level.fee_amount < 0:
        _add(errors, f"{path}.fee_amount", "The fee cannot be negative.")
    if not Decimal(0) <= level.interest_rate_percent <= Decimal(100):
        _add(errors, f"{path}.interest_rate_percent", "The interest rate must be 0 to 100 %.")
    _validate_templates(errors, path, level)


def _validate(data: PolicyInput) -> None:
    errors: Errors = {}
    if not data.name.strip():
        _add(errors, "name", "Give the policy a name.")
    if data.min_amount < 0:
        _add(errors, "min_amount", "The minimum amount cannot be negative.")
    if data.grace_days < 0:
        _add(errors, "grace_days", "Grace days cannot be negative.")
    for risk_class in data.risk_classes:
        if risk_class not in _RISK_CLASSES:
            _add(errors, "risk_classes", f"'{risk_class}' is not a risk class (A to E).")
    if not data.levels:
        _add(errors, "levels", "A policy needs at least one level.")
    previous: LevelInput | None = None
    for index, level in enumerate(data.levels):
        _validate_level(errors, index, level, previous)
        previous = level
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, errors=errors, code="invalid_dunning_policy")


def _level_rows(
    tenant: Tenant, policy: DunningPolicy, levels: list[LevelInput]
) -> tuple[list[DunningLevel | None], dict[int, DunningLevel]]:
    """The existing row each input level updates (None: a new level), and
    all the policy's rows by id. Refuses to move a sent level."""
    existing = {level.pk: level for level in policy.levels.all()}
    by_number = {level.number: level for level in existing.values()}
    by_id = any(data.level_id is not None for data in levels)
    rows: list[DunningLevel | None] = []
    for number, data in enumerate(levels, start=1):
        if not by_id:
            rows.append(by_number.get(number))
        elif data.level_id is None:
            rows.append(None)
        elif data.level_id in existing:
            rows.append(existing[data.level_id])
        else:
            raise NotFound("No such dunning level.")
    moved = {
        row.pk: row for number, row in enumerate(rows, start=1) if row and row.number != number
    }
    sent = set(
        DunningNotice.objects.for_tenant(tenant)
        .filter(level_id__in=moved)
        .values_list("level_id", flat=True)
        .distinct()
    )
    if sent:
        level = min((moved[pk] for pk in sent), key=lambda row: row.number)
        raise ConflictError(
            f"Level {level.number} ({level.name}) has been sent and keeps its place: add new "
            "levels after it, or make a new policy.",
            code="dunning_level_in_use",
        )
    return rows, existing


def _save_levels(tenant: Tenant, policy: DunningPolicy, levels: list[LevelInput]) -> None:
    rows, existing = _level_rows(tenant, policy, levels)
    # Park the numbers and days of kept levels out of the way first: the
    # unique (policy, number) and (policy, days) constraints would refuse a
    # swap written in order.
    for level in existing.values():
        level.days_overdue = -30000 - level.number
        level.number = 1000 + level.number
        level.save(update_fields=["number", "days_overdue"])
    for number, (data, row) in enumerate(zip(levels, rows, strict=True), start=1):
        if row is not None:
            level = existing.pop(row.pk)
            level.number = number
        else:
            level = DunningLevel(tenant=tenant, policy=policy, number=number)
        level.name = data.name.strip()
        level.days_overdue = data.days_overdue
        level.channel = data.channel
        level.fee_amount = data.fee_amount
        level.fee_currency = data.fee_currency
        level.interest_rate_percent = data.interest_rate_percent
        level.save()
        kept_languages = []
        for template in data.templates:
            DunningTemplate.objects.for_tenant(tenant).update_or_create(
                tenant=tenant,
                level=level,
                language=template.language,
                defaults={
                    "subject": template.subject,
                    "body": template.body,
                    "letter_text": template.letter_text,
                },
            )
            kept_languages.append(template.language)
        DunningTemplate.objects.for_tenant(tenant).filter(level=level).exclude(
            language__in=kept_languages
        ).delete()
    for level in existing.values():
        number = level.number - 1000
        try:
            with transaction.atomic():
                level.templates.all().delete()
                level.delete()
        except ProtectedError as exc:
            raise ConflictError(
                f"Level {number} ({level.name}) has been sent and cannot be removed; "
                "keep it or make a new policy.",
                code="dunning_level_in_use",
            ) from exc


def _apply(policy: DunningPolicy, data: PolicyInput) -> None:
    policy.name = data.name.strip()
    policy.description = data.description
    policy.is_default = data.is_default
    policy.risk_classes = sorted(set(data.risk_classes))
    policy.segments = sorted({s.strip() for s in data.segments if s.strip()})
    policy.min_amount = data.min_amount
    policy.grace_days = data.grace_days
    policy.is_active = data.is_active


def _save(tenant: Tenant, policy: DunningPolicy, data: PolicyInput) -> None:
    if data.is_default:
        # One default per tenant: making this one the default demotes the other.
        DunningPolicy.objects.for_tenant(tenant).filter(is_default=True).exclude(
            pk=policy.pk
        ).update(is_default=False)
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        raise ValidationFailed(
            f"A dunning policy named '{data.name}' already exists.",
            errors={"name": ["A policy with this name already exists."]},
            code="invalid_dunning_policy",
        ) from exc
    _save_levels(tenant, policy, data.levels)


@transaction.atomic
def dunning_policy_create(*, tenant: Tenant, actor: Actor, data: PolicyInput) -> DunningPolicy:
    _validate(data)
    policy = DunningPolicy(tenant=tenant)
    _apply(policy, data)
    _save(tenant, policy, data)
    audit_record(tenant=tenant, actor=actor, action="dunning.policy_created", instance=policy)
    return policy


@transaction.atomic
def dunning_policy_update(
    *, tenant: Tenant, actor: Actor, policy_id: int, data: PolicyInput
) -> DunningPolicy:
    _validate(data)
    policy = (
        DunningPolicy.objects.for_tenant(tenant).select_for_update().filter(pk=policy_id).first()
    )
    if policy is None:
        raise NotFound("No such dunning policy.")
    _apply(policy, data)
    _save(tenant, policy, data)
    audit_record(tenant=tenant, actor=actor, action="dunning.policy_updated", instance=policy)
    return policy


def dunning_policy_input(*, tenant: Tenant, policy: DunningPolicy) -> PolicyInput:
    """The policy as the input that would save it unchanged: the HTML editor
    changes one part of it (a level, a template) and saves the whole."""
    levels = []
    for level in (
        DunningLevel.objects.for_tenant(tenant)
        .filter(policy=policy)
        .prefetch_related("templates")
        .order_by("number")
    ):
        levels.append(
            LevelInput(
                level_id=level.pk,
                name=level.name,
                days_overdue=level.days_overdue,
                channel=level.channel,
                fee_amount=level.fee_amount,
                fee_currency=str(level.fee_currency),
                interest_rate_percent=level.interest_rate_percent,
                templates=[
                    TemplateInput(
                        language=t.language,
                        subject=t.subject,
                        body=t.body,
                        letter_text=t.letter_text,
                    )
                    for t in sorted(level.templates.all(), key=lambda t: t.language)
                ],
            )
        )
    return PolicyInput(
        name=policy.name,
        levels=levels,
        description=policy.description,
        is_default=policy.is_default,
        risk_classes=list(policy.risk_classes),
        segments=list(policy.segments),
        min_amount=policy.min_amount,
        grace_days=policy.grace_days,
        is_active=policy.is_active,
    )


@transaction.atomic
def dunning_policy_change(
    *,
    tenant: Tenant,
    actor: Actor,
    policy_id: int,
    change: Callable[[PolicyInput], PolicyInput],
) -> DunningPolicy:
    """Read the policy under its row lock, apply `change` and save it with the
    same checks as ``dunning_policy_update``. The lock spans the read, so two
    people editing two levels at once both keep their change; `change` may
    raise ValidationFailed, and any error leaves the policy as it was."""
    policy = (
        DunningPolicy.objects.for_tenant(tenant).select_for_update().filter(pk=policy_id).first()
    )
    if policy is None:
        raise NotFound("No such dunning policy.")
    data = change(dunning_policy_input(tenant=tenant, policy=policy))
    return dunning_policy_update(tenant=tenant, actor=actor, policy_id=policy_id, data=data)


def dunning_settings_set(
    *,
    tenant: Tenant,
    actor: Actor,
    is_enabled: bool,
    local_hour: int | None,
    monthly_statements: bool | None = None,
) -> DunningSettings:
    """When dunning runs; `monthly_statements` (None: unchanged) sends every
    customer with open items its statement of account on the first."""
    if local_hour is not None and not 0 <= local_hour <= 23:
        raise ValidationFailed(
            "The hour must be 0 to 23.", errors={"local_hour": ["Use an hour from 0 to 23."]}
        )
    values: dict[str, bool | int | None] = {"is_enabled": is_enabled, "local_hour": local_hour}
    if monthly_statements is not None:
        values["monthly_statements"] = monthly_statements
    row, _ = DunningSettings.objects.for_tenant(tenant).update_or_create(
        tenant=tenant, defaults=values
    )
    audit_record(tenant=tenant, actor=actor, action="dunning.settings_changed", instance=row)
    return row
