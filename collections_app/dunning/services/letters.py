"""Dunning letters: their content, fees and interest, the PDF and the e-mail.

``dunning_letter_deliver`` is what a worker runs for one letter (task on the
"email" queue):

1. lock the letter; anything but *pending* means another task has it or it
   is done, so nothing happens (a duplicated or retried task is harmless);
2. post the letter's fee and interest as debit memos, once (the letter's
   ``charges_posted`` flag and the unique (letter, kind, currency) charge
   row guard it);
3. fill the template in the customer's language (falling back to the
   tenant's, then to any the level has) and render the PDF with the
   tenant's branding;
4. a letter-only channel ends here (*printed*: the PDF waits to be posted);
   otherwise compare-and-set *pending* -> *sending* and commit, then send
   the e-mail with the PDF attached, then *sent*. An SMTP error puts it back
   to *pending* for a later try (failed after MAX_ATTEMPTS).

A worker that dies between the *sending* commit and the send leaves the
letter *sending*: whether the message left is unknown, so it is never sent
again by itself (a person can see it in the run's drill-down). Everything
before that commit rolls back with the worker, so the letter is simply
delivered by the next attempt.
"""

from __future__ import annotations

import smtplib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from collections_app.dunning.models import (
    ChargeKind,
    DunningChannel,
    DunningCharge,
    DunningLetter,
    DunningNotice,
    DunningRun,
    DunningTemplate,
    LetterStatus,
    RunStatus,
)
from collections_app.dunning.services import documents as fmt
from collections_app.dunning.services.templating import render_template_text
from otc.audit.services import Actor
from otc.customers.models import ContactRole, Customer
from otc.customers.selectors import customer_contacts_for_role
from otc.fx.money import quantize_money
from otc.fx.selectors.rates import fx_rate
from otc.ledger.models import ItemKind
from otc.ledger.selectors import CustomerAging, customer_aging
from otc.ledger.services import ledger_item_post
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

MAX_ATTEMPTS = 5
# Fees and interest fall due this many days after the letter.
CHARGE_DUE_DAYS = 14
CHARGE_SOURCE = "collections_app.dunningletter"
_SYSTEM = Actor.system("dunning")


class Outcome(StrEnum):
    SENT = "sent"
    PRINTED = "printed"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class LetterLine:
    number: str
    document_date: str
    due_date: str
    days_overdue: int
    level: str
    open_amount: str


@dataclass
class LetterContent:
    language: str
    subject: str
    body: str
    letter_text: str
    lines: list[LetterLine]
    totals: list[str]
    fees: list[str]
    aging: list[tuple[str, str]] = field(default_factory=list)
    aging_total: str = ""


def _template_for(tenant: Tenant, letter: DunningLetter) -> DunningTemplate:
    templates = {
        t.language: t
        for t in DunningTemplate.objects.for_tenant(tenant).filter(level=letter.level_id)
    }
    for language in (letter.customer.language, tenant.locale[:2], "en"):
        if language in templates:
            return templates[language]
    return next(iter(sorted(templates.values(), key=lambda t: t.language)))


def letter_contact_name(tenant: Tenant, customer: Customer) -> str:
    for role in (ContactRole.DUNNING, ContactRole.AP):
        for contact in customer_contacts_for_role(tenant=tenant, customer=customer, role=role):
            if contact.name:
                return contact.name
    return customer.display_name


def letter_recipients(*, tenant: Tenant, customer: Customer) -> list[str]:
    """The dunning contacts' addresses, or the AP contacts' when there are none."""
    for role in (ContactRole.DUNNING, ContactRole.AP):
        addresses: list[str] = []
        for contact in customer_contacts_for_role(tenant=tenant, customer=customer, role=role):
            if contact.email and contact.email.lower() not in {a.lower() for a in addresses}:
                addresses.append(contact.email)
        if addresses:
            return addresses
    return []


@dataclass(frozen=True)
class LetterItem:
    """One open item as a letter lists it."""

    number: str
    document_date: date
    due_date: date | None
    days_overdue: int
    level_name: str
    open_amount: Decimal
    currency: str


@dataclass(frozen=True)
class LetterTexts:
    """A template's three texts in one language."""

    language: str
    subject: str
    body: str
    letter_text: str


