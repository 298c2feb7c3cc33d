"""The policy editor's "Preview letter": a draft template, filled for one of
the tenant's customers as a letter of the level would be today, without
saving anything (no run, no letter, no notice, no charge).

Which items the preview lists: the customer's open debit items that have
reached the level's day (a reminder before the due date: items not yet due
within its days). When none has, it lists all the customer's open debit
items and says so, so the letter can still be read with real figures.
Fees are the level's fee; interest is an estimate since the due date (a sent
letter charges it since the last letter that did). With no customer, the
sample figures of ``template_preview_html`` fill it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string

from collections_app.dunning.models import ChargeKind, DunningLevel, DunningTemplate
from collections_app.dunning.services import documents as fmt
from collections_app.dunning.services.letters import (
    LetterItem,
    LetterTexts,
    letter_compose,
    template_preview_html,
)
from collections_app.dunning.services.policies import TemplateInput, dunning_template_errors
from otc.customers.models import Customer
from otc.errors import ValidationFailed
from otc.fx.money import quantize_money
from otc.ledger.models import DEBIT_KINDS
from otc.ledger.selectors import AgedItem, customer_aging
from otc.tenancy.models import Tenant


@dataclass(frozen=True)
class LetterPreview:
    html: str
    # Why the listed items were chosen, when it is not "the items at this level".
    note: str = ""


def _reaches(level: DunningLevel, days: int) -> bool:
    if level.days_overdue <= 0:
        return level.days_overdue <= days <= 0
    return days >= level.days_overdue


def _charges(level: DunningLevel, items: list[AgedItem], as_of: date, locale: str) -> list[str]:
    texts = []
    if level.fee_amount > 0:
        fee = fmt.money(level.fee_amount, str(level.fee_currency), locale)
        texts.append(f"{ChargeKind.FEE.label}: {fee}")
    if level.interest_rate_percent > 0:
        interest: dict[str, Decimal] = defaultdict(Decimal)
        for aged in items:
            due = aged.item.due_date
            days = max((as_of - due).days, 0) if due else 0
            interest[aged.item.currency] += (
                aged.open_amount * level.interest_rate_percent / 100 * days / 365
            )
        for currency, raw in sorted(interest.items()):
            amount = quantize_money(raw, currency)
            if amount > 0:
                money = fmt.money(amount, currency, locale)
                texts.append(f"{ChargeKind.INTEREST.label}: {money}")
    return texts


def dunning_letter_preview(
    *,
    tenant: Tenant,
    level: DunningLevel,
    draft: TemplateInput,
    customer: Customer | None,
    as_of: date,
) -> LetterPreview:
    """The letter `draft` makes for `customer` on `as_of` (HTML, the same
    page the PDF is printed from). A draft the policy would refuse (unknown
    placeholder, empty text) raises ValidationFailed naming the field."""
    errors = dunning_template_errors(draft)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, errors=errors, code="invalid_dunning_template")
    if customer is None:
        unsaved = DunningTemplate(
            tenant=tenant,
            level=level,
            language=draft.language,
            subject=draft.subject,
            body=draft.body,
            letter_text=draft.letter_text,
        )
        return LetterPreview(
            html=template_preview_html(tenant=tenant, template=unsaved),
            note="The tenant has no customer to show; sample figures fill the letter.",
        )

    locale = draft.language
    aging = customer_aging(tenant=tenant, customer=customer, as_of=as_of, with_items=True)
    debits = [
        aged
        for aged in aging.items
        if aged.item.kind in DEBIT_KINDS and aged.item.due_date and aged.open_amount > 0
    ]
    items = [aged for aged in debits if _reaches(level, aged.days_past_due)]
    note = ""
    if not items:
        items = debits
        note = (
            f"No open item of {customer.display_name} reaches this level today; "
            "the letter lists all its open items."
            if debits
            else f"{customer.display_name} has no open item; the letter lists none."
        )
    items.sort(key=lambda aged: (-aged.days_past_due, aged.item.pk))
    content = letter_compose(
        tenant=tenant,
        customer=customer,
        texts=LetterTexts(locale, draft.subject, draft.body, draft.letter_text),
        level_name=level.name,
        items=[
            LetterItem(
                number=aged.item.number,
                document_date=aged.item.document_date,
                due_date=aged.item.due_date,
                days_overdue=aged.days_past_due,
                level_name=level.name,
                open_amount=aged.open_amount,
                currency=aged.item.currency,
            )
            for aged in items
        ],
        fees=_charges(level, items, as_of, locale),
        run_date=as_of,
        aging=aging,
    )
    html = render_to_string(
        "collections_app/dunning/letter_pdf.html",
        {
            **fmt.branding_context(tenant),
            "letter": None,
            "customer": customer,
            "content": content,
            "paragraphs": [p for p in content.letter_text.split("\n\n") if p.strip()],
            "date": fmt.long_date(as_of, locale),
            "preview_note": note,
        },
    )
    return LetterPreview(html=html, note=note)
