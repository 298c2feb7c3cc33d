"""What every bank-file and remittance parser returns, whatever the format.

Parsers turn bytes into these plain values and nothing else: no database, no
tenant. Importing (idempotency, payments, matching) works on these values
only, so a new format is a new parser and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class BankFileFormat(StrEnum):
    CAMT053 = "camt053"
    CAMT054 = "camt054"
    BAI2 = "bai2"
    MT940 = "mt940"
    MT942 = "mt942"
    CSV = "csv"


class RemittanceFormat(StrEnum):
    EDI820 = "edi820"
    CSV = "csv"


class Direction(StrEnum):
    CREDIT = "credit"  # money in: a customer paid us
    DEBIT = "debit"  # money out: a return, a charge, an outgoing transfer


class BankFileError(ValueError):
    """The file cannot be read. ``location`` names the line (``line 12``) or
    element (``Stmt[1]/Ntry[3]/Amt``) so the user can find the problem."""

    def __init__(self, message: str, *, location: str = "") -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


@dataclass(frozen=True)
class BankTransaction:
    """One payment as the bank reports it: a CAMT transaction detail (batched
    entries are split into their details), a BAI2 type detail record, an
    MT940 :61:/:86: pair, a CSV row."""

    amount: Decimal  # always positive; see direction
    currency: str  # ISO 4217
    direction: Direction
    booking_date: date | None
    value_date: date | None
    # Identifiers, as given (empty when the format or bank has none).
    bank_reference: str = ""  # AcctSvcrRef, BAI2 bank reference, MT940 bank ref
    end_to_end_id: str = ""  # EndToEndId (SEPA), "NOTPROVIDED" normalised to ""
    entry_reference: str = ""  # the entry (NtryRef / batch) this detail came from
    # Who paid.
    payer_name: str = ""
    payer_account: str = ""  # IBAN, or the account number where there is none
    payer_bic: str = ""
    # What for.
    remittance_text: str = ""  # unstructured remittance, lines joined by a space
    structured_references: tuple[str, ...] = ()  # RF creditor refs, invoice numbers
    transaction_code: str = ""  # BTC domain/family/sub, BAI2 type code, GVC
    # Special cases.
    is_reversal: bool = False  # the bank reverses an earlier booking
    is_return: bool = False  # returned / NSF / chargeback of an earlier payment
    return_reason: str = ""  # e.g. ISO reason code AC04, MD06
    charges: Decimal = Decimal(0)  # bank charges deducted from this payment
    original_amount: Decimal | None = None  # instructed amount before charges/FX
    original_currency: str = ""
    location: str = ""  # where in the file (for messages and the statement view)
    # Added for CAMT: the ultimate debtor when it differs from the account
    # holder (a group paying for a subsidiary), and whether the bank booked
    # the entry (False for CAMT status PDNG/INFO: not yet money on the account).
    ultimate_payer_name: str = ""
    booked: bool = True


@dataclass(frozen=True)
class BankStatement:
    """One statement (or notification / intraday report) for one account."""

    format: BankFileFormat
    statement_id: str  # the bank's id of the statement (Stmt/Id, :20:+:28C:, ...)
    account: str  # IBAN or account number the statement is for
    currency: str
    created_on: date | None = None
    from_date: date | None = None
    to_date: date | None = None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    transactions: tuple[BankTransaction, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CsvColumnMapping:
    """A tenant's saved description of its bank's CSV export. Column values
    are header names (or 0-based indexes as strings when ``has_header`` is
    false). Amount is either one signed column or a credit/debit pair."""

    booking_date: str
    amount: str = ""
    credit_amount: str = ""
    debit_amount: str = ""
    currency: str = ""
    default_currency: str = ""
    value_date: str = ""
    payer_name: str = ""
    payer_account: str = ""
    bank_reference: str = ""
    end_to_end_id: str = ""
    remittance_text: str = ""
    delimiter: str = ","
    decimal_separator: str = "."
    thousands_separator: str = ""
    date_format: str = "%Y-%m-%d"
    has_header: bool = True
    encoding: str = "utf-8"
    account: str = ""  # the statement's account, when the file does not say


@dataclass(frozen=True)
class RemittanceLine:
    """One invoice the payer says it is paying."""

    reference: str  # invoice number (or RF reference) as the payer wrote it
    paid_amount: Decimal | None = None
    invoice_amount: Decimal | None = None
    discount_amount: Decimal | None = None
    adjustment_amount: Decimal | None = None  # short-paid amount the payer explains
    adjustment_reason: str = ""  # payer's reason code / text (e.g. EDI 820 ADX 'CS')
    location: str = ""
    # Added: the payer's notes on the line (EDI 820 REF after an RMR) and the
    # invoice date the payer quotes (DTM*003), both help a clerk match by hand.
    note: str = ""
    invoice_date: date | None = None


@dataclass(frozen=True)
class Remittance:
    """A remittance advice: which invoices one payment is for."""

    format: RemittanceFormat
    payer_name: str
    payment_reference: str  # ties the advice to its payment (TRN, check no., e2e id)
    payment_amount: Decimal | None
    currency: str
    payment_date: date | None
    lines: tuple[RemittanceLine, ...] = field(default_factory=tuple)
    location: str = ""
