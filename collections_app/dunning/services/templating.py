"""Dunning templates: plain text with ``{placeholder}`` fields from a fixed list.

A tenant's collectors write the templates, so they are not Django templates
(no tags, no attribute access, nothing that could read data the letter should
not show). Every placeholder is checked when the template is saved; an
unknown one is refused with its name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# The documented placeholders, with what each becomes. Kept in one place:
# the policy editor and the API schema list them from here.
PLACEHOLDERS: dict[str, str] = {
    "customer_name": "The customer's trading (or legal) name",
    "customer_number": "The customer's number",
    "contact_name": "The dunning contact's name, or the customer's name",
    "company_name": "Your company's legal name",
    "run_date": "The date of the letter",
    "level_name": "The dunning level's name, e.g. 'Second reminder'",
    "total_due": "What the letter asks for, per currency, e.g. '1,200.00 EUR'",
    "item_count": "How many items the letter lists",
    "oldest_due_date": "The earliest due date among the items",
    "max_days_overdue": "Days the oldest item is overdue",
    "fees": "Fees and interest charged with this letter, per currency",
    "items": "The items, one per line: number, due date, days overdue, open amount",
}

_FIELD = re.compile(r"\{\s*([^{}\s]*)\s*\}")


def unknown_placeholders(text: str) -> list[str]:
    """Placeholder names in `text` that are not in PLACEHOLDERS, in order."""
    unknown: list[str] = []
    for match in _FIELD.finditer(text):
        name = match.group(1)
        if name not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
    return unknown


def render_template_text(text: str, values: Mapping[str, str]) -> str:
    """Fill the placeholders; anything unknown (checked on save) stays as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return values.get(name, match.group(0))

    return _FIELD.sub(replace, text)
