"""The one transition table of invoice documents (invoices and memos alike).

    draft ──issue──> issued ──payment──> partially_paid ──payment──> paid
      │                │  ^                   │   ^                    │
      │                │  └── payment reversed ┘   └── payment reversed ┘
      └─discard─> cancelled <── full credit memo (issued, partially_paid)

Only ``invoice_cancel`` moves an issued document to cancelled, and only by
issuing the full credit memo in the same transaction; payment states follow
the ledger through ``invoice_refresh_payment_status``. Cancelled is final.
"""

from __future__ import annotations

from invoicing.models import Invoice, InvoiceStatus
from otc.errors import IllegalTransition

S = InvoiceStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.ISSUED, S.CANCELLED}),
    S.ISSUED: frozenset({S.PARTIALLY_PAID, S.PAID, S.CANCELLED}),
    S.PARTIALLY_PAID: frozenset({S.ISSUED, S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.PARTIALLY_PAID, S.ISSUED}),
    S.CANCELLED: frozenset(),
}

# What people read when a move is refused, per (from, to).
_REFUSALS: dict[tuple[str, str], str] = {
    (S.PAID, S.CANCELLED): "A paid document cannot be cancelled; issue a credit memo instead.",
    (S.CANCELLED, S.ISSUED): "A cancelled document stays cancelled; create a new one.",
}


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def _transition(invoice: Invoice, target: str) -> str:
    """Set the status to `target` if the table allows it, else raise
    IllegalTransition. Returns the previous status; the caller saves."""
    current = invoice.status
    if not can_transition(current, target):
        labels = dict(InvoiceStatus.choices)
        detail = _REFUSALS.get(
            (current, target),
            f"{invoice} is {labels.get(current, current).lower()}: it cannot become "
            f"{labels.get(target, target).lower()}.",
        )
        raise IllegalTransition(detail, current=current, requested=target)
    invoice.status = target
    return current
