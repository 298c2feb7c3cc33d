"""The engine's plain values: what a payment says, what is open, what the
engine proposes, and the index it looks things up in. No database here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from collections_app.matching.normalize import (
    digit_forms,
    item_keys,
    name_forms,
    normalize_account,
    normalize_name,
)

CENT = Decimal("0.01")
ZERO = Decimal(0)


def quantize(amount: Decimal, exponent: Decimal = CENT) -> Decimal:
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CandidateItem:
    """An open debit item (invoice, debit memo, installment)."""

    id: int
    customer_id: int
    number: str
    amount: Decimal
    open_amount: Decimal
    currency: str
    document_date: date
    due_date: date | None = None
    discount_percent: Decimal = ZERO
    discount_until: date | None = None
    minor: Decimal = CENT  # the currency's minor unit


@dataclass(frozen=True)
class RemittanceHint:
    reference: str
    paid_amount: Decimal | None = None
    discount_amount: Decimal | None = None
    adjustment_amount: Decimal | None = None
    adjustment_reason: str = ""  # the payer's code, e.g. EDI 820 ADX "CS"
    note: str = ""  # the payer's words, e.g. "damaged goods"


@dataclass(frozen=True)
class PaymentFacts:
    amount: Decimal
    currency: str
    value_date: date
    payer_name: str = ""
    payer_account: str = ""
    text: str = ""
    references: tuple[str, ...] = ()
    remittance: tuple[RemittanceHint, ...] = ()
    customer_id: int | None = None  # already identified (by a person or the API)
    minor: Decimal = CENT


@dataclass(frozen=True)
class Policy:
    threshold: int = 90
    tolerance_amount: Decimal = Decimal("5")
    tolerance_percent: Decimal = Decimal("0.5")
    fx_tolerance_percent: Decimal = Decimal("1")
    discount_grace_days: int = 3
    max_subset_size: int = 5


@dataclass(frozen=True)
class Allocation:
    item_id: int
    number: str
    currency: str
    amount: Decimal  # cash settled, item currency
    payment_amount: Decimal  # payment currency taken
    discount: Decimal = ZERO  # item currency
    write_off: Decimal = ZERO  # item currency

    def as_json(self) -> dict[str, str | int]:
        return {
            "item_id": self.item_id,
            "number": self.number,
            "currency": self.currency,
            "amount": str(self.amount),
            "payment_amount": str(self.payment_amount),
            "discount": str(self.discount),
            "write_off": str(self.write_off),
        }


@dataclass(frozen=True)
class DeductionPlan:
    item_id: int
    number: str
    amount: Decimal  # item currency
    reason_code: str = ""
    reason_text: str = ""

    def as_json(self) -> dict[str, str | int]:
        return {
            "item_id": self.item_id,
            "number": self.number,
            "amount": str(self.amount),
            "reason_code": self.reason_code,
            "reason_text": self.reason_text,
        }


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass
class Proposal:
    customer_id: int | None
    confidence: int
    reasons: list[Reason]
    allocations: list[Allocation] = field(default_factory=list)
    on_account: Decimal = ZERO  # payment currency
    deduction: DeductionPlan | None = None

    @property
    def explanation(self) -> str:
        text = "; ".join(reason.text for reason in self.reasons)
        return text[:1].upper() + text[1:] + "." if text else ""

    @property
    def applied_total(self) -> Decimal:
        return sum((a.payment_amount for a in self.allocations), ZERO)


@dataclass(frozen=True)
class CustomerInfo:
    id: int
    name: str


class MatchIndex:
    """Everything the engine looks up, built once for many payments."""

    def __init__(
        self,
        *,
        items: Iterable[CandidateItem],
        customers: Iterable[CustomerInfo],
        aliases: dict[str, int] | None = None,
        payer_accounts: dict[str, int] | None = None,
        rate: Callable[[str, str], Decimal | None] | None = None,
    ) -> None:
        self.items: dict[int, CandidateItem] = {}
        self.by_customer: dict[int, list[CandidateItem]] = defaultdict(list)
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.by_last_group: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.by_amount: dict[tuple[str, Decimal], list[int]] = defaultdict(list)
        # Local names: this loop runs once per open item of the tenant.
        by_id, by_amount, by_customer = self.items, self.by_amount, self.by_customer
        by_key, by_last_group = self.by_key, self.by_last_group
        for item in items:
            item_id = item.id
            by_id[item_id] = item
            by_amount[(item.currency, item.open_amount)].append(item_id)
            by_customer[item.customer_id].append(item)
            keys, rf_key, group = item_keys(item.number)
            for key in keys:
                by_key[key].append(item_id)
            by_key[rf_key].append(item_id)
            if group:
                by_last_group[(item.customer_id, group)].append(item_id)
        for customer_items in self.by_customer.values():
            customer_items.sort(key=lambda i: (i.due_date or i.document_date, i.id))
        self.customer_names: dict[int, str] = {}
        self.by_name: dict[str, set[int]] = defaultdict(set)
        self.by_token: dict[str, set[int]] = defaultdict(set)
        for customer in customers:
            self.customer_names[customer.id] = customer.name
            for form in name_forms(customer.name):
                self.by_name[form].add(customer.id)
                for token in set(form.split()):
                    self.by_token[token].add(customer.id)
        self.aliases = {normalize_name(k): v for k, v in (aliases or {}).items()}
        self.payer_accounts = {normalize_account(k): v for k, v in (payer_accounts or {}).items()}
        self._rate = rate
        self._digit_forms: dict[int, tuple[str, str]] = {}

    def rate(self, from_currency: str, to_currency: str) -> Decimal | None:
        if from_currency == to_currency:
            return Decimal(1)
        return self._rate(from_currency, to_currency) if self._rate else None

    def name_of(self, customer_id: int | None) -> str:
        return self.customer_names.get(customer_id or 0, f"customer {customer_id}")

    def digit_forms_of(self, item: CandidateItem) -> tuple[str, str]:
        """``normalize.digit_forms`` of an item's number, worked out once."""
        forms = self._digit_forms.get(item.id)
        if forms is None:
            forms = self._digit_forms[item.id] = digit_forms(item.number)
        return forms
