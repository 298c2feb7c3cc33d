"""Realistic bank statements (and remittance advices) for the cash-application
benchmark, with the truth of what each payment really pays.

Library::

    from bench.cash_statements import OpenInvoice, generate, synthetic_invoices
    result = generate(invoices, seed=7, transactions=10_000)
    result.statements      # list[BankStatement], one per booking day
    result.remittances     # list[Remittance] (EDI 820 advices for some payments)
    result.truth           # list[dict], one per transaction, JSON-ready
    result.files()         # {"statements.camt053.xml": bytes, ... "truth.json": bytes}

CLI::

    .venv/bin/python -m bench.cash_statements --out /tmp/cash --transactions 10000 --seed 7
    .venv/bin/python -m bench.cash_statements --out /tmp/cash --invoices open_items.json

``--invoices`` reads a JSON list of objects with the ``OpenInvoice`` fields
(amounts and dates as strings); without it, synthetic invoices are made.

Default mix (share of transactions; ``MIX`` below, override with ``mix=``),
chosen from what cash-application teams report about incoming payments:

- clean (34%): the amount of one invoice, its number in the text (a third of
  them as an ISO 11649 RF creditor reference in the structured field);
- mangled reference (16%): prefix missing, dashes dropped, leading zeros
  dropped, OCR-like confusions (O/0, I/1, S/5, B/8), transposed digits,
  the number buried in other text or next to the customer number;
- name only (6%): no usable reference, the payer's name and the amount;
- combined (10%): 2-5 invoices of one customer in one payment, the numbers
  listed in the text (several in one line) or, for a third, only a pointer
  to an EDI 820 remittance advice that lists them;
- partial with remittance (4%): 30-80% paid, an advice explains the short
  payment (adjustment reason); partial without remittance (3%);
- early-payment discount taken (8%): paid inside the discount window, less
  the invoice's discount percent (2% when the invoice has none);
- overpayment (3%): rounded up, or the invoice paid plus a stray amount;
- another customer's invoice (3%): a group company pays for its sister;
- foreign currency (4%): the payer instructs USD/GBP/CHF, the bank credits
  the account currency at a rate with a spread (instructed amount kept);
- unidentifiable (3%): unknown payer, no reference;
- return (2%): an earlier payment comes back (AC04, AC06, MD06, AM04, MS03);
- bank fee (1%): an account charge (no customer).

Across all kinds the payer's name is shown as a variant 40% of the time:
legal form dropped, abbreviations, casing, umlauts transliterated or
stripped, cut to 27 characters as SEPA formats do. Reusable pure helpers
(``mangle_reference``, ``name_variant``, ``rf_reference``) live here, not in
the product: they describe payers' habits, which only the benchmark needs.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from collections_app.bank_files import (
    BankFileFormat,
    BankStatement,
    BankTransaction,
    CsvColumnMapping,
    Direction,
    Remittance,
    RemittanceFormat,
    RemittanceLine,
)
from collections_app.bank_files.writers import (
    write_bai2,
    write_camt053,
    write_csv,
    write_edi820,
    write_mt940,
)

CENT = Decimal("0.01")

MIX: dict[str, float] = {
    "clean": 0.34,
    "mangled_reference": 0.16,
    "name_only": 0.06,
    "combined": 0.10,
    "partial_with_remittance": 0.04,
    "partial_without_remittance": 0.03,
    "discount": 0.08,
    "overpayment": 0.03,
    "other_customer_invoice": 0.03,
    "foreign_currency": 0.04,
    "unidentifiable": 0.03,
    "return": 0.02,
    "bank_fee": 0.01,
}

# Units of each currency per EUR (rounded ECB reference rates).
RATES_PER_EUR: dict[str, Decimal] = {
    "EUR": Decimal(1),
    "USD": Decimal("1.08"),
    "GBP": Decimal("0.85"),
    "CHF": Decimal("0.95"),
    "SEK": Decimal("11.30"),
    "PLN": Decimal("4.30"),
    "JPY": Decimal("160"),
}

CSV_MAPPING = CsvColumnMapping(
    booking_date="Buchungstag",
    value_date="Valuta",
    amount="Betrag",
    currency="Waehrung",
    payer_name="Auftraggeber",
    payer_account="IBAN",
    bank_reference="Bankreferenz",
    end_to_end_id="EndToEndId",
    remittance_text="Verwendungszweck",
    delimiter=";",
    decimal_separator=",",
    thousands_separator=".",
    date_format="%d.%m.%Y",
    encoding="cp1252",
)


@dataclass(frozen=True)
class OpenInvoice:
    number: str
    customer_number: str
    customer_name: str
    customer_iban: str
    currency: str
    open_amount: Decimal
    document_date: date
    due_date: date
    discount_percent: Decimal = Decimal(0)
    discount_days: int = 0


# -- payers' habits (pure helpers) -----------------------------------------------

_OCR = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8"}


def drop_prefix(reference: str) -> str:
    """``INV-2024-000123`` -> ``2024-000123``."""
    return re.sub(r"^[A-Za-z]+[-/ .]*", "", reference) or reference


def drop_dashes(reference: str) -> str:
    return re.sub(r"[-/ .]", "", reference)


def drop_leading_zeros(reference: str) -> str:
    """Leading zeros of the last number go: ``INV-2024-000123`` -> ``INV-2024-123``."""
    return re.sub(r"0+(\d+)$", r"\1", reference)


def ocr_confuse(reference: str, rng: random.Random, count: int = 1) -> str:
    positions = [i for i, ch in enumerate(reference) if ch in _OCR]
    chars = list(reference)
    for position in rng.sample(positions, min(count, len(positions))):
        chars[position] = _OCR[chars[position]]
    return "".join(chars)


def transpose_digits(reference: str, rng: random.Random) -> str:
    pairs = [
        i
        for i in range(len(reference) - 1)
        if reference[i].isdigit()
        and reference[i + 1].isdigit()
        and reference[i] != reference[i + 1]
    ]
    if not pairs:
        return reference
    i = rng.choice(pairs)
    return reference[:i] + reference[i + 1] + reference[i] + reference[i + 2 :]


def mangle_reference(reference: str, rng: random.Random) -> str:
    """One or two of the ways payers and OCR garble an invoice number."""
    steps: list[Callable[[str], str]] = [
        drop_prefix,
        drop_dashes,
        drop_leading_zeros,
        lambda ref: ocr_confuse(ref, rng),
        lambda ref: transpose_digits(ref, rng),
        lambda ref: ref.lower(),
    ]
    mangled = reference
    for step in rng.sample(steps, rng.choice((1, 1, 2))):
        mangled = step(mangled)
    return mangled if mangled != reference else drop_prefix(drop_dashes(reference))


_LEGAL_FORMS = re.compile(
    r",?\s+(GmbH & Co\. KG|GmbH & Co\. OHG|GmbH|AG|KG|KGaA|OHG|e\.K\.|mbH|UG|Ltd\.?|LLC|"
    r"Inc\.?|Corp\.?|PLC|S\.A\.|SA|SAS|SARL|S\.r\.l\.|B\.V\.|N\.V\.|AB|Co\.)$"
)
_ABBREVIATIONS = (
    ("Maschinenbau", "Maschb."),
    ("International", "Intl"),
    ("Industries", "Ind."),
    ("Corporation", "Corp"),
    ("Company", "Co"),
    ("Gesellschaft", "Ges."),
    ("Verwaltung", "Verw."),
    ("Technologies", "Tech"),
    ("Services", "Svcs"),
    (" und ", " u. "),
    (" and ", " & "),
)
_TRANSLITERATION = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
        "é": "e",
        "è": "e",
        "ç": "c",
    }
)
_STRIPPED = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U", "ß": "s"})


def name_variant(name: str, rng: random.Random) -> str:
    """How a bank shows a payer's name when it is not the master-data spelling."""
    variants: list[Callable[[str], str]] = [
        lambda n: _LEGAL_FORMS.sub("", n) or n,
        _abbreviate,
        str.upper,
        lambda n: n.title(),
        lambda n: n.translate(_TRANSLITERATION),
        lambda n: n.translate(_STRIPPED).upper(),
        lambda n: n[:27],
    ]
    result = name
    for variant in rng.sample(variants, rng.choice((1, 1, 2))):
        result = variant(result)
    return result.strip() or name


