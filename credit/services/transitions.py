"""The one transition table of orders.

    draft ─submit─> submitted ─check─> approved ──invoice──> partially_invoiced ─> invoiced
                        ^      └─────> held ─release─> released ─invoice─┘
                        │               ├─reject──> rejected
                        └─resubmit── info_requested <─request info
    draft, held, info_requested, approved, released ─cancel─> cancelled

`submitted` lasts only inside the submitting transaction: the credit check
decides in the same request. A held order cannot be submitted again; only
an analyst's decision moves it (the bypass other tools suffer from).
"""

from __future__ import annotations

from credit.models import Order, OrderStatus
from otc.transitions import TransitionTable

S = OrderStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.APPROVED, S.HELD}),
    S.HELD: frozenset({S.RELEASED, S.REJECTED, S.INFO_REQUESTED, S.CANCELLED}),
    S.INFO_REQUESTED: frozenset({S.SUBMITTED, S.REJECTED, S.CANCELLED}),
    S.APPROVED: frozenset({S.PARTIALLY_INVOICED, S.INVOICED, S.CANCELLED}),
    S.RELEASED: frozenset({S.PARTIALLY_INVOICED, S.INVOICED, S.CANCELLED}),
    S.PARTIALLY_INVOICED: frozenset({S.PARTIALLY_INVOICED, S.INVOICED}),
    S.INVOICED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}

_REFUSALS: dict[tuple[str, str], str] = {
    (S.HELD, S.SUBMITTED): "The order is on credit hold: submitting it again does not lift "
    "the hold. A credit analyst releases, rejects or asks for information.",
    (S.APPROVED, S.SUBMITTED): "The order is already approved.",
    (S.RELEASED, S.SUBMITTED): "The order is already released.",
    (S.REJECTED, S.SUBMITTED): "A rejected order stays rejected; enter a new order.",
}


_TABLE = TransitionTable(moves=TRANSITIONS, labels=dict(OrderStatus.choices), refusals=_REFUSALS)


def can_transition(current: str, target: str) -> bool:
    return _TABLE.allows(current, target)


def transition(order: Order, target: str) -> str:
    """Set the status to `target` if the table allows it, else raise
    IllegalTransition. Returns the previous status; the caller saves."""
    return _TABLE.move(order, target, name=str(order))
