"""Paying approved EUR refunds through the bank: one SEPA credit transfer
file (pain.001.001.03, written and checked against its schema by `sepaxml`)
per batch, from the tenant's own account (its IBAN and BIC in the tenant
settings) to each customer's.

Exporting is a compare-and-set under row locks: only approved, not yet
exported refunds go into a file, and each is marked exported in the same
transaction, so a second export (or a retry) never pays a refund twice. An
idempotency key returns the file the first request made.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from sepaxml import SepaTransfer

from deductions.models import Refund, RefundExport, RefundStatus
from deductions.services.refunds import move_refund
from otc.audit.services import Actor, audit_record
from otc.errors import NotFound, ValidationFailed
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

SEPA_CURRENCY = "EUR"
SEPA_SCHEMA = "pain.001.001.03"
CENTS = Decimal(100)


def _debtor(tenant: Tenant) -> dict[str, object]:
    if not tenant.iban:
        raise ValidationFailed(
            "Your company's IBAN is not set: enter it in the tenant settings before paying "
            "refunds by bank transfer.",
            code="no_debtor_account",
        )
    config: dict[str, object] = {
        "name": (tenant.legal_name or tenant.name)[:70],
        "IBAN": tenant.iban,
        "batch": True,
        "currency": SEPA_CURRENCY,
    }
    if tenant.bic:
        config["BIC"] = tenant.bic
    return config


def _payable(*, tenant: Tenant, refund_ids: Sequence[int] | None) -> list[Refund]:
    rows = Refund.objects.for_tenant(tenant).select_for_update().order_by("pk")
    if refund_ids is None:
        return list(rows.filter(status=RefundStatus.APPROVED, currency=SEPA_CURRENCY))
    found = {row.pk: row for row in rows.filter(pk__in=refund_ids)}
    errors: list[str] = []
    for refund_id in refund_ids:
        row = found.get(refund_id)
        if row is None:
            raise NotFound("No such refund.")
        if row.currency != SEPA_CURRENCY:
            errors.append(f"{row.number} is in {row.currency}; SEPA transfers are in EUR.")
        elif row.status != RefundStatus.APPROVED:
            errors.append(f"{row.number} is {row.get_status_display().lower()}.")
    if errors:
        raise ValidationFailed(
            "Only approved EUR refunds that were not exported yet go into a transfer file.",
            errors={"refund_ids": errors},
            code="not_exportable",
        )
    return [found[refund_id] for refund_id in sorted(set(refund_ids))]


def refunds_export(
    *,
    tenant: Tenant,
    actor: Actor,
    refund_ids: Sequence[int] | None = None,
    execution_date: date | None = None,
    idempotency_key: str = "",
) -> RefundExport:
    """Write the transfer file for the given approved EUR refunds (all of
    them when `refund_ids` is None) and mark them exported."""
    key = idempotency_key.strip()[:100]
    execution_date = execution_date or tenant_today(tenant)
    with transaction.atomic():
        if key:
            done = RefundExport.objects.for_tenant(tenant).filter(idempotency_key=key).first()
            if done is not None:
                return done
        config = _debtor(tenant)
        refunds = _payable(tenant=tenant, refund_ids=refund_ids)
        if not refunds:
            raise ValidationFailed(
                "No approved EUR refunds are waiting to be paid.", code="nothing_to_export"
            )
        transfer = SepaTransfer(config, schema=SEPA_SCHEMA, clean=True)
        for refund in refunds:
            payment: dict[str, object] = {
                "name": refund.payee_name,
                "IBAN": refund.payee_iban,
                "amount": int(refund.amount * CENTS),
                "execution_date": execution_date,
                "description": (refund.note or f"Refund {refund.number}")[:140],
                "endtoend_id": refund.number[:35],
            }
            if refund.payee_bic:
                payment["BIC"] = refund.payee_bic
            transfer.add_payment(payment)
        xml = transfer.export(validate=True).decode()
        export = RefundExport.objects.for_tenant(tenant).create(
            tenant=tenant,
            message_id=transfer.msg_id,
            execution_date=execution_date,
            currency=SEPA_CURRENCY,
            total=sum((refund.amount for refund in refunds), Decimal(0)),
            count=len(refunds),
            xml=xml,
            idempotency_key=key,
            created_by=actor.user,
        )
        for refund in refunds:
            move_refund(refund, RefundStatus.EXPORTED)
            refund.export = export
            refund.save(update_fields=["status", "export", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="refund.exported",
            instance=export,
            changes={
                "refunds": [refund.number for refund in refunds],
                "total": f"{export.total} {SEPA_CURRENCY}",
            },
        )
    return export


def refund_export_get(*, tenant: Tenant, export_id: int) -> RefundExport:
    export = RefundExport.objects.for_tenant(tenant).filter(pk=export_id).first()
    if export is None:
        raise NotFound("No such transfer file.")
    return export