def _abbreviate(name: str) -> str:
    for long, short in _ABBREVIATIONS:
        name = name.replace(long, short)
    return name


def rf_reference(invoice_number: str) -> str:
    """ISO 11649 creditor reference built from an invoice number."""
    body = re.sub(r"[^0-9A-Z]", "", invoice_number.upper())[-21:]
    digits = "".join(str(int(ch, 36)) for ch in body + "RF00")
    return f"RF{98 - int(digits) % 97:02d}{body}"


# -- synthetic invoices ----------------------------------------------------------------


def synthetic_invoices(
    count: int, *, seed: int, start: date = date(2024, 1, 1)
) -> list[OpenInvoice]:
    """Open invoices of ``count // 6`` customers (German, US, French, British
    names via Faker), 8% of them in a foreign currency, 30% with 2% discount."""
    from faker import Faker

    rng = random.Random(seed)
    faker = Faker(["de_DE", "en_US", "fr_FR", "en_GB"])
    faker.seed_instance(seed)
    customers = []
    for index in range(max(1, count // 6)):
        customers.append((f"C{index + 1:06d}", faker.company(), faker.iban()))
    invoices = []
    for index in range(count):
        number, name, iban = rng.choice(customers)
        document_date = start + timedelta(days=rng.randrange(0, 90))
        amount = Decimal(str(round(min(rng.lognormvariate(7.2, 1.1), 250_000), 2))).quantize(CENT)
        currency = "EUR" if rng.random() > 0.08 else rng.choice(("USD", "GBP", "CHF"))
        has_discount = rng.random() < 0.3
        invoices.append(
            OpenInvoice(
                number=f"INV-{document_date.year}-{index + 1:06d}",
                customer_number=number,
                customer_name=name,
                customer_iban=iban,
                currency=currency,
                open_amount=max(amount, Decimal("10.00")),
                document_date=document_date,
                due_date=document_date + timedelta(days=rng.choice((14, 30, 30, 45, 60))),
                discount_percent=Decimal(2) if has_discount else Decimal(0),
                discount_days=10 if has_discount else 0,
            )
        )
    return invoices


# -- generation ---------------------------------------------------------------------------


@dataclass
class Generated:
    statements: list[BankStatement]
    remittances: list[Remittance]
    truth: list[dict[str, Any]]
    csv_mapping: CsvColumnMapping = CSV_MAPPING

    def files(self) -> dict[str, bytes]:
        return {
            "statements.camt053.xml": write_camt053(self.statements),
            "statements.bai2": write_bai2(self.statements),
            "statements.sta": write_mt940(self.statements),
            "statements.csv": write_csv(self.statements, self.csv_mapping),
            "remittances.edi820": write_edi820(self.remittances),
            "truth.json": json.dumps(self.truth, indent=1, ensure_ascii=False).encode(),
        }

    def write(self, directory: Path) -> dict[str, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = {}
        for name, data in self.files().items():
            path = directory / name
            path.write_bytes(data)
            written[name] = path
        return written


@dataclass
class _Pending:
    """A transaction before statements are cut: its booking day and truth."""

    transaction: BankTransaction
    truth: dict[str, Any]


@dataclass
class _State:
    rng: random.Random
    account_currency: str
    invoices: list[OpenInvoice]
    order: list[int]
    by_customer: dict[str, list[int]]
    used: set[int] = field(default_factory=set)
    cursor: int = 0
    sequence: int = 0
    pending: list[_Pending] = field(default_factory=list)
    remittances: list[Remittance] = field(default_factory=list)
    strangers: list[str] = field(default_factory=list)

    def next_invoice(self) -> OpenInvoice | None:
        while self.cursor < len(self.order):
            index = self.order[self.cursor]
            self.cursor += 1
            if index not in self.used:
                self.used.add(index)
                return self.invoices[index]
        return None

    def more_of(self, customer: str, count: int, currency: str) -> list[OpenInvoice]:
        """Up to ``count`` more unpaid invoices of the customer in ``currency``."""
        found = []
        for index in self.by_customer.get(customer, []):
            if len(found) == count:
                break
            invoice = self.invoices[index]
            if index not in self.used and invoice.currency == currency:
                self.used.add(index)
                found.append(invoice)
        return found

    def references(self) -> tuple[str, str]:
        self.sequence += 1
        bank = f"G{self.sequence:09d}"
        e2e = (
            ""
            if self.rng.random() < 0.35
            else f"E2E{self.sequence:08d}{self.rng.randrange(10**6):06d}"
        )
        return bank, e2e


def generate(
    invoices: Sequence[OpenInvoice],
    *,
    seed: int,
    transactions: int | None = None,
    account_iban: str = "DE02120300000000202051",
    account_currency: str = "EUR",
    mix: Mapping[str, float] | None = None,
) -> Generated:
    """Bank statements paying (some of) ``invoices``. Stops early when the
    invoices run out; every invoice is paid by at most one payment (a
    partial payment leaves the rest open)."""
    rng = random.Random(seed)
    order = list(range(len(invoices)))
    rng.shuffle(order)
    by_customer: dict[str, list[int]] = {}
    for index, invoice in enumerate(invoices):
        by_customer.setdefault(invoice.customer_number, []).append(index)
    state = _State(rng, account_currency, list(invoices), order, by_customer)
    state.strangers = [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(50)] + [
        f"{rng.choice(_LAST)} {rng.choice(('GmbH', 'Ltd', 'SARL', 'Inc.'))}" for _ in range(50)
    ]
    weights = dict(mix or MIX)
    kinds = list(weights)
    shares = list(weights.values())
    target = transactions if transactions is not None else len(invoices)
    builders: dict[str, Callable[[_State, OpenInvoice], bool]] = {
        "clean": _clean,
        "mangled_reference": _mangled,
        "name_only": _name_only,
        "combined": _combined,
        "partial_with_remittance": lambda s, i: _partial(s, i, advice=True),
        "partial_without_remittance": lambda s, i: _partial(s, i, advice=False),
        "discount": _discount,
        "overpayment": _overpayment,
        "other_customer_invoice": _other_customer,
        "foreign_currency": _foreign,
    }
    while len(state.pending) < target:
        kind = rng.choices(kinds, shares)[0]
        if kind == "unidentifiable":
            _unidentifiable(state)
            continue
        if kind == "bank_fee":
            _bank_fee(state)
            continue
        if kind == "return":
            if _return(state):
                continue
            kind = "clean"
        invoice = state.next_invoice()
        if invoice is None:
            break
        builders[kind](state, invoice)
    return Generated(
        statements=_statements(state.pending, account_iban, account_currency),
        remittances=state.remittances,
        truth=[pending.truth for pending in sorted(state.pending, key=_order_key)],
    )


_FIRST = ("Anna", "Jan", "Maria", "Peter", "Laura", "Tom", "Sophie", "Luca", "Emma", "Noah")
_LAST = ("Schmidt", "Meyer", "Dupont", "Smith", "Rossi", "Nowak", "Jansen", "Berg", "Kowalski")


def _order_key(pending: _Pending) -> tuple[date, str]:
    tx = pending.transaction
    return (tx.booking_date or date.min, tx.bank_reference)


def _booking_day(state: _State, invoice: OpenInvoice) -> date:
    offset = round(state.rng.triangular(-8, 30, 3))
    day = invoice.due_date + timedelta(days=offset)
    return max(day, invoice.document_date + timedelta(days=1))


def _payer(state: _State, invoice: OpenInvoice) -> tuple[str, str]:
    name = invoice.customer_name
    if state.rng.random() < 0.4:
        name = name_variant(name, state.rng)
    account = invoice.customer_iban if state.rng.random() < 0.9 else ""
    return name, account


def _to_account(state: _State, amount: Decimal, currency: str) -> Decimal:
    if currency == state.account_currency:
        return amount
    rate = RATES_PER_EUR[state.account_currency] / RATES_PER_EUR[currency]
    return (amount * rate).quantize(CENT, ROUND_HALF_UP)


def _text(state: _State, template_set: Sequence[str], **values: object) -> str:
    return state.rng.choice(template_set).format(**values)


_SINGLE = (
    "Rechnung {ref}",
    "RE {ref}",
    "Invoice {ref}",
    "INV {ref} thank you",
    "Facture {ref}",
    "{ref}",
    "Payment for invoice {ref}",
    "Rg.Nr. {ref} vom {doc:%d.%m.%Y}",
    "Kd-Nr {cust} Re {ref}",
    "{ref} / {cust}",
)
_SEVERAL = ("Rechnungen {refs}", "INV {refs}", "Invoices {refs}", "Re. {refs} Kd {cust}")
_GENERIC = ("Zahlung", "Payment", "Ueberweisung", "Lieferung Maerz", "Sammelzahlung", "")


def _add(
    state: _State,
    *,
    kind: str,
    amount: Decimal,
    day: date,
    payer: tuple[str, str],
    text: str,
    structured: tuple[str, ...] = (),
    customer: str | None,
    paid: Sequence[tuple[OpenInvoice, Decimal]] = (),
    direction: Direction = Direction.CREDIT,
    extra: Mapping[str, Any] | None = None,
    original: tuple[Decimal, str] | None = None,
    e2e: str | None = None,
    return_reason: str = "",
) -> BankTransaction:
    bank, generated_e2e = state.references()
    transaction = BankTransaction(
        amount=amount,
        currency=state.account_currency,
        direction=direction,
        booking_date=day,
        value_date=day,
        bank_reference=bank,
        end_to_end_id=generated_e2e if e2e is None else e2e,
        payer_name=payer[0],
        payer_account=payer[1],
        remittance_text=" ".join(text.split()),
        structured_references=structured,
        is_return=bool(return_reason),
        return_reason=return_reason,
        original_amount=original[0] if original else None,
        original_currency=original[1] if original else "",
    )
    truth: dict[str, Any] = {
        "bank_reference": bank,
        "end_to_end_id": transaction.end_to_end_id,
        "booking_date": day.isoformat(),
        "amount": str(amount),
        "currency": state.account_currency,
        "direction": direction.value,
        "kind": kind,
        "customer_number": customer,
        "invoices": [
            {"number": invoice.number, "currency": invoice.currency, "amount": str(value)}
            for invoice, value in paid
        ],
    }
    truth.update(extra or {})
    state.pending.append(_Pending(transaction, truth))
    return transaction


def _reference_text(state: _State, invoice: OpenInvoice, ref: str) -> str:
    return _text(state, _SINGLE, ref=ref, doc=invoice.document_date, cust=invoice.customer_number)


def _account_amount(
    state: _State, invoice: OpenInvoice, amount: Decimal
) -> tuple[Decimal, tuple[Decimal, str] | None]:
    if invoice.currency == state.account_currency:
        return amount, None
    return _to_account(state, amount, invoice.currency), (amount, invoice.currency)


def _clean(state: _State, invoice: OpenInvoice) -> bool:
    structured: tuple[str, ...] = ()
    text = _reference_text(state, invoice, invoice.number)
    if state.rng.random() < 1 / 3:
        structured = (rf_reference(invoice.number),)
        text = ""
    amount, original = _account_amount(state, invoice, invoice.open_amount)
    _add(
        state,
        kind="clean",
        amount=amount,
        day=_booking_day(state, invoice),
        payer=_payer(state, invoice),
        text=text,
        structured=structured,
        customer=invoice.customer_number,
        paid=[(invoice, invoice.open_amount)],
        original=original,
    )
    return True


def _mangled(state: _State, invoice: OpenInvoice) -> bool:
    mangled = mangle_reference(invoice.number, state.rng)
    amount, original = _account_amount(state, invoice, invoice.open_amount)
    _add(
        state,
        kind="mangled_reference",
        amount=amount,
        day=_booking_day(state, invoice),
        payer=_payer(state, invoice),
        text=_reference_text(state, invoice, mangled),
        customer=invoice.customer_number,
        paid=[(invoice, invoice.open_amount)],
        extra={"shown_reference": mangled},
        original=original,
    )
    return True


def _name_only(state: _State, invoice: OpenInvoice) -> bool:
    amount, original = _account_amount(state, invoice, invoice.open_amount)
    _add(
        state,
        kind="name_only",
        amount=amount,
        day=_booking_day(state, invoice),
        payer=(name_variant(invoice.customer_name, state.rng), invoice.customer_iban),
        text=state.rng.choice(_GENERIC),
        customer=invoice.customer_number,
        paid=[(invoice, invoice.open_amount)],
        original=original,
    )
    return True


def _combined(state: _State, invoice: OpenInvoice) -> bool:
    more = state.more_of(invoice.customer_number, state.rng.randint(1, 4), invoice.currency)
    group = [invoice, *more]
    if len(group) == 1:
        return _clean(state, invoice)
    total = sum((item.open_amount for item in group), Decimal(0))
    amount, original = _account_amount(state, invoice, total)
    day = max(_booking_day(state, item) for item in group)
    refs = [
        item.number if state.rng.random() < 0.7 else mangle_reference(item.number, state.rng)
        for item in group
    ]
    advice = state.rng.random() < 1 / 3
    e2e = f"ADV{state.sequence + 1:08d}"
    if advice:
        text = f"Avis {e2e}"
        state.remittances.append(
            Remittance(
                format=RemittanceFormat.EDI820,
                payer_name=invoice.customer_name,
                payment_reference=e2e,
                payment_amount=total,
                currency=invoice.currency,
                payment_date=day,
                lines=tuple(
                    RemittanceLine(
                        reference=item.number,
                        paid_amount=item.open_amount,
                        invoice_amount=item.open_amount,
                    )
                    for item in group
                ),
            )
        )
    else:
        separator = state.rng.choice((", ", " ", "/", " + "))
        text = _text(state, _SEVERAL, refs=separator.join(refs), cust=invoice.customer_number)
    _add(
        state,
        kind="combined",
        amount=amount,
        day=day,
        payer=_payer(state, invoice),
        text=text,
        customer=invoice.customer_number,
        paid=[(item, item.open_amount) for item in group],
        extra={"remittance_advice": e2e if advice else None},
        original=original,
        e2e=e2e if advice else None,
    )
    return True


_ADJUSTMENTS = (("CS", "damaged goods"), ("PR", "price difference"), ("QT", "short delivery"))


def _partial(state: _State, invoice: OpenInvoice, *, advice: bool) -> bool:
    share = Decimal(str(state.rng.uniform(0.3, 0.8)))
    paid = (invoice.open_amount * share).quantize(CENT)
    amount, original = _account_amount(state, invoice, paid)
    day = _booking_day(state, invoice)
    reference = f"ADV{state.sequence + 1:08d}"
    if advice:
        code, reason = state.rng.choice(_ADJUSTMENTS)
        state.remittances.append(
            Remittance(
                format=RemittanceFormat.EDI820,
                payer_name=invoice.customer_name,
                payment_reference=reference,
                payment_amount=paid,
                currency=invoice.currency,
                payment_date=day,
                lines=(
                    RemittanceLine(
                        reference=invoice.number,
                        paid_amount=paid,
                        invoice_amount=invoice.open_amount,
                        adjustment_amount=paid - invoice.open_amount,
                        adjustment_reason=code,
                        note=reason,
                    ),
                ),
            )
        )
        text = state.rng.choice(("Teilzahlung {ref}", "partial payment {ref}", "1. Rate {ref}"))
    else:
        text = "{ref}"
    _add(
        state,
        kind="partial_with_remittance" if advice else "partial_without_remittance",
        amount=amount,
        day=day,
        payer=_payer(state, invoice),
        text=text.format(ref=invoice.number),
        customer=invoice.customer_number,
        paid=[(invoice, paid)],
        extra={
            "remaining_open": str(invoice.open_amount - paid),
            "remittance_advice": reference if advice else None,
        },
        original=original,
        e2e=reference if advice else None,
    )
    return True


def _discount(state: _State, invoice: OpenInvoice) -> bool:
    percent = invoice.discount_percent or Decimal(2)
    days = invoice.discount_days or 10
    discount = (invoice.open_amount * percent / 100).quantize(CENT, ROUND_HALF_UP)
    paid = invoice.open_amount - discount
    amount, original = _account_amount(state, invoice, paid)
    day = invoice.document_date + timedelta(days=state.rng.randint(1, days))
    text = state.rng.choice(
        ("{ref} abzgl. {p}% Skonto", "{ref} less {p}% discount", "{ref}", "Re {ref} Skonto")
    )
    _add(
        state,
        kind="discount",
        amount=amount,
        day=day,
        payer=_payer(state, invoice),
        text=text.format(ref=invoice.number, p=percent.normalize()),
        customer=invoice.customer_number,
        paid=[(invoice, paid)],
        extra={"discount": str(discount)},
        original=original,
    )
    return True


def _overpayment(state: _State, invoice: OpenInvoice) -> bool:
    if state.rng.random() < 0.5:
        paid = (invoice.open_amount / 100).to_integral_value(rounding="ROUND_CEILING") * 100
        if paid == invoice.open_amount:
            paid += 100
    else:
        paid = invoice.open_amount + Decimal(state.rng.randint(1, 50000)) / 100
    amount, original = _account_amount(state, invoice, paid)
    _add(
        state,
        kind="overpayment",
        amount=amount,
        day=_booking_day(state, invoice),
        payer=_payer(state, invoice),
        text=_reference_text(state, invoice, invoice.number),
        customer=invoice.customer_number,
        paid=[(invoice, invoice.open_amount)],
        extra={"unapplied": str(paid - invoice.open_amount)},
        original=original,
    )
    return True


def _other_customer(state: _State, invoice: OpenInvoice) -> bool:
    other = state.invoices[state.rng.randrange(len(state.invoices))]
    if other.customer_number == invoice.customer_number:
        return _clean(state, invoice)
    amount, original = _account_amount(state, invoice, invoice.open_amount)
    _add(
        state,
        kind="other_customer_invoice",
        amount=amount,
        day=_booking_day(state, invoice),
        payer=(other.customer_name, other.customer_iban),
        text=_reference_text(state, invoice, invoice.number),
        customer=invoice.customer_number,
        paid=[(invoice, invoice.open_amount)],
        extra={"payer_customer_number": other.customer_number},
        original=original,
    )
    return True


def _foreign(state: _State, invoice: OpenInvoice) -> bool:
    """The payer instructs another currency; the bank converts with a spread,
    so the credit falls a little short of the invoice."""
    if invoice.currency != state.account_currency:
        return _clean(state, invoice)
    currency = state.rng.choice([c for c in ("USD", "GBP", "CHF") if c != state.account_currency])
    instructed = _to_account_rate(invoice.open_amount, state.account_currency, currency)
    spread = Decimal(str(state.rng.uniform(0.002, 0.012)))
    credited = (invoice.open_amount * (1 - spread)).quantize(CENT)
    _add(
        state,
        kind="foreign_currency",
        amount=credited,
        day=_booking_day(state, invoice),
        payer=_payer(state, invoice),
        text=_reference_text(state, invoice, invoice.number),
        customer=invoice.customer_number,
        paid=[(invoice, credited)],
        extra={"fx_difference": str(invoice.open_amount - credited)},
        original=(instructed, currency),
    )
    return True


def _to_account_rate(amount: Decimal, source: str, target: str) -> Decimal:
    return (amount * RATES_PER_EUR[target] / RATES_PER_EUR[source]).quantize(CENT, ROUND_HALF_UP)


def _unidentifiable(state: _State) -> None:
    rng = state.rng
    day = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 150))
    _add(
        state,
        kind="unidentifiable",
        amount=Decimal(rng.randint(500, 500000)) / 100,
        day=day,
        payer=(rng.choice(state.strangers), ""),
        text=rng.choice((*_GENERIC, "".join(rng.choices(string.digits, k=8)))),
        customer=None,
    )


def _bank_fee(state: _State) -> None:
    day = date(2024, 1, 1) + timedelta(days=state.rng.randrange(0, 150))
    _add(
        state,
        kind="bank_fee",
        amount=Decimal(state.rng.randint(200, 6000)) / 100,
        day=day,
        payer=("", ""),
        text=state.rng.choice(("Kontofuehrungsentgelt", "Account maintenance fee", "Entgelt")),
        customer=None,
        direction=Direction.DEBIT,
        e2e="",
    )


_RETURN_REASONS = ("AC04", "AC06", "MD06", "AM04", "MS03")


def _return(state: _State) -> bool:
    candidates = [
        pending
        for pending in state.pending[-200:]
        if pending.truth["kind"] == "clean" and not pending.truth.get("returned")
    ]
    if not candidates:
        return False
    original = state.rng.choice(candidates)
    original.truth["returned"] = True
    tx = original.transaction
    reason = state.rng.choice(_RETURN_REASONS)
    _add(
        state,
        kind="return",
        amount=tx.amount,
        day=(tx.booking_date or date(2024, 1, 1)) + timedelta(days=state.rng.randint(2, 10)),
        payer=(tx.payer_name, tx.payer_account),
        text=f"RETOURE {reason} {tx.remittance_text}",
        customer=original.truth["customer_number"],
        paid=[],
        direction=Direction.DEBIT,
        extra={
            "returns_bank_reference": tx.bank_reference,
            "reopens": original.truth["invoices"],
        },
        e2e=tx.end_to_end_id,
        return_reason=reason,
    )
    return True


def _statements(pending: list[_Pending], account_iban: str, currency: str) -> list[BankStatement]:
    ordered = sorted(pending, key=_order_key)
    statements: list[BankStatement] = []
    balance = Decimal("250000.00")
    day_transactions: dict[date, list[BankTransaction]] = {}
    for item in ordered:
        day = item.transaction.booking_date or date(2024, 1, 1)
        day_transactions.setdefault(day, []).append(item.transaction)
    for number, (day, transactions) in enumerate(sorted(day_transactions.items()), start=1):
        net = sum(
            (tx.amount if tx.direction is Direction.CREDIT else -tx.amount for tx in transactions),
            Decimal(0),
        )
        statement_id = f"S{day:%Y%m%d}{number:05d}"
        for position, tx in enumerate(transactions, start=1):
            transactions[position - 1] = replace(
                tx, entry_reference=f"{statement_id[-8:]}{position:05d}"
            )
        statements.append(
            BankStatement(
                format=BankFileFormat.CAMT053,
                statement_id=statement_id,
                account=account_iban,
                currency=currency,
                created_on=day,
                from_date=day,
                to_date=day,
                opening_balance=balance,
                closing_balance=balance + net,
                transactions=tuple(transactions),
            )
        )
        balance += net
    return statements


# -- CLI ---------------------------------------------------------------------------------------


def _load_invoices(path: Path) -> list[OpenInvoice]:
    rows = json.loads(path.read_text())
    return [
        OpenInvoice(
            number=row["number"],
            customer_number=row["customer_number"],
            customer_name=row["customer_name"],
            customer_iban=row.get("customer_iban", ""),
            currency=row["currency"],
            open_amount=Decimal(str(row["open_amount"])),
            document_date=date.fromisoformat(row["document_date"]),
            due_date=date.fromisoformat(row["due_date"]),
            discount_percent=Decimal(str(row.get("discount_percent", 0))),
            discount_days=int(row.get("discount_days", 0)),
        )
        for row in rows
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for the files")
    parser.add_argument("--invoices", type=Path, help="JSON list of open invoices")
    parser.add_argument("--synthetic", type=int, default=14_000, help="invoices to make up")
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--account-iban", default="DE02120300000000202051")
    parser.add_argument("--currency", default="EUR")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.invoices:
        invoices = _load_invoices(args.invoices)
    else:
        invoices = synthetic_invoices(args.synthetic, seed=args.seed)
        (args.out).mkdir(parents=True, exist_ok=True)
        (args.out / "invoices.json").write_text(
            json.dumps([asdict(i) for i in invoices], default=str, ensure_ascii=False, indent=1)
        )
    made = time.perf_counter()
    result = generate(
        invoices,
        seed=args.seed,
        transactions=args.transactions,
        account_iban=args.account_iban,
        account_currency=args.currency,
    )
    generated = time.perf_counter()
    written = result.write(args.out)
    done = time.perf_counter()
    count = sum(len(s.transactions) for s in result.statements)
    print(
        f"{count} transactions in {len(result.statements)} daily statements,"
        f" {len(result.remittances)} remittance advices from {len(invoices)} invoices;"
        f" invoices {made - started:.2f} s, generate {generated - made:.2f} s,"
        f" write {done - generated:.2f} s"
    )
    for path in written.values():
        print(f"  {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
