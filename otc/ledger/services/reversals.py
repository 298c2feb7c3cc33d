"""Cancelling a posted item nothing was applied to."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from otc.audit.services import Actor, audit_record
from otc.errors import ConflictError
from otc.ledger.models import (
    Account,
    Application,
    ApplicationKind,
    ItemKind,
    OpenItem,
    Posting,
)
from otc.ledger.services._common import (
    _COUNTER_ACCOUNT,
    _Line,
    _locked_items,
    _post,
    _set_open,
)
from otc.tenancy.models import Tenant


def ledger_item_reverse(
    *, tenant: Tenant, actor: Actor, item_id: int, effective_date: date, reason: str
) -> OpenItem:
    """Cancel a posted item that nothing was applied to: a counter item of
    the opposite sign at the same rate is posted and applied to it, so both
    end closed and the history shows what happened."""
    with transaction.atomic():
        item = _locked_items(tenant, item_id)[item_id]
        if item.kind == ItemKind.REVERSAL or hasattr(item, "reversed_by"):
            raise ConflictError(f"{item.number} is already a reversal or reversed.")
        if item.open_amount != item.amount:
            raise ConflictError(f"{item.number} has applications; reverse those first.")
        counter = OpenItem.objects.for_tenant(tenant).create(
            tenant=tenant,
            customer=item.customer,
            kind=ItemKind.REVERSAL,
            number=f"REV-{item.number}"[:64],
            currency=item.currency,
            amount=-item.amount,
            fx_rate=item.fx_rate,
            base_amount=-item.base_amount,
            open_amount=-item.amount,
            open_base_amount=-item.base_amount,
            document_date=effective_date,
            due_date=None,
            source_type=item.source_type,
            source_id=item.source_id,
            reverses=item,
        )
        original_posting = (
            Posting.objects.for_tenant(tenant)
            .filter(lines__open_item=item, reverses__isnull=True)
            .order_by("pk")
            .first()
        )
        _post(
            tenant=tenant,
            actor=actor,
            customer=item.customer,
            effective_date=effective_date,
            memo=f"Reversal of {item.number}: {reason}",
            lines=[
                _Line(Account.RECEIVABLE, counter, item.currency, -item.amount, -item.base_amount),
                _Line(
                    _COUNTER_ACCOUNT[ItemKind(item.kind)],
                    None,
                    item.currency,
                    item.amount,
                    item.base_amount,
                ),
            ],
            reverses=original_posting,
        )
        debit, credit = (item, counter) if item.amount > 0 else (counter, item)
        settle = _post(
            tenant=tenant,
            actor=actor,
            customer=item.customer,
            effective_date=effective_date,
            memo=f"Reversal settles {item.number}",
            lines=[
                _Line(
                    Account.RECEIVABLE, credit, credit.currency, -credit.amount, -credit.base_amount
                ),
                _Line(Account.RECEIVABLE, debit, debit.currency, -debit.amount, -debit.base_amount),
            ],
        )
        Application.objects.for_tenant(tenant).create(
            tenant=tenant,
            kind=ApplicationKind.REVERSAL,
            debit_item=debit,
            credit_item=credit,
            amount=debit.amount,
            credit_amount=-credit.amount,
            debit_base_amount=debit.base_amount,
            credit_base_amount=-credit.base_amount,
            fx_gain_base=Decimal(0),
            effective_date=effective_date,
            posting=settle,
            created_by=actor.user,
        )
        for closed in (debit, credit):
            _set_open(
                closed,
                delta=-closed.open_amount,
                base_delta=-closed.open_base_amount,
                on=effective_date,
            )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="ledger.item_reversed",
            instance=item,
            changes={
                "status": {"before": "open", "after": "reversed"},
                "reason": {"before": None, "after": reason},
            },
        )
    return counter
