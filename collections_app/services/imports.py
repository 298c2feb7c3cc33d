"""Importing bank statements and remittance advices.

All or nothing: the file is parsed completely first (a ``BankFileError``
names the line or element and nothing is written), then one transaction
creates the statements, their lines and the payments, and matching is
enqueued after commit, one task per statement.

Duplicates: a statement already imported (same account and statement id,
or the same file) is skipped as a whole; an entry already imported through
another statement (the intraday report, then the day's statement; a CAMT.054
notification, then the CAMT.053) is recognised by its fingerprint and
skipped. The result says what was skipped and when it was first imported.

Debits: a returned payment (NSF, chargeback, recall) is linked to the
payment it returns (end-to-end id, else bank reference, else same amount and
payer account) and returns it, re-opening what it paid; one that cannot be
linked is recorded on its line for a person. Other debits are recorded,
not applied.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from collections_app.bank_files.types import (
    BankFileError,
    BankFileFormat,
    BankTransaction,
    CsvColumnMapping,
    Direction,
    RemittanceFormat,
)
from collections_app.bank_files.types import (
    BankStatement as ParsedStatement,
)
from collections_app.bank_files.types import (
    Remittance as ParsedRemittance,
)
from collections_app.matching.normalize import normalize_account
from collections_app.models import (
    BankStatement,
    BankStatementLine,
    CsvMappingProfile,
    LineKind,
    Payment,
    PaymentSource,
    PaymentStatus,
    Remittance,
    RemittanceLine,
)
from collections_app.services.payments import (
    new_payment_number,
    payment_return,
    payments_return,
)
from otc.audit.services import Actor, audit_record
from otc.errors import DomainError, ValidationFailed
from otc.fx.money import quantize_money
from otc.gc_scope import gc_paused
from otc.tenancy.dates import tenant_today
from otc.tenancy.managers import rows_update
from otc.tenancy.models import Tenant


class BankFileRejected(ValidationFailed):
    """The file cannot be imported; ``detail`` names the line or element."""

    code = "bank_file_invalid"


@dataclass
class ImportResult:
    statements: list[BankStatement] = field(default_factory=list)
    payments_created: int = 0
    lines_created: int = 0
    skipped_entries: int = 0
    returns_linked: int = 0
    messages: list[str] = field(default_factory=list)


def _fingerprint(account: str, tx: BankTransaction, occurrence: int) -> str:
    """Stable across formats and re-exports of the same booking: the bank's
    own references where it gives them, else what the payer sent; the
    occurrence counts identical entries within one statement apart."""
    when = tx.value_date or tx.booking_date
    parts = [
        normalize_account(account),
        tx.direction.value,
        f"{tx.amount:.2f}",
        tx.currency,
        when.isoformat() if when else "",
        tx.bank_reference.strip(),
        tx.end_to_end_id.strip(),
    ]
    if not tx.bank_reference and not tx.end_to_end_id:
        parts += [normalize_account(tx.payer_account), " ".join(tx.remittance_text.split())]
    parts.append(str(occurrence))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _kind(tx: BankTransaction) -> str:
    if tx.is_return or (tx.direction == Direction.DEBIT and tx.return_reason):
        return LineKind.RETURN
    if tx.direction == Direction.CREDIT and not tx.is_reversal:
        return LineKind.PAYMENT
    return LineKind.DEBIT


def csv_mapping_for(*, tenant: Tenant, profile_id: int | None) -> CsvColumnMapping | None:
    if profile_id is None:
        return None
    profile = CsvMappingProfile.objects.for_tenant(tenant).filter(pk=profile_id).first()
    if profile is None:
        raise ValidationFailed(errors={"csv_mapping": ["Choose one of your saved CSV mappings."]})
    return CsvColumnMapping(**profile.mapping)


def bank_file_import(
    *,
    tenant: Tenant,
    actor: Actor,
    data: bytes,
    file_name: str = "",
    file_format: str | None = None,
    csv_mapping: CsvColumnMapping | None = None,
) -> ImportResult:
    """Parse a bank file (format detected unless given) and import it."""
    from collections_app.bank_files import parse_bank_file

    try:
        parsed = parse_bank_file(
            data,
            file_format=BankFileFormat(file_format) if file_format else None,
            csv_mapping=csv_mapping,
        )
    except BankFileError as error:
        raise BankFileRejected(
            f"{file_name or 'The file'} was not imported: {error}",
            errors={"file": [str(error)]},
        ) from error
    return statements_import(
        tenant=tenant,
        actor=actor,
        statements=parsed,
        file_sha256=hashlib.sha256(data).hexdigest(),
        file_name=file_name,
    )


def statements_import(
    *,
    tenant: Tenant,
    actor: Actor,
    statements: list[ParsedStatement],
    file_sha256: str,
    file_name: str = "",
    match: bool = True,
) -> ImportResult:
    """Import parsed statements in one transaction (see the module docstring)."""
    result = ImportResult()
    with transaction.atomic(), gc_paused():
        earlier = (
            BankStatement.objects.for_tenant(tenant)
            .filter(file_sha256=file_sha256)
            .order_by("imported_at")
            .first()
        )
        if earlier is not None:
            result.messages.append(
                f"This file was already imported on {earlier.imported_at:%Y-%m-%d}; "
                "nothing was imported again."
            )
            result.skipped_entries = sum(len(s.transactions) for s in statements)
            return result
        for parsed in statements:
            _import_one(
                tenant=tenant,
                actor=actor,
                parsed=parsed,
                file_sha256=file_sha256,
                file_name=file_name,
                result=result,
            )
        if match:
            from collections_app.tasks import match_statement

            for statement in result.statements:
                match_statement.delay_on_commit(tenant.pk, statement.pk)
    return result


def _import_one(
    *,
    tenant: Tenant,
    actor: Actor,
    parsed: ParsedStatement,
    file_sha256: str,
    file_name: str,
    result: ImportResult,
) -> None:
    statement_id = parsed.statement_id or f"sha256:{file_sha256[:16]}"
    existing = (
        BankStatement.objects.for_tenant(tenant)
        .filter(account=parsed.account, statement_id=statement_id)
        .first()
    )
    if existing is not None:
        result.skipped_entries += len(parsed.transactions)
        result.messages.append(
            f"Statement {statement_id} of account {parsed.account} was already imported on "
            f"{existing.imported_at:%Y-%m-%d}; skipped."
        )
        return
    seen: Counter[str] = Counter()
    fingerprints: list[str] = []
    for tx in parsed.transactions:
        base = _fingerprint(parsed.account, tx, 0)
        fingerprints.append(_fingerprint(parsed.account, tx, seen[base]))
        seen[base] += 1
    already = dict(
        BankStatementLine.objects.for_tenant(tenant)
        .filter(fingerprint__in=fingerprints)
        .values_list("fingerprint", "statement__imported_at")
    )
    statement = BankStatement.objects.for_tenant(tenant).create(
        tenant=tenant,
        format=str(parsed.format),
        account=parsed.account,
        statement_id=statement_id,
        currency=parsed.currency,
        created_on=parsed.created_on,
        from_date=parsed.from_date,
        to_date=parsed.to_date,
        opening_balance=parsed.opening_balance,
        closing_balance=parsed.closing_balance,
        file_name=file_name[:255],
        file_sha256=file_sha256,
        uploaded_by=actor.user,
        uploaded_by_label=actor.label[:200],
    )
    payments: list[Payment] = []
    lines: list[BankStatementLine] = []
    returns: list[tuple[BankStatementLine, BankTransaction]] = []
    skipped_on: list[date] = []
    for position, (tx, fingerprint) in enumerate(
        zip(parsed.transactions, fingerprints, strict=True), start=1
    ):
        if fingerprint in already:
            skipped_on.append(already[fingerprint].date())
            continue
        kind = _kind(tx)
        amount = quantize_money(tx.amount, tx.currency)
        line = BankStatementLine(
            tenant=tenant,
            statement=statement,
            position=position,
            fingerprint=fingerprint,
            kind=kind,
            amount=amount,
            currency=tx.currency,
            booking_date=tx.booking_date,
            value_date=tx.value_date,
            bank_reference=tx.bank_reference[:140],
            end_to_end_id=tx.end_to_end_id[:140],
            payer_name=tx.payer_name[:200],
            payer_account=tx.payer_account[:64],
            remittance_text=tx.remittance_text,
            structured_references=list(tx.structured_references),
            transaction_code=tx.transaction_code[:32],
            return_reason=tx.return_reason[:35],
            charges=tx.charges,
            location=tx.location[:120],
        )
        if kind == LineKind.PAYMENT and amount > 0:
            payment = Payment(
                tenant=tenant,
                source=PaymentSource.BANK,
                number=new_payment_number(),
                amount=amount,
                currency=tx.currency,
                value_date=tx.value_date or tx.booking_date or tenant_today(tenant),
                payer_name=tx.payer_name[:200],
                payer_account=tx.payer_account[:64],
                payer_bic=tx.payer_bic[:11],
                bank_reference=tx.bank_reference[:140],
                end_to_end_id=tx.end_to_end_id[:140],
                remittance_text=tx.remittance_text,
                structured_references=list(tx.structured_references),
                status=PaymentStatus.UNIDENTIFIED,
                created_by=actor.user,
            )
            payments.append(payment)
            line.payment = payment
        elif kind == LineKind.RETURN:
            returns.append((line, tx))
        else:
            line.outcome = "Outgoing transfer or charge: recorded, not part of cash application."
        lines.append(line)
    Payment.objects.for_tenant(tenant).bulk_create(payments, batch_size=2000)
    for line in lines:
        if line.payment is not None:
            line.payment_id = line.payment.pk
    _returns_link(tenant, actor, returns, result)
    BankStatementLine.objects.for_tenant(tenant).bulk_create(lines, batch_size=2000)
    _link_remittances(tenant, payments)
    statement.line_count = len(lines)
    statement.payment_count = len(payments)
    statement.skipped_count = len(skipped_on)
    statement.save(update_fields=["line_count", "payment_count", "skipped_count"])
    result.statements.append(statement)
    result.payments_created += len(payments)
    result.lines_created += len(lines)
    result.skipped_entries += len(skipped_on)
    if skipped_on:
        days = ", ".join(sorted({f"{d:%Y-%m-%d}" for d in skipped_on}))
        noun = "entry" if len(skipped_on) == 1 else "entries"
        result.messages.append(f"{len(skipped_on)} {noun} already imported on {days}, skipped.")
    audit_record(
        tenant=tenant,
        actor=actor,
        action="bank_statement.imported",
        instance=statement,
        changes={
            "lines": {"before": None, "after": len(lines)},
            "payments": {"before": None, "after": len(payments)},
            "skipped": {"before": None, "after": len(skipped_on)},
        },
    )


_RETURNABLE = (
    PaymentStatus.UNIDENTIFIED,
    PaymentStatus.UNAPPLIED,
    PaymentStatus.PARTIALLY_APPLIED,
    PaymentStatus.APPLIED,
)


@dataclass
class _Returnable:
    """A payment a bank return of this statement may take back."""

    pk: int
    number: str
    amount: Decimal
    currency: str
    value_date: date
    end_to_end_id: str
    bank_reference: str
    payer_account: str
    taken: bool = False

    def returned_by(self, tx: BankTransaction) -> bool:
        if self.taken or self.currency != tx.currency:
            return False
        if self.amount != quantize_money(tx.amount, tx.currency):
            return False
        return bool(
            (tx.end_to_end_id and self.end_to_end_id == tx.end_to_end_id)
            or (tx.bank_reference and self.bank_reference == tx.bank_reference)
            or (tx.payer_account and self.payer_account == tx.payer_account)
        )


def _returned_payments(tenant: Tenant, returns: list[BankTransaction]) -> list[_Returnable]:
    """Every payment one of the statement's returns may point to, in one
    query (a statement has hundreds of returns); ``_returns_link`` picks the
    one payment of the same amount and currency that shares the return's
    end-to-end id, bank reference or payer account and that no earlier
    return of the statement took back."""
    keys: dict[str, set[str]] = {"end_to_end_id": set(), "bank_reference": set()}
    accounts: set[str] = set()
    for tx in returns:
        if tx.end_to_end_id:
            keys["end_to_end_id"].add(tx.end_to_end_id)
        if tx.bank_reference:
            keys["bank_reference"].add(tx.bank_reference)
        if tx.payer_account:
            accounts.add(tx.payer_account)
    if not any(keys.values()) and not accounts:
        return []
    condition = Q(payer_account__in=accounts)
    for name, values in keys.items():
        condition |= Q(**{f"{name}__in": values})
    rows = (
        Payment.objects.for_tenant(tenant)
        .filter(condition, status__in=_RETURNABLE)
        .filter(amount__in={quantize_money(tx.amount, tx.currency) for tx in returns})
        .values_list(
            "pk",
            "number",
            "amount",
            "currency",
            "value_date",
            "end_to_end_id",
            "bank_reference",
            "payer_account",
        )
    )
    return [_Returnable(*row) for row in rows]


def _returns_link(
    tenant: Tenant,
    actor: Actor,
    returns: list[tuple[BankStatementLine, BankTransaction]],
    result: ImportResult,
) -> None:
    """Return the payment each return line takes back (all at once; should
    one of them refuse, each on its own so the others still return); the
    line says what happened."""
    candidates = _returned_payments(tenant, [tx for _, tx in returns])
    linked: list[tuple[BankStatementLine, _Returnable, str]] = []
    for line, tx in returns:
        reason = tx.return_reason or "returned by the bank"
        matches = [candidate for candidate in candidates if candidate.returned_by(tx)]
        if len(matches) != 1:
            line.outcome = (
                f"Return of {tx.amount} {tx.currency} ({reason}) could not be linked to one "
                "payment: find the payment and return it by hand."
            )
            continue
        matches[0].taken = True
        linked.append((line, matches[0], reason))
    if not linked:
        return
    refused: dict[int, str] = {}
    try:
        with transaction.atomic():
            payments_return(
                tenant=tenant,
                actor=actor,
                reasons={payment.pk: f"Bank return: {reason}" for _, payment, reason in linked},
            )
    except DomainError:
        for _, payment, reason in linked:
            try:
                with transaction.atomic():
                    payment_return(
                        tenant=tenant,
                        actor=actor,
                        payment_id=payment.pk,
                        reason=f"Bank return: {reason}",
                    )
            except DomainError as error:
                refused[payment.pk] = str(error.detail)
    for line, payment, reason in linked:
        if payment.pk in refused:
            line.outcome = f"Return of payment {payment.number} failed: {refused[payment.pk]}"
            continue
        result.returns_linked += 1
        line.outcome = (
            f"Returned payment {payment.number} ({reason}); its applications were reversed."
        )


def _link_remittances(tenant: Tenant, payments: list[Payment]) -> None:
    """Advices imported before their payment arrived now point to it (one
    query to find them, one UPDATE)."""
    by_reference: dict[str, Payment] = {}
    for payment in payments:
        for key in (payment.end_to_end_id, payment.bank_reference):
            if key:
                by_reference.setdefault(key, payment)
    if not by_reference:
        return
    waiting = list(
        Remittance.objects.for_tenant(tenant).filter(
            payment__isnull=True, payment_reference__in=list(by_reference)
        )
    )
    for remittance in waiting:
        remittance.payment = by_reference[remittance.payment_reference]
    rows_update(tenant=tenant, objs=waiting, fields=["payment"])


def remittance_import(
    *,
    tenant: Tenant,
    actor: Actor,
    data: bytes | None = None,
    remittances: list[ParsedRemittance] | None = None,
    file_name: str = "",
    file_format: str | None = None,
) -> list[Remittance]:
    """Store remittance advices and link each to its payment (by payment
    reference = end-to-end id or bank reference, else payer + amount). A
    linked payment still open is matched again with the advice's lines."""
    sha = hashlib.sha256(data).hexdigest() if data is not None else ""
    if data is not None:
        from collections_app.bank_files import parse_remittance

        try:
            remittances = parse_remittance(
                data, file_format=RemittanceFormat(file_format) if file_format else None
            )
        except BankFileError as error:
            raise BankFileRejected(
                f"{file_name or 'The remittance'} was not imported: {error}",
                errors={"file": [str(error)]},
            ) from error
    parsed_list = list(remittances or [])
    with transaction.atomic():
        payments = _payments_for_remittances(tenant, parsed_list)
        created = Remittance.objects.for_tenant(tenant).bulk_create(
            [
                Remittance(
                    tenant=tenant,
                    format=str(parsed.format),
                    payer_name=parsed.payer_name[:200],
                    payment_reference=parsed.payment_reference[:140],
                    payment_amount=parsed.payment_amount,
                    currency=parsed.currency,
                    payment_date=parsed.payment_date,
                    payment_id=payment.pk if payment else None,
                    file_name=file_name[:255],
                    file_sha256=sha,
                )
                for parsed, payment in zip(parsed_list, payments, strict=True)
            ],
            batch_size=1000,
        )
        RemittanceLine.objects.for_tenant(tenant).bulk_create(
            [
                RemittanceLine(
                    tenant=tenant,
                    remittance=remittance,
                    position=position,
                    reference=line.reference[:140],
                    paid_amount=line.paid_amount,
                    invoice_amount=line.invoice_amount,
                    discount_amount=line.discount_amount,
                    adjustment_amount=line.adjustment_amount,
                    adjustment_reason=line.adjustment_reason[:140],
                    note=line.note[:300],
                )
                for parsed, remittance in zip(parsed_list, created, strict=True)
                for position, line in enumerate(parsed.lines, start=1)
            ],
            batch_size=2000,
        )
        rematch = [
            payment.pk
            for payment in payments
            if payment is not None
            and payment.status in (PaymentStatus.UNIDENTIFIED, PaymentStatus.UNAPPLIED)
        ]
        audit_record(
            tenant=tenant,
            actor=actor,
            action="remittance.imported",
            object_type="collections_app.remittance",
            object_id=",".join(str(r.pk) for r in created)[:64],
            changes={"remittances": {"before": None, "after": len(created)}},
        )
        if rematch:
            from collections_app.tasks import match_payments

            match_payments.delay_on_commit(tenant.pk, rematch)
    return created


