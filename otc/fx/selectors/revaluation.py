"""Month-end unrealised FX revaluation of the open items.

An open item in a foreign currency sits in the books at its locked rate
(its open base amount). At a period end finance restates it at that day's
rate; the difference is the unrealised gain or loss, reversed on the first
day of the next period. Nothing is posted here: this is the report that
tells the accountant what to book.

Signs follow the ledger: receivables are positive, credits (unapplied cash,
credit memos) negative, so a gain is always "revalued minus book value" and
a stronger foreign currency is a gain on receivables and a loss on credits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from otc.fx.money import quantize_money
from otc.fx.selectors.rates import RateQuote, RateUnavailableError, fx_rate
from otc.ledger.models import ItemKind, OpenItem
from otc.ledger.selectors import open_items_as_of
from otc.tenancy.models import Tenant


@dataclass(frozen=True)
class RevaluedItem:
    item_id: int
    customer_id: int
    customer_number: str
    customer_name: str
    kind: str
    kind_label: str
    number: str
    currency: str
    document_date: date
    due_date: date | None
    open_amount: Decimal  # item currency, as of the report date
    locked_rate: Decimal  # 1 currency = locked_rate base, locked on the document date
    book_base: Decimal  # what the ledger carries: open base amount at the locked rate
    rate: Decimal | None  # the rate on the report date; None when there is none
    rate_date: date | None
    rate_source: str
    revalued_base: Decimal | None
    gain: Decimal | None  # unrealised gain (positive) or loss (negative), base currency
    reason: str = ""  # why an item could not be revalued


@dataclass
class CurrencyTotal:
    currency: str
    rate: Decimal
    rate_date: date
    rate_source: str
    items: int = 0
    open_amount: Decimal = Decimal(0)
    book_base: Decimal = Decimal(0)
    revalued_base: Decimal = Decimal(0)
    gain: Decimal = Decimal(0)


@dataclass
class Revaluation:
    as_of: date
    base_currency: str
    items: list[RevaluedItem] = field(default_factory=list)
    unrated: list[RevaluedItem] = field(default_factory=list)
    by_currency: list[CurrencyTotal] = field(default_factory=list)

    @property
    def book_base(self) -> Decimal:
        return sum((total.book_base for total in self.by_currency), Decimal(0))

    @property
    def revalued_base(self) -> Decimal:
        return sum((total.revalued_base for total in self.by_currency), Decimal(0))

    @property
    def gain(self) -> Decimal:
        return sum((total.gain for total in self.by_currency), Decimal(0))

    @property
    def unrated_book_base(self) -> Decimal:
        return sum((item.book_base for item in self.unrated), Decimal(0))


def _revalued(item: OpenItem, base: str, quote: RateQuote | str) -> RevaluedItem:
    currency = str(item.currency)
    open_amount = quantize_money(item.open_as_of, currency)  # type: ignore[attr-defined]
    book_base = quantize_money(item.open_base_as_of, base)  # type: ignore[attr-defined]
    revalued = None if isinstance(quote, str) else quantize_money(open_amount * quote.rate, base)
    return RevaluedItem(
        item_id=item.pk,
        customer_id=item.customer_id,
        customer_number=item.customer.number,
        customer_name=item.customer.legal_name,
        kind=item.kind,
        kind_label=ItemKind(item.kind).label,
        number=item.number,
        currency=currency,
        document_date=item.document_date,
        due_date=item.due_date,
        open_amount=open_amount,
        locked_rate=item.fx_rate,
        book_base=book_base,
        rate=None if isinstance(quote, str) else quote.rate,
        rate_date=None if isinstance(quote, str) else quote.rate_date,
        rate_source="" if isinstance(quote, str) else quote.source,
        revalued_base=revalued,
        gain=None if revalued is None else revalued - book_base,
        reason=quote if isinstance(quote, str) else "",
    )


def fx_revaluation(*, tenant: Tenant, as_of: date) -> Revaluation:
    """Every item open at the end of `as_of` in a currency other than the
    base currency, restated at the rate fx_rate gives for `as_of` (the
    tenant's manual rate, else ECB, falling back to the last business day).
    Items whose currency has no rate are listed in `unrated` with the reason
    and left out of the totals, never dropped."""
    base = str(tenant.base_currency)
    report = Revaluation(as_of=as_of, base_currency=base)
    items = (
        open_items_as_of(tenant=tenant, as_of=as_of)
        .exclude(currency=base)
        .select_related("customer")
        .order_by("currency", "customer__number", "due_date", "number", "pk")
    )
    quotes: dict[str, RateQuote | str] = {}  # one lookup per currency; a str says why none
    totals: dict[str, CurrencyTotal] = {}
    for item in items:
        currency = str(item.currency)
        if currency not in quotes:
            try:
                quotes[currency] = fx_rate(
                    tenant=tenant, from_currency=currency, to_currency=base, on=as_of
                )
            except RateUnavailableError as error:
                quotes[currency] = str(error)
        quote = quotes[currency]
        line = _revalued(item, base, quote)
        if isinstance(quote, str) or line.revalued_base is None or line.gain is None:
            report.unrated.append(line)
            continue
        report.items.append(line)
        total = totals.setdefault(
            currency, CurrencyTotal(currency, quote.rate, quote.rate_date, quote.source)
        )
        total.items += 1
        total.open_amount += line.open_amount
        total.book_base += line.book_base
        total.revalued_base += line.revalued_base
        total.gain += line.gain
    report.by_currency = [totals[currency] for currency in sorted(totals)]
    return report
