"""Reading and checking a go-live CSV of open invoices (see
``invoicing.services.imports``): the columns, the file's shape and every row,
all problems collected with their row number and column before anything is
written."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from moneyed import CURRENCIES

from invoicing.models import Invoice, InvoiceOrigin
from otc.customers.models import Customer
from otc.errors import ValidationFailed
from otc.fx.money import minor_units
from otc.fx.selectors import RateUnavailableError, fx_rate
from otc.tenancy.models import Tenant

IMPORT_SERIES = "IMPORT"
MAX_ROWS = 50_000
_MAX_AMOUNT = Decimal(10) ** 14  # 14 whole digits, as every amount column
MAX_ERRORS = 200  # enough to fix a file; a wholly wrong file needs no 50,000 lines

# The columns, in the order the guide lists them: (name, required, what it holds).
IMPORT_COLUMNS: tuple[tuple[str, bool, str], ...] = (
    (
        "customer_number",
        False,
        "The customer's number in OTC. Give this or customer_external_ref.",
    ),
    ("customer_external_ref", False, "Or the customer's id in your ERP."),
    ("invoice_number", True, "The invoice number in the old system, kept exactly as it is."),
    (
        "external_ref",
        False,
        (
            "The invoice's id in your ERP, if it has one (unique); recognises the invoice "
            "when the file is imported again."
        ),
    ),
    ("issue_date", True, "The invoice date, as YYYY-MM-DD (e.g. 2026-01-31)."),
    ("due_date", True, "As YYYY-MM-DD; not before the issue date."),
    ("currency", True, "ISO 4217 code of the invoice, e.g. EUR or USD."),
    (
        "open_amount",
        True,
        (
            "What the customer still owes on it: greater than 0, a point as decimal "
            "separator, no thousands separators, at most the currency's decimals (1234.56)."
        ),
    ),
    (
        "original_amount",
        False,
        (
            "The invoice's full amount, at least the open amount. Left empty: the open "
            "amount (the invoice counts as unpaid); larger: it counts as partly paid."
        ),
    ),
    ("po_number", False, "The customer's purchase order number."),
)
COLUMN_NAMES = tuple(name for name, _, _ in IMPORT_COLUMNS)


@dataclass(frozen=True)
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str  # "" for the row (or file) as a whole
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return (
            f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


class ImportFailed(ValidationFailed):
    """Nothing was imported; `problems` names each row and column to fix."""

    code = "import_failed"

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        errors: dict[str, list[str]] = {}
        for problem in problems:
            key = f"row {problem.row}" if problem.row else "file"
            if problem.column:
                key = f"{key}.{problem.column}"
            errors.setdefault(key, []).append(problem.message)
        count = len(problems)
        super().__init__(
            f"Nothing was imported: {count} problem{'s' if count != 1 else ''} to fix.",
            errors=errors,
        )


@dataclass(frozen=True)
class OpenInvoiceRow:
    row: int
    customer: Customer
    invoice_number: str
    external_ref: str | None
    issue_date: date
    due_date: date
    currency: str
    open_amount: Decimal
    original_amount: Decimal
    po_number: str
    rate: Decimal


# --- reading the file --------------------------------------------------------------


def read_csv(content: bytes) -> list[dict[str, str]]:
    """The data rows as {column: text}; commas, semicolons or tabs between
    columns, UTF-8 (with or without the BOM spreadsheets write)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed(
            [RowProblem(0, "", "The file is not UTF-8 text: save it as 'CSV UTF-8' and retry.")]
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    problems = _header_problems(header)
    if problems:
        raise ImportFailed(problems)
    reader.fieldnames = header
    rows = []
    for record in reader:
        if reader.line_num - 1 > MAX_ROWS:
            raise ImportFailed(
                [RowProblem(0, "", f"The file has more than {MAX_ROWS:,} rows: split it.")]
            )
        if None in record:
            rows.append({"__row__": str(reader.line_num), "__extra__": "1"})
            continue
        cleaned = {key: (value or "").strip() for key, value in record.items() if key}
        if any(cleaned.values()):
            cleaned["__row__"] = str(reader.line_num)
            rows.append(cleaned)
    if not rows:
        raise ImportFailed([RowProblem(0, "", "The file has a header but no invoices.")])
    return rows


def _header_problems(header: list[str]) -> list[RowProblem]:
    if not header:
        return [RowProblem(1, "", "The file is empty: the first row must name the columns.")]
    problems = [
        RowProblem(1, name or "(empty)", "Unknown column: use the names from the column guide.")
        for name in header
        if name not in COLUMN_NAMES
    ]
    problems += [
        RowProblem(1, name, "This column is required.")
        for name, required, _ in IMPORT_COLUMNS
        if required and name not in header
    ]
    if "customer_number" not in header and "customer_external_ref" not in header:
        problems.append(
            RowProblem(1, "customer_number", "Add customer_number or customer_external_ref.")
        )
    repeated = {name for name in header if header.count(name) > 1}
    problems += [RowProblem(1, name, "This column appears twice.") for name in sorted(repeated)]
    return problems


# --- checking the rows ----------------------------------------------------------------


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _amount(value: str, currency: str | None) -> Decimal | str:
    """The amount, or what is wrong with it."""
    if "," in value or " " in value or "'" in value:
        return "Use a point as decimal separator and no thousands separators, e.g. 1234.56."
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return f"'{value}' is not an amount such as 1234.56."
    if not amount.is_finite() or amount <= 0:
        return "Enter an amount greater than 0."
    if amount >= Decimal(10) ** 14:
        return "The amount is too large."
    if currency is not None:
        exponent = amount.as_tuple().exponent
        assert isinstance(exponent, int)  # noqa: S101  (finite)
        if -exponent > minor_units(currency):
            return f"{currency} has {minor_units(currency)} decimals; {value} has more."
    return amount


class _Checker:
    """Checks rows one by one, collecting every problem, with the lookups
    (customers, existing invoices, rates) done once per distinct value."""

    def __init__(self, tenant: Tenant, rows: list[dict[str, str]]) -> None:
        self.tenant = tenant
        self.problems: list[RowProblem] = []
        customers = Customer.objects.for_tenant(tenant)
        numbers = {r.get("customer_number", "") for r in rows} - {""}
        refs = {r.get("customer_external_ref", "") for r in rows} - {""}
        self.by_number = {c.number: c for c in customers.filter(number__in=numbers)}
        self.by_ref = {c.external_ref: c for c in customers.filter(external_ref__in=refs)}
        documents = Invoice.objects.for_tenant(tenant)
        invoice_numbers = {r.get("invoice_number", "") for r in rows} - {""}
        invoice_refs = {r.get("external_ref", "") for r in rows} - {""}
        self.invoice_by_number = {i.number: i for i in documents.filter(number__in=invoice_numbers)}
        self.invoice_by_ref = {
            i.external_ref: i for i in documents.filter(external_ref__in=invoice_refs)
        }
        self.rates: dict[tuple[str, date], Decimal | None] = {}
        self.seen_numbers: dict[str, int] = {}
        self.seen_refs: dict[str, int] = {}

    def problem(self, row: int, column: str, message: str) -> None:
        self.problems.append(RowProblem(row, column, message))

    def rate(self, currency: str, on: date) -> Decimal | None:
        key = (currency, on)
        if key not in self.rates:
            try:
                self.rates[key] = fx_rate(
                    tenant=self.tenant,
                    from_currency=currency,
                    to_currency=str(self.tenant.base_currency),
                    on=on,
                ).rate
            except RateUnavailableError:
                self.rates[key] = None
        return self.rates[key]

    def customer(self, row: int, record: dict[str, str]) -> Customer | None:
        number = record.get("customer_number", "")
        ref = record.get("customer_external_ref", "")
        if number and ref:
            self.problem(row, "customer_external_ref", "Give the customer number or ref, not both.")
            return None
        if not number and not ref:
            self.problem(row, "customer_number", "Say whose invoice this is.")
            return None
        found = self.by_number.get(number) if number else self.by_ref.get(ref)
        if found is None:
            column, value = (
                ("customer_number", number) if number else ("customer_external_ref", ref)
            )
            self.problem(row, column, f"No customer has {value}: create the customer first.")
        return found

    def existing(self, row: int, record: dict[str, str], customer: Customer) -> Invoice | None:
        """The invoice this row imported before, if any; a clash with another
        document is a problem."""
        number, ref = record["invoice_number"], record.get("external_ref") or None
        found = self.invoice_by_ref.get(ref) if ref else None
        found = found or self.invoice_by_number.get(number)
        if found is None:
            return None
        if found.origin != InvoiceOrigin.IMPORT or found.customer_id != customer.pk:
            column = "external_ref" if ref and found.external_ref == ref else "invoice_number"
            self.problem(
                row,
                column,
                f"{found} (customer {found.customer.number}) already has this "
                f"{'reference' if column == 'external_ref' else 'number'}.",
            )
            return None
        if found.number != number or (ref and found.external_ref not in (None, ref)):
            self.problem(
                row, "invoice_number", f"{found} was imported with other number or reference."
            )
            return None
        return found

    def numbers(self, row: int, record: dict[str, str]) -> tuple[str, str | None]:
        number = record.get("invoice_number", "")
        ref = record.get("external_ref", "") or None
        if not number:
            self.problem(row, "invoice_number", "Enter the invoice number of the old system.")
        elif len(number) > 64:
            self.problem(row, "invoice_number", "Keep the number to 64 characters.")
        elif number in self.seen_numbers:
            self.problem(row, "invoice_number", f"Repeats row {self.seen_numbers[number]}.")
        else:
            self.seen_numbers[number] = row
        if ref is not None:
            if len(ref) > 100:
                self.problem(row, "external_ref", "Keep the reference to 100 characters.")
            elif ref in self.seen_refs:
                self.problem(row, "external_ref", f"Repeats row {self.seen_refs[ref]}.")
            else:
                self.seen_refs[ref] = row
        return number, ref

    def dates(self, row: int, record: dict[str, str]) -> tuple[date | None, date | None]:
        issue_date = _date(record.get("issue_date", ""))
        due_date = _date(record.get("due_date", ""))
        if issue_date is None:
            self.problem(row, "issue_date", "Enter the date as YYYY-MM-DD, e.g. 2026-01-31.")
        if due_date is None:
            self.problem(row, "due_date", "Enter the date as YYYY-MM-DD, e.g. 2026-03-02.")
        elif issue_date is not None and due_date < issue_date:
            self.problem(row, "due_date", "The due date is before the issue date.")
        return issue_date, due_date

    def amounts(
        self, row: int, record: dict[str, str]
    ) -> tuple[str | None, Decimal | None, Decimal | None]:
        currency: str | None = record.get("currency", "").upper()
        if currency not in CURRENCIES or currency in {"XXX", "XTS"}:
            self.problem(row, "currency", f"'{record.get('currency', '')}' is not a currency code.")
            currency = None
        open_amount = _amount(record.get("open_amount", ""), currency)
        if isinstance(open_amount, str):
            self.problem(row, "open_amount", open_amount)
            return currency, None, None
        original_text = record.get("original_amount", "")
        original = _amount(original_text, currency) if original_text else open_amount
        if isinstance(original, str):
            self.problem(row, "original_amount", original)
            return currency, open_amount, None
        if original < open_amount:
            self.problem(row, "original_amount", "Cannot be less than the open amount.")
        return currency, open_amount, original

    def check(self, record: dict[str, str]) -> OpenInvoiceRow | Invoice | None:
        row = int(record["__row__"])
        before = len(self.problems)
        customer = self.customer(row, record)
        number, ref = self.numbers(row, record)
        issue_date, due_date = self.dates(row, record)
        currency, open_amount, original_amount = self.amounts(row, record)
        po_number = record.get("po_number", "")
        if len(po_number) > 100:
            self.problem(row, "po_number", "Keep the PO number to 100 characters.")
        rate = None
        if currency and issue_date:
            rate = self.rate(currency, issue_date)
            if rate is None:
                self.problem(
                    row,
                    "issue_date",
                    f"No {currency}/{self.tenant.base_currency} rate on or shortly before "
                    f"{issue_date.isoformat()}: load ECB history or enter a manual rate.",
                )
            elif original_amount is not None and original_amount * rate >= _MAX_AMOUNT:
                self.problem(
                    row,
                    "original_amount" if record.get("original_amount") else "open_amount",
                    f"Too large once converted to {self.tenant.base_currency}.",
                )
        if len(self.problems) > before or customer is None:
            return None
        existing = self.existing(row, record, customer)
        if (
            existing is not None
            or len(self.problems) > before
            or not (issue_date and due_date and currency and open_amount and original_amount)
            or rate is None
        ):
            return existing
        return OpenInvoiceRow(
            row=row,
            customer=customer,
            invoice_number=number,
            external_ref=ref,
            issue_date=issue_date,
            due_date=due_date,
            currency=currency,
            open_amount=open_amount,
            original_amount=original_amount,
            po_number=po_number,
            rate=rate,
        )


def check_open_invoices(
    *, tenant: Tenant, records: list[dict[str, str]]
) -> tuple[list[OpenInvoiceRow], list[Invoice]]:
    """Rows to import and invoices imported before; ImportFailed names every
    problem (up to MAX_ERRORS)."""
    checker = _Checker(tenant, records)
    new: list[OpenInvoiceRow] = []
    existing: list[Invoice] = []
    for record in records:
        if "__extra__" in record:
            checker.problem(
                int(record["__row__"]), "", "The row has more values than the header has columns."
            )
            continue
        outcome = checker.check(record)
        if isinstance(outcome, OpenInvoiceRow):
            new.append(outcome)
        elif isinstance(outcome, Invoice):
            existing.append(outcome)
        if len(checker.problems) >= MAX_ERRORS:
            break
    if checker.problems:
        raise ImportFailed(checker.problems[:MAX_ERRORS])
    return new, existing