@dataclass(frozen=True)
class _Linkable:
    pk: int
    status: str


def _payments_for_remittances(
    tenant: Tenant, remittances: list[ParsedRemittance]
) -> list[_Linkable | None]:
    """The payment each advice belongs to, in two queries for the whole
    file: the one payment whose end-to-end id, bank reference or external
    reference is the advice's payment reference, else the one open payment
    of the advice's amount, currency and payer name."""
    payments = Payment.objects.for_tenant(tenant)
    references = {r.payment_reference for r in remittances if r.payment_reference}
    by_reference: dict[str, set[_Linkable]] = defaultdict(set)
    if references:
        for pk, status, e2e, bank, external in payments.filter(
            Q(end_to_end_id__in=references)
            | Q(bank_reference__in=references)
            | Q(external_ref__in=references)
        ).values_list("pk", "status", "end_to_end_id", "bank_reference", "external_ref"):
            for key in references.intersection((e2e, bank, external)):
                by_reference[key].add(_Linkable(pk, status))
    found: list[_Linkable | None] = []
    for parsed in remittances:
        same = by_reference.get(parsed.payment_reference, set())
        found.append(next(iter(same)) if len(same) == 1 else None)
    rest = [
        index
        for index, parsed in enumerate(remittances)
        if found[index] is None and parsed.payment_amount is not None
    ]
    if not rest:
        return found
    by_payer: dict[tuple[Decimal, str, str], list[_Linkable]] = defaultdict(list)
    for pk, status, amount, currency, payer_name in payments.filter(
        amount__in={remittances[index].payment_amount for index in rest},
        status__in=[PaymentStatus.UNIDENTIFIED, PaymentStatus.UNAPPLIED],
    ).values_list("pk", "status", "amount", "currency", "payer_name"):
        by_payer[(amount, currency, payer_name.upper())].append(_Linkable(pk, status))
    for index in rest:
        parsed = remittances[index]
        amount = parsed.payment_amount or Decimal(0)
        same_payer = by_payer.get((amount, parsed.currency, parsed.payer_name.upper()), [])
        if len(same_payer) == 1:
            found[index] = same_payer[0]
    return found


def csv_mapping_save(
    *, tenant: Tenant, actor: Actor, name: str, mapping: CsvColumnMapping
) -> CsvMappingProfile:
    if not name.strip():
        raise ValidationFailed(errors={"name": ["Give the mapping a name, e.g. the bank's."]})
    profile, _ = CsvMappingProfile.objects.for_tenant(tenant).update_or_create(
        tenant=tenant, name=name.strip(), defaults={"mapping": asdict(mapping)}
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="csv_mapping.saved",
        instance=profile,
        changes={"mapping": {"before": None, "after": asdict(mapping)}},
    )
    return profile
