"""Payment terms: the data and its consistency rules. Date arithmetic lives in
``otc.customers.selectors.payment_terms_due_date``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TypedDict

from django.db import IntegrityError, transaction

from otc.audit.services import Actor, audit_record, snapshot
from otc.customers.models import PaymentTerms, PaymentTermsKind
from otc.customers.services.common import added, changed, check_same_tenant, full_clean
from otc.errors import ConflictError, ValidationFailed
from otc.tenancy.models import Tenant


class PaymentTermsFields(TypedDict, total=False):
    code: str
    name: str
    kind: str
    net_days: int
    discount_percent: Decimal
    discount_days: int
    is_active: bool


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
) -> PaymentTerms:
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
    _validate(terms)
    _save(terms)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="payment_terms.created",
        instance=terms,
        changes=added(snapshot(terms, PAYMENT_TERMS_AUDIT_FIELDS)),
    )
    return terms


@transaction.atomic
def payment_terms_update(
    *, tenant: Tenant, actor: Actor, terms: PaymentTerms, data: PaymentTermsFields
) -> PaymentTerms:
    """Change terms in place. Documents already issued keep the due dates
    they were given; customers keep pointing at these terms."""
    check_same_tenant(terms, tenant)
    terms = PaymentTerms.objects.for_tenant(tenant).select_for_update().get(pk=terms.pk)
    before = snapshot(terms, PAYMENT_TERMS_AUDIT_FIELDS)
    for name, value in data.items():
        setattr(terms, name, value)
    _validate(terms)
    changes = changed(before, snapshot(terms, PAYMENT_TERMS_AUDIT_FIELDS))
    if not changes:
        return terms
    _save(terms)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="payment_terms.updated",
        instance=terms,
        changes=changes,
    )
    return terms
