"""Payment terms: the data and its consistency rules. Date arithmetic lives in
``otc.customers.selectors.payment_terms_due_date``."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any, TypedDict

from django.db import IntegrityError, transaction

from otc.audit.services import Actor, audit_record, snapshot
from otc.customers.models import PaymentTerms, PaymentTermsInstallment, PaymentTermsKind
from otc.customers.services.common import added, changed, check_same_tenant, full_clean
from otc.errors import ConflictError, ValidationFailed
from otc.tenancy.models import Tenant


class InstallmentSpec(TypedDict):
    """One part of split terms as callers give it (form, API, seed)."""

    share_percent: Decimal
    net_days: int
    kind: str


class PaymentTermsFields(TypedDict, total=False):
    code: str
    name: str
    kind: str
    net_days: int
    discount_percent: Decimal
    discount_days: int
    is_active: bool
    # Replaces every part; [] turns split terms back into a single due date.
    installments: list[InstallmentSpec]


MAX_INSTALLMENTS = 24
MAX_DAYS = 32767
# An end-of-month part followed by a net part: the month end can be up to
# 30 days after the document date, so the net part needs at least 31 more
# days to never fall due first.
_LONGEST_MONTH_REST = 30


PAYMENT_TERMS_AUDIT_FIELDS = [
    "code",
    "name",
    "kind",
    "net_days",
    "discount_percent",
    "discount_days",
    "is_active",
]


def _validate(terms: PaymentTerms) -> None:
    errors: dict[str, list[str]] = {}
    terms.code = str(terms.code or "").strip().upper()
    terms.name = str(terms.name or "").strip()
    if not terms.code:
        errors["code"] = ["Enter a short code such as NET30; ERPs and imports refer to it."]
    if not terms.name:
        errors["name"] = ["Enter a name people recognise, such as 'Net 30 days'."]
    if terms.kind not in PaymentTermsKind.values:
        errors["kind"] = [f"Choose the kind: {', '.join(PaymentTermsKind.values)}."]
    try:
        terms.discount_percent = Decimal(terms.discount_percent).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        errors["discount_percent"] = ["Enter the discount as a number such as 2 or 2.5."]
    else:
        if not Decimal(0) <= terms.discount_percent < Decimal(100):
            errors["discount_percent"] = ["Enter a discount from 0 up to (not including) 100."]
        elif terms.discount_percent and not terms.discount_days:
            errors["discount_days"] = [
                (
                    "A discount needs the number of days it is available for "
                    "(e.g. 10 for 2/10 net 30)."
                )
            ]
        elif terms.discount_days and not terms.discount_percent:
            errors["discount_percent"] = [
                "Enter the discount percent for the discount days, or set the discount days to 0."
            ]
    if (
        "discount_days" not in errors
        and terms.discount_days
        and terms.net_days is not None
        and terms.discount_days > terms.net_days
    ):
        errors["discount_days"] = [
            (
                f"The discount period ({terms.discount_days} days) cannot end after the due date "
                f"({terms.net_days} days)."
            )
        ]
    if errors:
        raise ValidationFailed("The payment terms need fixing.", errors=errors)
    full_clean(terms)
    clash = PaymentTerms.objects.for_tenant(terms.tenant).filter(code=terms.code)
    if terms.pk:
        clash = clash.exclude(pk=terms.pk)
    if clash.exists():
        raise ValidationFailed(
            "The code is taken.",
            errors={"code": [f"Payment terms with code {terms.code} exist already: pick another."]},
        )


def _installment_problems(index: int, spec: Any) -> tuple[InstallmentSpec | None, list[str]]:
    """One part checked and normalized, or the messages saying what to fix."""
    where = f"Part {index + 1}"
    if not isinstance(spec, dict):
        return None, [f"{where}: give share_percent, net_days and kind."]
    problems: list[str] = []
    share = Decimal(0)
    try:
        share = Decimal(str(spec.get("share_percent"))).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        problems.append(f"{where}: enter the share as a percentage such as 30 or 33.33.")
    else:
        if not Decimal(0) < share <= Decimal(100):
            problems.append(f"{where}: the share must be more than 0 and at most 100 %.")
    days = spec.get("net_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
        problems.append(f"{where}: enter the days until it falls due as a whole number ≥ 0.")
        days = 0
    kind = spec.get("kind") or PaymentTermsKind.NET
    if kind not in PaymentTermsKind.values:
        problems.append(f"{where}: choose the kind: {', '.join(PaymentTermsKind.values)}.")
    if problems:
        return None, problems
    return InstallmentSpec(share_percent=share, net_days=days, kind=str(kind)), []


def _falls_due_before(earlier: InstallmentSpec, later: InstallmentSpec) -> bool:
    """True when `later` can fall due before `earlier` on some document date."""
    if earlier["kind"] == later["kind"]:
        return later["net_days"] < earlier["net_days"]
    if earlier["kind"] == PaymentTermsKind.NET:
        # net d1, then end of month + d2: the month end is never before the date.
        return later["net_days"] < earlier["net_days"]
    return later["net_days"] < earlier["net_days"] + _LONGEST_MONTH_REST + 1


def validate_installments(terms: PaymentTerms, specs: Sequence[Any]) -> list[InstallmentSpec]:
    """The parts of split terms, normalized, in the order they fall due; or
    ValidationFailed under ``installments`` naming every problem. An empty
    list means the terms are not split."""
    if not specs:
        return []
    errors: list[str] = []
    if len(specs) == 1:
        errors.append(
            "One part is not a split: enter the net days instead, or add the other parts."
        )
    if len(specs) > MAX_INSTALLMENTS:
        errors.append(f"At most {MAX_INSTALLMENTS} parts.")
    parts: list[InstallmentSpec] = []
    for index, spec in enumerate(specs):
        part, problems = _installment_problems(index, spec)
        errors.extend(problems)
        if part is not None:
            parts.append(part)
    if not errors:
        total = sum((part["share_percent"] for part in parts), Decimal(0))
        if total != Decimal(100):
            errors.append(f"The shares add up to {total} %; they must add up to exactly 100 %.")
        for index, (earlier, later) in enumerate(pairwise(parts)):
            if _falls_due_before(earlier, later):
                errors.append(
                    f"Part {index + 2} can fall due before part {index + 1}: "
                    "list the parts in the order they fall due."
                )
    if terms.discount_percent or terms.discount_days:
        errors.append(
            "Split terms carry no early-payment discount: set the discount to 0 "
            "or remove the installments."
        )
    if errors:
        raise ValidationFailed("The installments need fixing.", errors={"installments": errors})
    return parts


def _installments_label(parts: Sequence[InstallmentSpec]) -> str:
    """For the audit trail, e.g. "30.00 % net 30; 30.00 % net 60; 40.00 % net 90"."""
    return "; ".join(f"{p['share_percent']} % {p['kind']} {p['net_days']}" for p in parts)


def _current_installments(terms: PaymentTerms) -> list[InstallmentSpec]:
    return [
        InstallmentSpec(share_percent=row.share_percent, net_days=row.net_days, kind=row.kind)
        for row in PaymentTermsInstallment.objects.for_tenant(terms.tenant)
        .filter(terms=terms)
        .order_by("sequence")
    ]


def _use_installments(terms: PaymentTerms, parts: Sequence[InstallmentSpec]) -> None:
    """Split terms are due in full on their last part's date: the terms' own
    kind and days say so, for every reader that knows one due date only."""
    terms.installment_count = len(parts)
    if parts:
        terms.kind = parts[-1]["kind"]
        terms.net_days = parts[-1]["net_days"]


def _store_installments(terms: PaymentTerms, parts: Sequence[InstallmentSpec]) -> None:
    rows = PaymentTermsInstallment.objects.for_tenant(terms.tenant)
    rows.filter(terms=terms).delete()
    rows.bulk_create(
        [
            PaymentTermsInstallment(
                tenant=terms.tenant,
                terms=terms,
                sequence=index + 1,
                share_percent=part["share_percent"],
                net_days=part["net_days"],
                kind=part["kind"],
            )
            for index, part in enumerate(parts)
        ]
    )


def _save(terms: PaymentTerms) -> None:
    try:
        with transaction.atomic():
            terms.save()
    except IntegrityError as error:
        raise ConflictError(
            f"Payment terms with code {terms.code} were saved at the same time."
        ) from error


@transaction.atomic
def payment_terms_create(
    *,
    tenant: Tenant,
    actor: Actor,
    code: str,
    name: str,
    net_days: int,
    kind: str = PaymentTermsKind.NET,
    discount_percent: Decimal = Decimal(0),
    discount_days: int = 0,
    is_active: bool = True,
    installments: Sequence[InstallmentSpec] = (),
) -> PaymentTerms:
    """New terms; with `installments` (shares summing to 100 %) every
    document under them falls due in parts."""
    terms = PaymentTerms(
        tenant=tenant,
        code=code,
        name=name,
        kind=kind,
        net_days=net_days,
        discount_percent=discount_percent,
        discount_days=discount_days,
        is_active=is_active,
    )
    parts = validate_installments(terms, list(installments))
    _use_installments(terms, parts)
    _validate(terms)
    _save(terms)
    _store_installments(terms, parts)
    values = snapshot(terms, PAYMENT_TERMS_AUDIT_FIELDS)
    if parts:
        values["installments"] = _installments_label(parts)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="payment_terms.created",
        instance=terms,
        changes=added(values),
    )
    return terms


@transaction.atomic
def payment_terms_update(
    *, tenant: Tenant, actor: Actor, terms: PaymentTerms, data: PaymentTermsFields
) -> PaymentTerms:
    """Change terms in place. Documents already issued keep the due dates
    (and installments) they were given; customers keep pointing at these
    terms. `installments` in `data` replaces every part."""
    check_same_tenant(terms, tenant)
    terms = PaymentTerms.objects.for_tenant(tenant).select_for_update().get(pk=terms.pk)
    before = snapshot(terms, PAYMENT_TERMS_AUDIT_FIELDS)
    current = _current_installments(terms)
    before["installments"] = _installments_label(current)
    fields: dict[str, Any] = dict(data)
    new_parts: list[InstallmentSpec] | None = fields.pop("installments", None)
    for name, value in fields.items():
        setattr(terms, name, value)
    parts = validate_installments(terms, list(current if new_parts is None else new_parts))
    _use_installments(terms, parts)
    _validate(terms)
    after = snapshot(terms, PAYMENT_TERMS_AUDIT_FIELDS)
    after["installments"] = _installments_label(parts)
    changes = changed(before, after)
    if not changes:
        return terms
    _save(terms)
    if parts != current:
        _store_installments(terms, parts)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="payment_terms.updated",
        instance=terms,
        changes=changes,
    )
    return terms
