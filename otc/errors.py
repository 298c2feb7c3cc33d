"""Domain errors: what a service raises when a request cannot be carried out.

They live in the kernel, beside nothing else, so every app can raise them
without knowing about HTTP. The interfaces translate them: the REST API turns
them into problem+json responses (``otc.api.errors``: 404, 409, 422, 403),
HTML views into a message or a 404 page.

Services raise the most specific class; ``code`` becomes the machine-readable
problem type in the API, ``detail`` the sentence a person reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """A business rule refused the operation. Subclass it; do not raise it bare
    unless nothing below fits."""

    code = "domain_error"
    default_detail = "The operation was refused."

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        self.detail = detail or self.default_detail
        if code is not None:
            self.code = code
        super().__init__(self.detail)


class NotFound(DomainError):  # noqa: N818  (reads as a statement, like Django's Http404)
    """The object does not exist *or belongs to another tenant*; callers must
    never be able to tell those two apart."""

    code = "not_found"
    default_detail = "Not found."


class ValidationFailed(DomainError):  # noqa: N818
    """Well-formed input that breaks a business rule (a limit exceeded, a
    currency that does not match). ``errors`` maps a field path such as
    ``lines[0].amount`` to its messages; use "" for the object as a whole."""

    code = "validation_failed"
    default_detail = "The input breaks a business rule."

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Mapping[str, Sequence[str]] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail, code=code)
        self.errors: dict[str, list[str]] = {
            field: list(messages) for field, messages in (errors or {}).items()
        }


class ConflictError(DomainError):
    """The operation conflicts with the current state of the data (a
    duplicate external reference, a concurrent change, a used-up limit)."""

    code = "conflict"
    default_detail = "The operation conflicts with the current state."


class IllegalTransition(ConflictError):  # noqa: N818
    """A state machine refused a transition (e.g. paying a cancelled invoice)."""

    code = "illegal_transition"
    default_detail = "That state change is not allowed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        current: str = "",
        requested: str = "",
        code: str | None = None,
    ) -> None:
        if detail is None and current and requested:
            detail = f"Cannot go from '{current}' to '{requested}'."
        super().__init__(detail, code=code)
        self.current = current
        self.requested = requested


class NotPermitted(DomainError):  # noqa: N818
    """The actor may do this kind of thing in general, but not this one (an
    amount above their approval limit, a document they did not create)."""

    code = "not_permitted"
    default_detail = "You are not allowed to do this."
