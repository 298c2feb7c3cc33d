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
from otc.transitions import TransitionTable

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


_TABLE = TransitionTable(moves=TRANSITIONS, labels=dict(InvoiceStatus.choices), refusals=_REFUSALS)


def can_transition(current: str, target: str) -> bool:
    return _TABLE.allows(current, target)


def _transition(invoice: Invoice, target: str) -> str:
    """Set the status to `target` if the table allows it, else raise
    IllegalTransition. Returns the previous status; the caller saves."""
    return _TABLE.move(invoice, target, name=str(invoice))
