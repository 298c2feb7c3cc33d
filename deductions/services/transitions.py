"""The one transition table of deductions.

    new ─assign─> assigned ─start─> in_research ─> waiting_customer ─┐
                                        │  ^     └> waiting_internal ─┤
                                        v  └──────────(back)──────────┘
                               valid / invalid ─(last cent resolved)─> resolved ─close─> closed
    resolved, closed ─reopen (with a reason)─> in_research
    new ... waiting_* ─cancel (the cash application was undone)─> cancelled
    new ─(auto write-off rule)─> resolved

A verdict can be taken back (valid/invalid -> in_research) while nothing is
resolved; resolutions themselves are undone only by reversing postings.
"""

from __future__ import annotations

from deductions.models import Deduction, DeductionStatus
from otc.transitions import TransitionTable

S = DeductionStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.ASSIGNED, S.IN_RESEARCH, S.RESOLVED, S.CANCELLED}),
    S.ASSIGNED: frozenset({S.IN_RESEARCH, S.CANCELLED}),
    S.IN_RESEARCH: frozenset(
        {S.WAITING_CUSTOMER, S.WAITING_INTERNAL, S.VALID, S.INVALID, S.CANCELLED}
    ),
    S.WAITING_CUSTOMER: frozenset({S.IN_RESEARCH, S.VALID, S.INVALID, S.CANCELLED}),
    S.WAITING_INTERNAL: frozenset({S.IN_RESEARCH, S.VALID, S.INVALID, S.CANCELLED}),
    S.VALID: frozenset({S.IN_RESEARCH, S.RESOLVED}),
    S.INVALID: frozenset({S.IN_RESEARCH, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_RESEARCH}),
    S.CLOSED: frozenset({S.IN_RESEARCH}),
    S.CANCELLED: frozenset(),
}

# Statuses a person moves a deduction to by hand (the rest follow from
# assigning, resolving or cancelling).
MANUAL_TARGETS = frozenset(
    {S.IN_RESEARCH, S.WAITING_CUSTOMER, S.WAITING_INTERNAL, S.VALID, S.INVALID, S.CLOSED}
)

# Statuses in which resolutions may be posted: a verdict has been reached.
RESOLVABLE = frozenset({S.VALID, S.INVALID})

_REFUSALS: dict[tuple[str, str], str] = {
    (S.NEW, S.VALID): "Research the deduction before validating it.",
    (S.NEW, S.INVALID): "Research the deduction before validating it.",
    (S.ASSIGNED, S.VALID): "Start the research before validating the deduction.",
    (S.ASSIGNED, S.INVALID): "Start the research before validating the deduction.",
    (S.VALID, S.CLOSED): "Resolve the deduction (credit memo, write-off) before closing it.",
    (S.INVALID, S.CLOSED): "Resolve the deduction (re-bill, write-off) before closing it.",
}


_TABLE = TransitionTable(
    moves=TRANSITIONS, labels=dict(DeductionStatus.choices), refusals=_REFUSALS
)


def can_transition(current: str, target: str) -> bool:
    return _TABLE.allows(current, target)


def transition(deduction: Deduction, target: str) -> str:
    """Set the status to `target` if the table allows it, else raise
    IllegalTransition. Returns the previous status; the caller saves."""
    return _TABLE.move(deduction, target, name=f"Deduction {deduction.pk}")