def letter_compose(
    *,
    tenant: Tenant,
    customer: Customer,
    texts: LetterTexts,
    level_name: str,
    items: list[LetterItem],
    fees: list[str],
    run_date: date,
    aging: CustomerAging,
) -> LetterContent:
    """Fill `texts` for `customer` with `items` (listed in the given order),
    figures formatted in the texts' language: the one composer of a sent
    letter and of the policy editor's preview."""
    locale = texts.language
    totals: dict[str, Decimal] = defaultdict(Decimal)
    lines = []
    for item in items:
        totals[item.currency] += item.open_amount
        lines.append(
            LetterLine(
                number=item.number,
                document_date=fmt.short_date(item.document_date, locale),
                due_date=fmt.short_date(item.due_date, locale) if item.due_date else "",
                days_overdue=item.days_overdue,
                level=item.level_name,
                open_amount=fmt.money(item.open_amount, item.currency, locale),
            )
        )
    total_texts = [fmt.money(amount, cur, locale) for cur, amount in sorted(totals.items())]
    values = {
        "customer_name": customer.display_name,
        "customer_number": customer.number,
        "contact_name": letter_contact_name(tenant, customer),
        "company_name": tenant.legal_name or tenant.name,
        "run_date": fmt.long_date(run_date, locale),
        "level_name": level_name,
        "total_due": ", ".join(total_texts),
        "item_count": str(len(lines)),
        "oldest_due_date": max(lines, key=lambda line: line.days_overdue).due_date if lines else "",
        "max_days_overdue": str(max((line.days_overdue for line in lines), default=0)),
        "fees": "\n".join(fees),
        "items": "\n".join(
            f"{line.number}  {line.due_date}  {line.days_overdue}  {line.open_amount}"
            for line in lines
        ),
    }
    return LetterContent(
        language=locale,
        subject=render_template_text(texts.subject, values).replace("\n", " ")[:300],
        body=render_template_text(texts.body, values),
        letter_text=render_template_text(texts.letter_text, values),
        lines=lines,
        totals=total_texts,
        fees=fees,
        aging=[
            (bucket.label, fmt.money(amount, aging.base_currency, locale))
            for bucket, amount in zip(aging.buckets, aging.amounts, strict=True)
        ],
        aging_total=fmt.money(aging.total, aging.base_currency, locale),
    )


def letter_content(*, tenant: Tenant, letter: DunningLetter) -> LetterContent:
    """What the letter says, figures formatted in its language."""
    template = _template_for(tenant, letter)
    locale = template.language
    notices = (
        DunningNotice.objects.for_tenant(tenant)
        .filter(letter=letter)
        .select_related("open_item", "level")
        .order_by("-days_overdue", "open_item_id")
    )
    fee_texts = [
        f"{charge.get_kind_display()}: {fmt.money(charge.amount, charge.currency, locale)}"
        for charge in DunningCharge.objects.for_tenant(tenant).filter(letter=letter).order_by("id")
    ]
    return letter_compose(
        tenant=tenant,
        customer=letter.customer,
        texts=LetterTexts(locale, template.subject, template.body, template.letter_text),
        level_name=letter.level.name,
        items=[
            LetterItem(
                number=notice.open_item.number,
                document_date=notice.open_item.document_date,
                due_date=notice.open_item.due_date,
                days_overdue=notice.days_overdue,
                level_name=notice.level.name,
                open_amount=notice.open_amount,
                currency=notice.currency,
            )
            for notice in notices
        ],
        fees=fee_texts,
        run_date=letter.run.run_date,
        aging=customer_aging(
            tenant=tenant, customer=letter.customer, as_of=letter.run.run_date, with_items=False
        ),
    )


def _branding_context(tenant: Tenant) -> dict[str, Any]:
    return fmt.branding_context(tenant)


def letter_html(*, tenant: Tenant, letter: DunningLetter, content: LetterContent) -> str:
    return render_to_string(
        "collections_app/dunning/letter_pdf.html",
        {
            **_branding_context(tenant),
            "letter": letter,
            "customer": letter.customer,
            "content": content,
            "paragraphs": [p for p in content.letter_text.split("\n\n") if p.strip()],
            "date": fmt.long_date(letter.run.run_date, content.language),
        },
    )


def html_to_pdf(html: str) -> bytes:
    return fmt.html_to_pdf(html)


def _interest_days(tenant: Tenant, notice: DunningNotice) -> int:
    """Days of interest not yet charged on the notice's item: since the last
    letter that charged it, or since the due date."""
    last = (
        DunningNotice.objects.for_tenant(tenant)
        .filter(open_item_id=notice.open_item_id, interest_amount__gt=0)
        .exclude(pk=notice.pk)
        .aggregate(day=Max("run__run_date"))["day"]
    )
    due = notice.open_item.due_date
    start = last if last is not None else due
    if start is None:
        return 0
    return max((notice.run.run_date - start).days, 0)


