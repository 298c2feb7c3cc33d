"""Issuing, cancelling, memos and payment status: where documents meet the ledger.

Lock order, everywhere money moves: ledger open items first, then invoice
rows (in id order). Cash application (``ledger_apply`` followed by
``invoice_refresh_payment_status``) takes them in that order too, so a
credit memo and a payment landing on the same invoice queue up instead of
deadlocking.

Issuing is one transaction: the number is drawn from the locked sequence
row, the rate is locked, the ledger item posted, the document saved and
audited. Any failure rolls all of it back, the number included, so there is
never a gap in the numbering and never a half-issued document. Once it
commits, the worker renders and stores the PDF and UBL of what was issued
(``invoice_documents_enqueue``, called explicitly here; nothing is rendered
inside the transaction).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from invoicing.installments import (
    PlannedInstallment,
    installment_plan,
    installment_rows,
)
from invoicing.models import (
    AMOUNT_DECIMALS,
    AMOUNT_DIGITS,
    Invoice,
    InvoiceInstallment,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
)
from invoicing.open_items import invoice_open_items, open_total
from invoicing.services.common import (
    check_same_tenant,
    lock_invoice,
    lock_invoices,
)
from invoicing.services.document_files import invoice_documents_enqueue
from invoicing.services.drafts import apply_terms, problems_before_issue
from invoicing.services.from_orders import consume_source_orders
from invoicing.services.numbering import next_document_number, next_document_numbers
from invoicing.services.transitions import _transition
from invoicing.totals import compute_totals
from otc.audit.services import Actor, AuditEntry, audit_record, audit_record_many
from otc.customers.models import PaymentTerms
from otc.errors import ConflictError, ValidationFailed
from otc.fx.selectors import RateUnavailableError, fx_rate
from otc.ledger.models import ApplicationKind, ItemKind, OpenItem
from otc.ledger.services import NewItem, ledger_apply, ledger_items_post_many
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

SOURCE_TYPE = "invoicing.invoice"
MAX_AMOUNT = Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_DECIMALS)
_LEDGER_KIND = {
    InvoiceKind.INVOICE: ItemKind.INVOICE,
    InvoiceKind.CREDIT_MEMO: ItemKind.CREDIT_MEMO,
    InvoiceKind.DEBIT_MEMO: ItemKind.DEBIT_MEMO,
}
_REFRESH_ACTOR = Actor.system("ledger")


def _document_item_ids(*, tenant: Tenant, invoice_ids: list[int]) -> list[int]:
    """The ledger items behind these documents: one each, or one per
    installment of a split invoice."""
    rows = list(
        Invoice.objects.for_tenant(tenant)
        .filter(pk__in=invoice_ids, open_item__isnull=False)
        .values_list("pk", "open_item_id", "installment_count")
    )
    item_ids = [item_id for _, item_id, count in rows if not count]
    split = [pk for pk, _, count in rows if count]
    if split:
        item_ids += list(
            InvoiceInstallment.objects.for_tenant(tenant)
            .filter(invoice_id__in=split)
            .values_list("open_item_id", flat=True)
        )
    return item_ids


def lock_ledger_items(*, tenant: Tenant, invoice_ids: list[int]) -> None:
    """Lock the ledger items behind these documents (first, per the lock order)."""
    item_ids = _document_item_ids(tenant=tenant, invoice_ids=invoice_ids)
    if item_ids:
        list(
            OpenItem.objects.for_tenant(tenant)
            .select_for_update()
            .filter(pk__in=item_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def locked_with_related(*, tenant: Tenant, invoice: Invoice) -> tuple[Invoice, Invoice | None]:
    """The document and the one it refers to, with their ledger items, locked
    in the house order."""
    check_same_tenant(invoice, tenant, what="invoice")
    row = (
        Invoice.objects.for_tenant(tenant)
        .filter(pk=invoice.pk)
        .values_list("related_invoice_id", "open_item_id")
        .first()
    )
    related_id, open_item_id = row if row is not None else (None, None)
    ids = [invoice.pk] + ([related_id] if related_id else [])
    if related_id or open_item_id:
        lock_ledger_items(tenant=tenant, invoice_ids=ids)
    locked = lock_invoices(tenant=tenant, invoice_ids=ids)
    return locked[invoice.pk], (locked[related_id] if related_id else None)


def credited_so_far(*, tenant: Tenant, invoice: Invoice) -> Decimal:
    total = (
        Invoice.objects.for_tenant(tenant)
        .filter(related_invoice=invoice, kind=InvoiceKind.CREDIT_MEMO)
        .exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED])
        .aggregate(total=Sum("gross_amount"))["total"]
    )
    return total or Decimal(0)


def _issue_problems(
    *, tenant: Tenant, invoice: Invoice, related: Invoice | None, lines: list[InvoiceLine]
) -> dict[str, list[str]]:
    errors = problems_before_issue(tenant=tenant, invoice=invoice)
    if not lines:
        errors["lines"] = ["Add at least one line before issuing."]
    elif invoice.gross_amount <= 0:
        errors["lines"] = [
            "The total must be greater than zero; give money back with a credit memo."
        ]
    if (
        related is not None
        and invoice.issue_date
        and related.issue_date
        and invoice.issue_date < related.issue_date
    ):
        errors["issue_date"] = [
            f"A memo cannot be dated before {related} ({related.issue_date.isoformat()})."
        ]
    if related is not None and invoice.kind == InvoiceKind.CREDIT_MEMO and not errors:
        credited = credited_so_far(tenant=tenant, invoice=related)
        room = related.gross_amount - credited
        if invoice.gross_amount > room:
            errors["lines"] = [
                (
                    f"{related} totals {related.gross_amount} {related.currency}, of which "
                    f"{credited} is credited already: at most {room} can be credited."
                )
            ]
    return errors


def _lock_rate(*, tenant: Tenant, invoice: Invoice, on: date) -> Decimal:
    try:
        return fx_rate(
            tenant=tenant,
            from_currency=str(invoice.currency),
            to_currency=str(tenant.base_currency),
            on=on,
        ).rate
    except RateUnavailableError as error:
        raise ValidationFailed(
            "No exchange rate for the issue date.",
            errors={
                "issue_date": [
                    (
                        f"No {invoice.currency}/{tenant.base_currency} rate on or shortly "
                        f"before {on.isoformat()}: load the ECB rates or enter a manual rate."
                    )
                ]
            },
        ) from error


def check_base_fits(*, amount: Decimal, rate: Decimal, tenant: Tenant, field: str) -> None:
    """Amounts are stored with 14 whole digits; a document that fits in its
    own currency may not once converted (USD billions for an IDR tenant)."""
    base = abs(amount * rate)
    if base >= MAX_AMOUNT:
        message = (
            f"In {tenant.base_currency} this is {base:,.0f}: split it into smaller "
            f"documents (at most {MAX_AMOUNT:,.0f} each)."
        )
        raise ValidationFailed("The amount is too large.", errors={field: [message]})


def _prepare_issue(
    *,
    tenant: Tenant,
    invoice: Invoice,
    related: Invoice | None,
    lines: list[InvoiceLine],
    issue_date: date | None,
) -> date:
    """Move a locked draft to issued in memory: date, totals re-priced from
    the stored lines, terms; refuse with every problem named. Returns the
    issue date."""
    _transition(invoice, InvoiceStatus.ISSUED)
    invoice.issue_date = issue_date or invoice.issue_date or tenant_today(tenant)
    invoice.related_invoice = related
    # Re-priced from the stored lines: the number on the document and in the
    # ledger is the rule applied to what is printed, never a stale total.
    totals = compute_totals(lines, currency=str(invoice.currency))
    invoice.net_amount, invoice.tax_amount, invoice.gross_amount = (
        totals.net,
        totals.tax,
        totals.gross,
    )
    apply_terms(invoice)
    errors = _issue_problems(tenant=tenant, invoice=invoice, related=related, lines=lines)
    if errors:
        raise ValidationFailed(f"{invoice} cannot be issued yet.", errors=errors)
    return invoice.issue_date


def _new_ledger_items(
    invoice: Invoice, *, rate: Decimal, plan: list[PlannedInstallment]
) -> list[NewItem]:
    """The document's ledger item, or one per installment (each with its
    own due date and its share of the amount and of the base amount)."""
    assert invoice.issue_date is not None  # noqa: S101  (set by _prepare_issue)
    whole = NewItem(
        customer=invoice.customer,
        kind=_LEDGER_KIND[InvoiceKind(invoice.kind)],
        number=invoice.number or "",
        currency=str(invoice.currency),
        amount=invoice.gross_amount,
        document_date=invoice.issue_date,
        due_date=invoice.due_date,
        source_type=SOURCE_TYPE,
        source_id=str(invoice.pk),
        rate=rate,
    )
    if not plan:
        return [whole]
    return [
        dataclasses.replace(
            whole, amount=part.amount, due_date=part.due_date, base_amount=part.base_amount
        )
        for part in plan
    ]


def _record_issue(
    *, tenant: Tenant, invoice: Invoice, items: list[OpenItem], rate: Decimal
) -> AuditEntry:
    """Tie the issued document to its ledger item(s) (the first installment's
    when split); the audit event to write."""
    now = timezone.now()
    invoice.open_item = items[0]
    invoice.installment_count = len(items) if len(items) > 1 else 0
    invoice.fx_rate = rate
    invoice.base_currency = str(tenant.base_currency)
    invoice.base_gross_amount = sum((abs(item.base_amount) for item in items), Decimal(0))
    invoice.issued_at = now
    invoice.updated_at = now
    changes: dict[str, dict[str, str | None]] = {
        "status": {"before": InvoiceStatus.DRAFT, "after": InvoiceStatus.ISSUED},
        "number": {"before": "", "after": invoice.number},
        "gross_amount": {"before": None, "after": f"{invoice.gross_amount} {invoice.currency}"},
        "fx_rate": {"before": None, "after": str(rate)},
        "base_gross_amount": {
            "before": None,
            "after": f"{invoice.base_gross_amount} {invoice.base_currency}",
        },
    }
    if invoice.installment_count:
        changes["installments"] = {
            "before": None,
            "after": "; ".join(
                f"{item.due_date.isoformat() if item.due_date else ''} "
                f"{item.amount} {item.currency}"
                for item in items
            ),
        }
    return AuditEntry(action="invoice.issued", instance=invoice, changes=changes)


def issue_locked(
    *,
    tenant: Tenant,
    actor: Actor,
    invoice: Invoice,
    related: Invoice | None,
    issue_date: date | None,
    apply_to_related: bool = True,
) -> Invoice:
    """Issue a draft whose row (and its related document's) this transaction holds."""
    lines = list(InvoiceLine.objects.for_tenant(tenant).filter(invoice=invoice))
    on = _prepare_issue(
        tenant=tenant, invoice=invoice, related=related, lines=lines, issue_date=issue_date
    )
    # A memo takes the rate of the document it corrects, so crediting an
    # invoice takes off exactly the base amount it put on (no FX difference
    # from a correction); a stand-alone document locks the rate of its date.
    if related is not None and related.fx_rate is not None:
        rate = related.fx_rate
    else:
        rate = _lock_rate(tenant=tenant, invoice=invoice, on=on)
    check_base_fits(amount=invoice.gross_amount, rate=rate, tenant=tenant, field="lines")
    plan = installment_plan(tenant=tenant, invoice=invoice, rate=rate)
    invoice.number = next_document_number(tenant=tenant, series=invoice.series, year=on.year)
    items = ledger_items_post_many(
        tenant=tenant, actor=actor, entries=_new_ledger_items(invoice, rate=rate, plan=plan)
    )
    entry = _record_issue(tenant=tenant, invoice=invoice, items=items, rate=rate)
    invoice.save()
    if plan:
        InvoiceInstallment.objects.for_tenant(tenant).bulk_create(
            installment_rows(tenant=tenant, invoice=invoice, plan=plan, items=items)
        )
    consume_source_orders(tenant=tenant, actor=actor, invoices=[invoice])
    audit_record(
        tenant=tenant, actor=actor, action=entry.action, instance=invoice, changes=entry.changes
    )
    invoice_documents_enqueue(tenant=tenant, invoice_ids=[invoice.pk])
    if invoice.kind == InvoiceKind.CREDIT_MEMO and related is not None and apply_to_related:
        apply_credit_memo(tenant=tenant, actor=actor, memo=invoice, target=related)
    return invoice


# What issuing sets on each document, in the order of _SAVE_ISSUED_SQL.
_ISSUE_COLUMNS = (
    "status",
    "issue_date",
    "due_date",
    "discount_date",
    "discount_amount",
    "net_amount",
    "tax_amount",
    "gross_amount",
    "number",
    "open_item_id",
    "installment_count",
    "fx_rate",
    "base_currency",
    "base_gross_amount",
    "issued_at",
    "updated_at",
)
# The whole batch in one UPDATE, its rows as one JSON document (a single
# parameter): Django's bulk_update builds a CASE per column and row, and an
# UPDATE per row costs a plan and a round trip each (a third of the time of
# issuing a thousand). Amounts and dates travel as their exact text (str,
# isoformat), never as JSON numbers, so nothing passes through a float.
_SAVE_ISSUED_SQL = """
UPDATE invoicing_invoice AS i SET
    status = r.status, issue_date = r.issue_date, due_date = r.due_date,
    discount_date = r.discount_date, discount_amount = r.discount_amount,
    net_amount = r.net_amount, tax_amount = r.tax_amount, gross_amount = r.gross_amount,
    number = r.number, open_item_id = r.open_item_id, installment_count = r.installment_count,
    fx_rate = r.fx_rate, base_currency = r.base_currency,
    base_gross_amount = r.base_gross_amount, issued_at = r.issued_at, updated_at = r.updated_at
FROM jsonb_to_recordset(%s::jsonb) AS r(
    id bigint, status varchar, issue_date date, due_date date, discount_date date,
    discount_amount numeric, net_amount numeric, tax_amount numeric, gross_amount numeric,
    number varchar, open_item_id bigint, installment_count smallint, fx_rate numeric,
    base_currency varchar, base_gross_amount numeric, issued_at timestamptz,
    updated_at timestamptz
)
WHERE i.id = r.id AND i.tenant_id = %s
"""


def _json_text(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _save_issued(*, tenant: Tenant, invoices: list[Invoice]) -> None:
    rows = [
        {"id": invoice.pk} | {column: getattr(invoice, column) for column in _ISSUE_COLUMNS}
        for invoice in invoices
    ]
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(_SAVE_ISSUED_SQL, [json.dumps(rows, default=_json_text), tenant.pk])
        if cursor.rowcount != len(rows):
            raise RuntimeError(f"Issued {cursor.rowcount} of {len(rows)} documents.")


@transaction.atomic
def invoice_issue_many(
    *, tenant: Tenant, actor: Actor, invoices: list[Invoice], issue_date: date | None = None
) -> list[Invoice]:
    """Issue many drafts at once (month-end billing runs, ERP batches) with
    the same rules as ``invoice_issue``, in one transaction and a few dozen
    statements in all: numbers are drawn in blocks per series and year, the
    ledger items posted in bulk. All or nothing: the first draft that cannot
    be issued raises ValidationFailed naming it, and nothing is issued.

    Invoices and debit memos without a related document only; credit memos
    are applied to their invoice as they are issued, one by one
    (``invoice_issue``)."""
    ids = sorted({invoice.pk for invoice in invoices})
    locked = lock_invoices(tenant=tenant, invoice_ids=ids)
    lines_by_invoice: dict[int, list[InvoiceLine]] = {pk: [] for pk in ids}
    for line in InvoiceLine.objects.for_tenant(tenant).filter(invoice_id__in=ids):
        lines_by_invoice[line.invoice_id].append(line)

    rates: dict[tuple[str, date], Decimal] = {}
    plans: dict[int, list[PlannedInstallment]] = {}
    blocks: dict[tuple[str, int], list[Invoice]] = {}
    # One terms object per terms row, so split terms read their parts once
    # for the whole batch (the selector caches them on the object).
    shared_terms: dict[int, PaymentTerms] = {}
    for pk in ids:
        invoice = locked[pk]
        if invoice.payment_terms is not None:
            invoice.payment_terms = shared_terms.setdefault(
                invoice.payment_terms.pk, invoice.payment_terms
            )
        if invoice.kind == InvoiceKind.CREDIT_MEMO or invoice.related_invoice_id is not None:
            raise ValidationFailed(
                f"{invoice} refers to another document: issue it on its own.",
                errors={"invoices": [f"{invoice} must be issued on its own."]},
            )
        on = _prepare_issue(
            tenant=tenant,
            invoice=invoice,
            related=None,
            lines=lines_by_invoice[pk],
            issue_date=issue_date,
        )
        key = (str(invoice.currency), on)
        if key not in rates:
            rates[key] = _lock_rate(tenant=tenant, invoice=invoice, on=on)
        check_base_fits(amount=invoice.gross_amount, rate=rates[key], tenant=tenant, field="lines")
        plans[pk] = installment_plan(tenant=tenant, invoice=invoice, rate=rates[key])
        blocks.setdefault((invoice.series, on.year), []).append(invoice)

    for (series, year), block in blocks.items():
        numbers = next_document_numbers(tenant=tenant, series=series, year=year, count=len(block))
        for invoice, number in zip(block, numbers, strict=True):
            invoice.number = number

    issued = [locked[pk] for pk in ids]
    entries: list[NewItem] = []
    for invoice in issued:
        assert invoice.issue_date is not None  # noqa: S101  (set by _prepare_issue)
        rate = rates[(str(invoice.currency), invoice.issue_date)]
        entries += _new_ledger_items(invoice, rate=rate, plan=plans[invoice.pk])
    items = iter(ledger_items_post_many(tenant=tenant, actor=actor, entries=entries))
    audit: list[AuditEntry] = []
    installments: list[InvoiceInstallment] = []
    for invoice in issued:
        plan = plans[invoice.pk]
        own = [next(items) for _ in range(len(plan) or 1)]
        audit.append(_record_issue(tenant=tenant, invoice=invoice, items=own, rate=own[0].fx_rate))
        if plan:
            installments += installment_rows(tenant=tenant, invoice=invoice, plan=plan, items=own)
    _save_issued(tenant=tenant, invoices=issued)
    if installments:
        InvoiceInstallment.objects.for_tenant(tenant).bulk_create(installments, batch_size=2000)
    consume_source_orders(tenant=tenant, actor=actor, invoices=issued)
    audit_record_many(tenant=tenant, actor=actor, entries=audit)
    invoice_documents_enqueue(tenant=tenant, invoice_ids=ids)
    return issued


def _document_items(*, tenant: Tenant, invoice: Invoice) -> list[OpenItem]:
    """The document's ledger items as committed now, in due order (one, or
    one per installment)."""
    items = invoice_open_items(tenant=tenant, invoice_ids=[invoice.pk]).get(invoice.pk)
    if not items:
        raise ConflictError(f"{invoice} has no ledger item: it was never issued.")
    return items


def _ledger_item(*, tenant: Tenant, invoice: Invoice) -> OpenItem:
    """The document's ledger item as committed now (re-read: applications
    move its open amount with F() updates)."""
    if invoice.open_item_id is None:
        raise ConflictError(f"{invoice} has no ledger item: it was never issued.")
    return OpenItem.objects.for_tenant(tenant).get(pk=invoice.open_item_id)


def apply_credit_memo(
    *, tenant: Tenant, actor: Actor, memo: Invoice, target: Invoice, refresh_target: bool = True
) -> None:
    """Use the memo on the invoice up to what is still open there, the
    earliest-due installment first when the invoice is split; whatever is
    left of the memo stays on the customer's account as an open credit."""
    memo_item = _ledger_item(tenant=tenant, invoice=memo)
    assert memo.issue_date is not None  # noqa: S101  (set by issue_locked)
    remaining = memo.gross_amount
    for target_item in _document_items(tenant=tenant, invoice=target):
        amount = min(remaining, target_item.open_amount)
        if amount <= 0:
            continue
        ledger_apply(
            tenant=tenant,
            actor=actor,
            debit_item_id=target_item.pk,
            credit_item_id=memo_item.pk,
            amount=amount,
            effective_date=memo.issue_date,
            kind=ApplicationKind.CREDIT_MEMO,
        )
        remaining -= amount
    refresh_locked(tenant=tenant, actor=actor, invoice=memo)
    if refresh_target:
        refresh_locked(tenant=tenant, actor=actor, invoice=target)


@transaction.atomic
def invoice_issue(
    *, tenant: Tenant, actor: Actor, invoice: Invoice, issue_date: date | None = None
) -> Invoice:
    """Issue a draft: number it (e.g. INV-2026-000123), lock the rate of
    `issue_date` (default: the draft's date, else today in the tenant's time
    zone), post it to the ledger; a credit memo is then applied to its
    related invoice up to that invoice's open amount."""
    invoice, related = locked_with_related(tenant=tenant, invoice=invoice)
    return issue_locked(
        tenant=tenant, actor=actor, invoice=invoice, related=related, issue_date=issue_date
    )


def refresh_locked(*, tenant: Tenant, actor: Actor, invoice: Invoice) -> Invoice:
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
        return invoice
    still_open, _ = open_total(_document_items(tenant=tenant, invoice=invoice))
    if still_open == 0:
        target = InvoiceStatus.PAID
    elif still_open < invoice.gross_amount:
        target = InvoiceStatus.PARTIALLY_PAID
    else:
        target = InvoiceStatus.ISSUED
    if target == invoice.status:
        return invoice
    before = _transition(invoice, target)
    invoice.save(update_fields=["status", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="invoice.status_changed",
        instance=invoice,
        changes={
            "status": {"before": before, "after": target},
            "open_amount": {"before": None, "after": f"{still_open} {invoice.currency}"},
        },
    )
    return invoice


@transaction.atomic
def invoice_refresh_payment_status(
    *, tenant: Tenant, invoice: Invoice, actor: Actor | None = None
) -> Invoice:
    """Move an issued document between issued, partially paid and paid to
    match its open amount in the ledger (after cash is applied or an
    application reversed). Drafts and cancelled documents are left alone.
    Call it after the ledger change, in the same transaction."""
    lock_ledger_items(tenant=tenant, invoice_ids=[invoice.pk])
    locked = lock_invoice(tenant=tenant, invoice=invoice)
    return refresh_locked(tenant=tenant, actor=actor or _REFRESH_ACTOR, invoice=locked)


@transaction.atomic
def invoices_refresh_for_items(
    *, tenant: Tenant, open_item_ids: list[int], actor: Actor | None = None
) -> list[Invoice]:
    """Refresh the payment status of every document whose ledger items are
    among ``open_item_ids`` (the items cash application or a deduction just
    touched). Items that are not documents (payments, deductions) are
    skipped. Documents are found through the item's source, so callers never
    need to know how a document maps to its ledger items."""
    document_ids = sorted(
        {
            int(source_id)
            for source_id in OpenItem.objects.for_tenant(tenant)
            .filter(pk__in=open_item_ids, source_type=SOURCE_TYPE)
            .values_list("source_id", flat=True)
        }
    )
    if not document_ids:
        return []
    lock_ledger_items(tenant=tenant, invoice_ids=document_ids)
    locked = lock_invoices(tenant=tenant, invoice_ids=document_ids)
    return [
        refresh_locked(tenant=tenant, actor=actor or _REFRESH_ACTOR, invoice=locked[pk])
        for pk in document_ids
    ]
