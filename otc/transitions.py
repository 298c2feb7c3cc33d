"""State machines of the domain: one table per model, one way to apply it.

Each app keeps its own table of allowed moves (and the sentences people read
when a move is refused) beside its model; this class applies a table the same
way everywhere: check, say why not, set the status, hand back the old one.
The caller saves, so a move and the rest of its change commit together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otc.errors import IllegalTransition


class TransitionTable:
    def __init__(
        self,
        *,
        moves: Mapping[str, frozenset[str]],
        labels: Mapping[str, str],
        refusals: Mapping[tuple[str, str], str] | None = None,
        stay_allowed: bool = False,
    ) -> None:
        self.moves = moves
        self.labels = {str(key): str(label) for key, label in labels.items()}
        self.refusals = refusals or {}
        # Whether setting the status it already has counts as a move.
        self.stay_allowed = stay_allowed

    def allows(self, current: str, target: str) -> bool:
        if self.stay_allowed and current == target:
            return True
        return target in self.moves.get(current, frozenset())

    def move(self, obj: Any, target: str, *, name: str) -> str:
        """Set `obj.status` to `target` if the table allows it, else raise
        IllegalTransition naming `name` (e.g. "Invoice INV-2026-000123").
        Returns the previous status."""
        current = str(obj.status)
        if not self.allows(current, target):
            detail = self.refusals.get(
                (current, target),
                f"{name} is {self._label(current)}: it cannot become {self._label(target)}.",
            )
            raise IllegalTransition(detail, current=current, requested=target)
        obj.status = target
        return current

    def _label(self, status: str) -> str:
        return self.labels.get(status, status).lower()