def _post_charge(
    tenant: Tenant,
    letter: DunningLetter,
    *,
    kind: str,
    currency: str,
    amount: Decimal,
    rate: Decimal,
) -> None:
    amount = quantize_money(amount, currency)
    if amount <= 0:
        return
    run_date: date = letter.run.run_date
    suffix = "F" if kind == ChargeKind.FEE else "I"
    item = ledger_item_post(
        tenant=tenant,
        actor=_SYSTEM,
        customer=letter.customer,
        kind=ItemKind.DEBIT_MEMO,
        number=f"DUN-{letter.pk}-{suffix}-{currency}",
        currency=currency,
        amount=amount,
        document_date=run_date,
        due_date=run_date + timedelta(days=CHARGE_DUE_DAYS),
        source_type=CHARGE_SOURCE,
        source_id=str(letter.pk),
        rate=rate,
    )
    DunningCharge.objects.for_tenant(tenant).create(
        tenant=tenant, letter=letter, kind=kind, currency=currency, amount=amount, open_item=item
    )


def _post_charges(tenant: Tenant, letter: DunningLetter) -> None:
    """Fee of the letter's level and interest per currency, as debit memos:
    separate ledger items, so interest stays owed after the principal is paid."""
    level = letter.level
    if level.fee_amount > 0:
        rate = Decimal(1)
        if str(level.fee_currency) != str(tenant.base_currency):
            rate = fx_rate(
                tenant=tenant,
                from_currency=str(level.fee_currency),
                to_currency=str(tenant.base_currency),
                on=letter.run.run_date,
            ).rate
        _post_charge(
            tenant,
            letter,
            kind=ChargeKind.FEE,
            currency=str(level.fee_currency),
            amount=level.fee_amount,
            rate=rate,
        )
    interest: dict[str, Decimal] = defaultdict(Decimal)
    rates: dict[str, Decimal] = {}
    notices = (
        DunningNotice.objects.for_tenant(tenant)
        .filter(letter=letter, level__interest_rate_percent__gt=0)
        .select_related("open_item", "level", "run")
    )
    for notice in notices:
        days = _interest_days(tenant, notice)
        amount = quantize_money(
            notice.open_amount * notice.level.interest_rate_percent / 100 * days / 365,
            notice.currency,
        )
        if amount > 0:
            notice.interest_amount = amount
            notice.save(update_fields=["interest_amount"])
            interest[notice.currency] += amount
            rates.setdefault(notice.currency, notice.open_item.fx_rate)
    for currency, amount in sorted(interest.items()):
        _post_charge(
            tenant,
            letter,
            kind=ChargeKind.INTEREST,
            currency=currency,
            amount=amount,
            rate=rates[currency],
        )


def _run_complete_if_done(tenant: Tenant, run_id: int) -> None:
    busy = DunningLetter.objects.for_tenant(tenant).filter(
        run_id=OuterRef("pk"), status__in=[LetterStatus.PENDING, LetterStatus.SENDING]
    )
    DunningRun.objects.for_tenant(tenant).filter(pk=run_id, status=RunStatus.SELECTED).exclude(
        Exists(busy)
    ).update(status=RunStatus.COMPLETED, finished_at=timezone.now())


def _prepare(tenant: Tenant, letter_id: int) -> tuple[DunningLetter | None, Outcome | None]:
    """Step 1 to 4 in one transaction; returns the letter and, when it is
    already settled, the outcome."""
    letter = (
        DunningLetter.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer", "run", "level")
        .filter(pk=letter_id)
        .first()
    )
    if letter is None or letter.status != LetterStatus.PENDING:
        return None, Outcome.SKIPPED
    if not letter.charges_posted:
        _post_charges(tenant, letter)
        letter.charges_posted = True
    content = letter_content(tenant=tenant, letter=letter)
    letter.language = content.language
    letter.subject = content.subject
    letter.body = content.body
    letter.pdf = html_to_pdf(letter_html(tenant=tenant, letter=letter, content=content))
    fields = ["charges_posted", "language", "subject", "body", "pdf", "status", "attempts"]
    if letter.channel == DunningChannel.LETTER:
        letter.status = LetterStatus.PRINTED
        letter.sent_at = timezone.now()
        letter.save(update_fields=[*fields, "sent_at"])
        return letter, Outcome.PRINTED
    letter.recipients = letter_recipients(tenant=tenant, customer=letter.customer)
    if not letter.recipients:
        letter.status = LetterStatus.FAILED
        letter.last_error = "The customer has no dunning or AP contact with an e-mail address."
        letter.save(update_fields=[*fields, "recipients", "last_error"])
        return letter, Outcome.FAILED
    letter.status = LetterStatus.SENDING
    letter.attempts += 1
    letter.save(update_fields=[*fields, "recipients"])
    return letter, None


def dunning_letter_deliver(*, tenant: Tenant, letter_id: int) -> Outcome:
    with transaction.atomic():
        letter, settled = _prepare(tenant, letter_id)
    if letter is None:
        return Outcome.SKIPPED
    if settled is not None:
        _run_complete_if_done(tenant, letter.run_id)
        return settled
    message = EmailMessage(subject=letter.subject, body=letter.body, to=list(letter.recipients))
    message.attach(
        f"reminder-{letter.customer.number}-{letter.pk}.pdf",
        bytes(letter.pdf or b""),
        "application/pdf",
    )
    letters = DunningLetter.objects.for_tenant(tenant).filter(
        pk=letter.pk, status=LetterStatus.SENDING
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        final = letter.attempts >= MAX_ATTEMPTS or isinstance(exc, smtplib.SMTPRecipientsRefused)
        letters.update(
            status=LetterStatus.FAILED if final else LetterStatus.PENDING,
            last_error=str(exc)[:1000],
        )
        if final:
            _run_complete_if_done(tenant, letter.run_id)
        return Outcome.FAILED if final else Outcome.RETRY
    letters.update(status=LetterStatus.SENT, sent_at=timezone.now(), last_error="")
    _run_complete_if_done(tenant, letter.run_id)
    return Outcome.SENT


def letter_preview_html(*, tenant: Tenant, letter: DunningLetter) -> str:
    return letter_html(
        tenant=tenant, letter=letter, content=letter_content(tenant=tenant, letter=letter)
    )


def _sample_values(tenant: Tenant, level_name: str, locale: str) -> dict[str, str]:
    sample_total = fmt.money(Decimal("1250.00"), str(tenant.base_currency), locale)
    return {
        "customer_name": "Example Customer Ltd",
        "customer_number": "K00042",
        "contact_name": "Alex Example",
        "company_name": tenant.legal_name or tenant.name,
        "run_date": fmt.long_date(tenant_today(tenant), locale),
        "level_name": level_name,
        "total_due": sample_total,
        "item_count": "2",
        "oldest_due_date": fmt.short_date(tenant_today(tenant) - timedelta(days=30), locale),
        "max_days_overdue": "30",
        "fees": "",
        "items": f"INV-1001  …  30  {sample_total}",
    }


def template_preview_html(*, tenant: Tenant, template: DunningTemplate) -> str:
    """The letter a template makes, filled with sample figures (policy editor)."""
    locale = template.language
    values = _sample_values(tenant, template.level.name, locale)
    amount = fmt.money(Decimal("1250.00"), str(tenant.base_currency), locale)
    content = LetterContent(
        language=locale,
        subject=render_template_text(template.subject, values),
        body=render_template_text(template.body, values),
        letter_text=render_template_text(template.letter_text, values),
        lines=[
            LetterLine(
                number="INV-1001",
                document_date=fmt.short_date(tenant_today(tenant) - timedelta(days=60), locale),
                due_date=values["oldest_due_date"],
                days_overdue=30,
                level=template.level.name,
                open_amount=amount,
            )
        ],
        totals=[amount],
        fees=[],
    )
    return render_to_string(
        "collections_app/dunning/letter_pdf.html",
        {
            **_branding_context(tenant),
            "letter": None,
            "customer": {"legal_name": values["customer_name"], "number": "K00042"},
            "content": content,
            "paragraphs": [p for p in content.letter_text.split("\n\n") if p.strip()],
            "date": values["run_date"],
        },
    )


def statement_of_account_pdf(*, tenant: Tenant, customer: Customer, as_of: date) -> bytes:
    """Every item open at the end of `as_of`, with the aging, as a branded PDF."""
    locale = customer.language
    aging = customer_aging(tenant=tenant, customer=customer, as_of=as_of, with_items=True)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    rows = []
    for aged in sorted(aging.items, key=lambda a: a.item.due_date or a.item.document_date):
        item = aged.item
        totals[item.currency] += aged.open_amount
        rows.append(
            {
                "number": item.number,
                "kind": item.get_kind_display(),
                "document_date": fmt.short_date(item.document_date, locale),
                "due_date": fmt.short_date(item.due_date, locale) if item.due_date else "",
                "days": aged.days_past_due if aged.bucket else "",
                "amount": fmt.money(item.amount, item.currency, locale),
                "open_amount": fmt.money(aged.open_amount, item.currency, locale),
            }
        )
    html = render_to_string(
        "collections_app/dunning/statement_pdf.html",
        {
            **_branding_context(tenant),
            "customer": customer,
            "date": fmt.long_date(as_of, locale),
            "rows": rows,
            "totals": [fmt.money(v, c, locale) for c, v in sorted(totals.items())],
            "aging": [
                (bucket.label, fmt.money(amount, aging.base_currency, locale))
                for bucket, amount in zip(aging.buckets, aging.amounts, strict=True)
            ],
            "aging_total": fmt.money(aging.total, aging.base_currency, locale),
        },
    )
    return html_to_pdf(html)
