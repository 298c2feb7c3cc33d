"""``manage.py seed_demo_invoicing``: a living AR book for the two demo companies.

``seed_demo`` makes the companies, their people and customers; this command
gives them six months of business on top (``seed_demo`` calls it when the
invoicing app is installed):

- the tenant's own exchange rates ("demo rate") for every currency its
  customers pay in, and for EUR and USD (the pair the FX page opens with),
  every day of the last 200 days: a smooth random walk around realistic
  levels, the same walk for both companies, so their cross rates agree;
- about two thousand invoices on the business days of the last 180 days,
  in each customer's currency and with its payment terms and tax treatment,
  each issued on its date (a billing run per month); Northwind sells
  bearings, hydraulics and valves, Blue Harbor food and food-service
  supplies;
- credit memos (returns, price corrections, transit damage), a few debit
  memos and cancellations, and some drafts nobody has issued yet;
- the cash: most invoices past their due date are paid, by customers who pay
  promptly, steadily, slowly or chronically late, a few in part or short of
  bank charges, in payment runs that settle several invoices at once; some
  cash is on account unmatched, a couple of small differences are written
  off; customers on hold or in legal stopped paying, so every aging bucket
  holds money.

Everything goes through the services (issuing, memos, the ledger, FX), so
numbers, ledger postings and the audit trail are exactly what production
writes. Deterministic (a seeded random generator per company, dates counted
back from the company's today), idempotent (a company that has invoices is
left alone) and one transaction per company.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from invoicing.models import Invoice, InvoiceKind, InvoiceStatus, TaxCategory
from invoicing.services import (
    LineInput,
    credit_memo_create,
    debit_memo_create,
    invoice_cancel,
    invoice_create_draft,
    invoice_issue_many,
    invoice_refresh_payment_status,
)
from otc.accounts.models import User
from otc.audit.services import Actor
from otc.customers.models import AddressKind, Customer, CustomerAddress, CustomerStatus
from otc.errors import DomainError
from otc.fx.money import minor_units, quantize_money
from otc.fx.selectors import fx_rate
from otc.fx.services import ManualRateInput, manual_rates_set_many
from otc.ledger.models import ApplicationKind, ItemKind, OpenItem
from otc.ledger.selectors import AgingBucket, aging_buckets, aging_by_customer
from otc.ledger.services import NewItem, ledger_apply, ledger_items_post_many, ledger_write_off
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Role
from otc.web.management.commands.seed_demo import BLUE_HARBOR, NORTHWIND, DemoTenant

HISTORY_DAYS = 180  # invoices reach back this far
RATE_DAYS = 200  # rates reach a little further, so every document date has one
RATE_NOTE = "demo rate"
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


# --- exchange rates ----------------------------------------------------------------

# Units per euro around which each currency walks, and its daily volatility.
# The Danish krone is pegged to the euro and hardly moves.
EUR_LEVELS: dict[str, tuple[Decimal, float]] = {
    "USD": (Decimal("1.08"), 0.0045),
    "GBP": (Decimal("0.86"), 0.0035),
    "CHF": (Decimal("0.95"), 0.0035),
    "SEK": (Decimal("11.3"), 0.0045),
    "NOK": (Decimal("11.6"), 0.0050),
    "DKK": (Decimal("7.46"), 0.0002),
    "PLN": (Decimal("4.3"), 0.0040),
    "CZK": (Decimal("25.1"), 0.0030),
    "HUF": (Decimal("395"), 0.0050),
    "JPY": (Decimal("160"), 0.0060),
    "CAD": (Decimal("1.47"), 0.0040),
    "MXN": (Decimal("20.3"), 0.0070),
    "AUD": (Decimal("1.65"), 0.0050),
    "CNY": (Decimal("7.8"), 0.0030),
}
# Which currency of a pair markets quote first (EUR/USD, GBP/USD, USD/CAD).
_QUOTED_FIRST = ("EUR", "GBP", "AUD", "NZD", "USD", "CAD", "CHF")
_MEAN_REVERSION = 0.03


def euro_walk(currency: str, *, start: date, end: date) -> dict[date, float]:
    """Units of `currency` per euro on every day from `start` to `end`: a
    mean-reverting random walk around its level that moves on business days
    and stands still over weekends. Seeded by the currency alone, so every
    company sees the same euro rates and therefore consistent crosses."""
    if currency == "EUR":
        return {start + timedelta(days=n): 1.0 for n in range((end - start).days + 1)}
    level, volatility = EUR_LEVELS[currency]
    rng = random.Random(f"otc-demo-fx-{currency}")  # noqa: S311 - demo data, not secrets
    drift = rng.gauss(0, 0.01)
    walk: dict[date, float] = {}
    day = start
    while day <= end:
        if day.weekday() < 5:
            drift = drift * (1 - _MEAN_REVERSION) + rng.gauss(0, volatility)
        walk[day] = float(level) * math.exp(drift)
        day += timedelta(days=1)
    return walk


def quoted_pair(base: str, currency: str) -> tuple[str, str]:
    """(first, second) as the market quotes the pair: EUR/CHF, GBP/USD, USD/MXN."""
    for code in _QUOTED_FIRST:
        if code in (base, currency):
            return (code, currency if code == base else base)
    return (base, currency)


def round_rate(value: float) -> Decimal:
    """As reference rates are published: five significant digits or so."""
    rate = Decimal(repr(value))
    step = Decimal("0.01") if rate >= 100 else Decimal("0.0001") if rate >= 1 else Decimal("1E-5")
    return rate.quantize(step, rounding=ROUND_HALF_UP)


def demo_rates(*, base: str, currencies: Sequence[str], today: date) -> list[ManualRateInput]:
    """The tenant's daily rate of each currency against its base currency."""
    start = today - timedelta(days=RATE_DAYS)
    base_walk = euro_walk(base, start=start, end=today)
    rates: list[ManualRateInput] = []
    for currency in currencies:
        first, second = quoted_pair(base, currency)
        walk = euro_walk(currency, start=start, end=today)
        for day, per_euro in walk.items():
            per_base = per_euro / base_walk[day]  # units of `currency` per base unit
            value = per_base if first == base else 1 / per_base
            rates.append(
                ManualRateInput(
                    rate_date=day,
                    from_currency=first,
                    to_currency=second,
                    rate=round_rate(value),
                    note=RATE_NOTE,
                )
            )
    return rates


def rate_currencies(base: str, customer_currencies: Sequence[str]) -> list[str]:
    """The currencies a company needs rates for: its customers', and EUR and
    USD, which the FX page shows first, all but its own."""
    return sorted({*customer_currencies, "EUR", "USD"} - {base})


def price_factor(*, base: str, currency: str) -> Decimal:
    """Units of `currency` per base unit at the levels: converts the price list."""
    per_euro = Decimal(1) if currency == "EUR" else EUR_LEVELS[currency][0]
    base_per_euro = Decimal(1) if base == "EUR" else EUR_LEVELS[base][0]
    return per_euro / base_per_euro


# --- what the companies sell -------------------------------------------------------


@dataclass(frozen=True)
class Product:
    code: str
    description: str
    unit: str  # UN/ECE Recommendation 20
    price: Decimal  # list price in the seller's base currency
    quantity: tuple[int, int]  # a usual order, low and high
    weight: int  # how often it is ordered
    kind: str = "goods"  # goods, food, supplies, service, fee: decides the tax


# fmt: off
NORTHWIND_PRODUCTS: tuple[Product, ...] = (
    Product("NW-6205-2RS", "Deep groove ball bearing 6205-2RS, 25 x 52 x 15 mm", "C62",
            Decimal("6.80"), (40, 400), 14),
    Product("NW-6308-ZZ", "Deep groove ball bearing 6308-ZZ, 40 x 90 x 23 mm", "C62",
            Decimal("18.90"), (20, 200), 10),
    Product("NW-32210", "Tapered roller bearing 32210, 50 x 90 x 24.75 mm", "C62",
            Decimal("42.50"), (10, 80), 8),
    Product("NW-22216E", "Spherical roller bearing 22216 E, 80 x 140 x 33 mm", "C62",
            Decimal("168.00"), (2, 24), 5),
    Product("NW-NU2212", "Cylindrical roller bearing NU 2212, 60 x 110 x 28 mm", "C62",
            Decimal("96.40"), (4, 40), 5),
    Product("NW-UCP208", "Pillow block bearing unit UCP 208, 40 mm bore", "C62",
            Decimal("38.70"), (6, 60), 7),
    Product("NW-LGR25-1000", "Linear guide rail LGR-25, 1,000 mm", "C62",
            Decimal("142.00"), (2, 20), 4),
    Product("NW-LCB25", "Linear carriage block LCB-25, flanged", "C62",
            Decimal("88.50"), (4, 40), 4),
    Product("NW-HGP16", "Hydraulic gear pump HGP-16, 16 cm³/rev", "C62",
            Decimal("389.00"), (1, 12), 6),
    Product("NW-AP45-LS", "Axial piston pump AP-45, 45 cm³/rev, load sensing", "C62",
            Decimal("2480.00"), (1, 3), 2),
    Product("NW-VP20", "Vane pump VP-20, 20 cm³/rev", "C62",
            Decimal("695.00"), (1, 6), 3),
    Product("NW-HPU55", "Hydraulic power unit HPU-5.5, 5.5 kW, 40 l tank", "C62",
            Decimal("4850.00"), (1, 2), 1),
    Product("NW-HC63-400", "Hydraulic cylinder HC-63/36-400, double acting", "C62",
            Decimal("612.00"), (1, 8), 3),
    Product("NW-HLP46-20", "Hydraulic oil HLP 46, 20 l canister", "C62",
            Decimal("84.00"), (2, 30), 6),
    Product("NW-HA12-2", "Hose assembly 1/2 in., 2 m, crimped fittings", "C62",
            Decimal("48.60"), (4, 60), 7),
    Product("NW-PF160-10", "Pressure filter PF-160, 10 µm", "C62",
            Decimal("214.00"), (1, 10), 4),
    Product("NW-WE6-43-24", "Directional control valve 4/3 NG6, 24 V DC", "C62",
            Decimal("168.00"), (2, 24), 7),
    Product("NW-WE10-43-24", "Directional control valve 4/3 NG10, 24 V DC", "C62",
            Decimal("295.00"), (1, 12), 5),
    Product("NW-DB10-315", "Pressure relief valve DB10, 315 bar", "C62",
            Decimal("142.00"), (2, 16), 5),
    Product("NW-KH25-PN40", "Ball valve DN25 PN40, stainless steel 1.4408", "C62",
            Decimal("64.80"), (4, 50), 6),
    Product("NW-RVP16", "Check valve RVP 16, 0.5 bar", "C62",
            Decimal("21.40"), (10, 100), 6),
    Product("NW-PV10-OBE", "Proportional valve PV-10 with onboard electronics", "C62",
            Decimal("1140.00"), (1, 4), 2),
    Product("NW-DRV12", "Flow control valve DRV 12", "C62",
            Decimal("58.90"), (4, 40), 4),
    Product("NW-OR-NBR70", "O-ring kit NBR 70, 382 pieces", "SET",
            Decimal("74.00"), (1, 10), 5),
    Product("NW-RWDR45", "Shaft seal 45 x 62 x 8, FKM", "C62",
            Decimal("7.90"), (20, 300), 7),
    Product("NW-GC48", "Gear coupling GC-48, bore 48 mm", "C62",
            Decimal("186.00"), (1, 10), 3),
    Product("NW-HTD8M-1200", "Timing belt HTD 8M-1200, 30 mm wide", "C62",
            Decimal("54.30"), (4, 40), 4),
    Product("NW-SRV-REPAIR", "Workshop repair and overhaul of hydraulic pump", "HUR",
            Decimal("92.00"), (2, 16), 2, "service"),
    Product("NW-SRV-FIELD", "Field service technician, on site", "HUR",
            Decimal("108.00"), (4, 24), 2, "service"),
)
NORTHWIND_FREIGHT = Product("NW-FRT", "Freight and packaging", "LS", Decimal("85.00"), (1, 1), 0,
                            "fee")
NORTHWIND_SURCHARGES = (
    ("Express freight surcharge, next-day delivery", Decimal("145.00")),
    ("Pallet exchange and packaging charge", Decimal("48.00")),
    ("Minimum order surcharge", Decimal("35.00")),
)

BLUE_HARBOR_PRODUCTS: tuple[Product, ...] = (
    Product("BH-10214", "Chicken breast, boneless skinless, IQF, 4 x 10 lb", "XPK",
            Decimal("98.50"), (2, 30), 12, "food"),
    Product("BH-10388", "Ground beef 80/20, 4 x 10 lb chubs", "XPK",
            Decimal("142.00"), (1, 20), 9, "food"),
    Product("BH-11502", "Atlantic salmon fillets, skin-on, 10 lb", "XPK",
            Decimal("118.00"), (1, 12), 5, "food"),
    Product("BH-10940", "Pork baby back ribs, 2 x 15 lb", "XPK",
            Decimal("135.00"), (1, 10), 4, "food"),
    Product("BH-20110", "Large white eggs, grade A, 15 dozen", "XPK",
            Decimal("38.50"), (2, 30), 9, "food"),
    Product("BH-20320", "Butter, unsalted grade AA, 36 x 1 lb", "XPK",
            Decimal("152.00"), (1, 8), 6, "food"),
    Product("BH-20455", "Mozzarella, low-moisture part-skim, shredded, 4 x 5 lb", "XPK",
            Decimal("56.80"), (2, 24), 8, "food"),
    Product("BH-20460", "Cheddar, sharp, shredded, 4 x 5 lb", "XPK",
            Decimal("61.20"), (1, 16), 6, "food"),
    Product("BH-20610", "Heavy whipping cream 36%, 12 x 1 qt", "XPK",
            Decimal("44.90"), (1, 16), 6, "food"),
    Product("BH-30120", "French fries 3/8 in. straight cut, 6 x 5 lb", "XPK",
            Decimal("39.60"), (4, 40), 10, "food"),
    Product("BH-40010", "All-purpose flour, 50 lb bag", "XPK",
            Decimal("24.80"), (2, 30), 6, "food"),
    Product("BH-40055", "Long-grain parboiled rice, 50 lb bag", "XPK",
            Decimal("36.40"), (1, 20), 5, "food"),
    Product("BH-40210", "Canola frying oil, 35 lb jug", "XPK",
            Decimal("42.70"), (2, 24), 8, "food"),
    Product("BH-40530", "Marinara sauce, 6 x #10 cans", "XPK",
            Decimal("48.30"), (1, 16), 5, "food"),
    Product("BH-40545", "Diced tomatoes in juice, 6 x #10 cans", "XPK",
            Decimal("33.90"), (1, 16), 5, "food"),
    Product("BH-50102", "Romaine hearts, 48 ct", "XPK",
            Decimal("46.00"), (1, 16), 7, "food"),
    Product("BH-50230", "Yellow onions, jumbo, 50 lb sack", "XPK",
            Decimal("28.50"), (1, 16), 6, "food"),
    Product("BH-50310", "Russet potatoes 70 ct, 50 lb", "XPK",
            Decimal("31.20"), (1, 20), 6, "food"),
    Product("BH-60044", "Coffee, medium roast, ground, 42 x 2.5 oz", "XPK",
            Decimal("64.00"), (1, 10), 4, "food"),
    Product("BH-70108", "Kraft to-go boxes #8, 300 ct", "XPK",
            Decimal("58.40"), (1, 12), 5, "supplies"),
    Product("BH-70220", "Nitrile gloves, powder-free, large, 10 x 100", "XPK",
            Decimal("72.00"), (1, 10), 6, "supplies"),
    Product("BH-70315", "Hinged containers 9 x 9 in., compostable, 200 ct", "XPK",
            Decimal("64.50"), (1, 10), 4, "supplies"),
    Product("BH-70402", "Dinner napkins, 2-ply, 3,000 ct", "XPK",
            Decimal("49.90"), (1, 8), 4, "supplies"),
    Product("BH-70518", "Aluminum foil roll, 18 in. x 1,000 ft", "C62",
            Decimal("68.20"), (1, 6), 3, "supplies"),
    Product("BH-70520", "Cling film, 18 in. x 2,000 ft", "C62",
            Decimal("31.70"), (1, 8), 3, "supplies"),
    Product("BH-80130", "Quaternary sanitizer, 4 x 1 gal", "XPK",
            Decimal("54.00"), (1, 6), 3, "supplies"),
    Product("BH-80210", "Dish machine detergent, 5 gal pail", "C62",
            Decimal("89.00"), (1, 4), 3, "supplies"),
    Product("BH-90412", "Hotel pan, stainless, full size, 4 in. deep", "C62",
            Decimal("21.50"), (2, 12), 1, "supplies"),
    Product("BH-90530", "Cutting boards, color-coded, set of 6", "SET",
            Decimal("96.00"), (1, 2), 1, "supplies"),
)
BLUE_HARBOR_FREIGHT = Product("BH-FUEL", "Fuel surcharge", "LS", Decimal("12.50"), (1, 1), 0,
                              "fee")
BLUE_HARBOR_SURCHARGES = (
    ("Redelivery fee, receiving closed at first attempt", Decimal("45.00")),
    ("After-hours delivery surcharge", Decimal("60.00")),
    ("Pallet deposit, pallets not returned", Decimal("38.00")),
)

# Combined state and local sales tax where the customer is billed (rounded to
# two decimals, as invoices print it).
_US_SALES_TAX = {
    "IL": "10.25", "WI": "5.50", "MN": "8.03", "MI": "6.00", "OH": "7.50", "IN": "7.00",
    "MO": "8.99", "IA": "7.00", "NE": "7.00", "TX": "8.25", "GA": "8.90", "TN": "9.25",
    "NC": "7.25", "CO": "8.81", "AZ": "8.60", "WA": "10.25", "MA": "6.25", "PA": "6.00",
}
# fmt: on
_EU = frozenset({"AT", "BE", "CZ", "DE", "DK", "ES", "FR", "IT", "NL", "PL", "SE"})
# Blue Harbor customers that buy to resell (no sales tax, resale certificate on
# file) and those that use the supplies themselves.
_RESELLERS = frozenset({"Grocery", "Convenience", "Wholesale"})


@dataclass(frozen=True)
class DemoBook:
    demo: DemoTenant
    seller_country: str
    products: tuple[Product, ...]
    freight: Product
    surcharges: tuple[tuple[str, Decimal], ...]
    invoices_per_customer: int  # over the 180 days
    freight_share: float  # invoices that carry a freight or fuel line


BOOKS = (
    DemoBook(
        demo=NORTHWIND,
        seller_country="DE",
        products=NORTHWIND_PRODUCTS,
        freight=NORTHWIND_FREIGHT,
        surcharges=NORTHWIND_SURCHARGES,
        invoices_per_customer=10,
        freight_share=0.35,
    ),
    DemoBook(
        demo=BLUE_HARBOR,
        seller_country="US",
        products=BLUE_HARBOR_PRODUCTS,
        freight=BLUE_HARBOR_FREIGHT,
        surcharges=BLUE_HARBOR_SURCHARGES,
        invoices_per_customer=11,
        freight_share=0.5,
    ),
)


# --- customers as payers -------------------------------------------------------------


# Days paid after the due date: (low, high, most likely), per habit.
_HABITS: dict[str, tuple[float, float, float]] = {
    "prompt": (-6, 3, -1),
    "steady": (0, 24, 7),
    "slow": (10, 55, 24),
    "chronic": (35, 150, 75),
}


@dataclass
class Account:
    """A customer as the seed sees it: what it buys, how it is taxed and pays."""

    customer: Customer
    currency: str
    factor: Decimal  # price list conversion into the customer's currency
    size: float
    habit: str
    pay_weekday: int  # the customer's payment run
    discount: Decimal  # negotiated line discount
    state: str = ""  # US state of the billing address
    first_day: date | None = None  # no invoices before (None: the whole period)
    last_day: date | None = None  # no invoices after (on hold, in legal)
    stopped_paying: date | None = None  # no payments after (in legal)

    @property
    def pays_bank_charges(self) -> bool:
        """Cross-border payers whose bank sometimes keeps a fee."""
        return str(self.customer.country) not in ("DE", "US")


@dataclass(frozen=True)
class References:
    po_number: str = ""
    buyer_reference: str = ""
    notes: str = ""


@dataclass
class Planned:
    """A document and what happens to it."""

    account: Account
    issue_date: date
    lines: list[LineInput]
    refs: References
    invoice: Invoice | None = None
    payments: list[tuple[date, str]] = field(default_factory=list)  # (date, "all" | "0.40")
    short_by: Decimal = _ZERO  # kept by the customer's bank
    cancelled: bool = False
    disputed: bool = False

    @property
    def document(self) -> Invoice:
        if self.invoice is None:
            raise RuntimeError("The document is not written yet.")
        return self.invoice

    @property
    def item_id(self) -> int:
        item_id = self.document.open_item_id
        if item_id is None:
            raise RuntimeError(f"{self.document} has no ledger item: it was never issued.")
        return item_id

    @property
    def due_date(self) -> date:
        due = self.document.due_date
        if due is None:
            raise RuntimeError(f"{self.document} has no due date: it was never issued.")
        return due

    def open_today(self) -> bool:
        """Whether some of it is still unpaid today, as planned."""
        return not self.payments or self.payments[-1][1] != "all"


@dataclass
class Receipt:
    """One incoming payment: a PAYMENT item applied to one or more documents."""

    account: Account
    day: date
    number: str
    amount: Decimal = _ZERO
    applications: list[tuple[Planned, Decimal]] = field(default_factory=list)


@dataclass
class Tally:
    """What the run did beyond the documents (those are counted from the database)."""

    cancelled: int = 0
    payments: int = 0
    applications: int = 0
    unapplied: int = 0
    write_offs: int = 0
    rates: int = 0
    steps: dict[str, float] = field(default_factory=dict)


class Seeder:
    """Writes one company's book; every random draw comes from `rng`."""

    def __init__(
        self,
        *,
        tenant: Tenant,
        book: DemoBook,
        invoices: int | None,
        today: date,
    ) -> None:
        self.tenant = tenant
        self.book = book
        self.base = str(tenant.base_currency)
        self.today = today
        self.start = today - timedelta(days=HISTORY_DAYS)
        self.requested = invoices
        self.rng = random.Random(f"otc-demo-invoicing-{book.demo.slug}")  # noqa: S311
        self.tally = Tally()
        self._rates: dict[tuple[str, date], Decimal] = {}
        self._receipt_serial: Counter[date] = Counter()
        # What is still open of each document (by id of its plan) as the
        # payments are worked out.
        self._left: dict[int, Decimal] = {}
        system = Actor.system("seed_demo")
        self.billing = self._actor(Role.AR_CLERK) or system
        self.cash = self.billing
        self.credits = self._actor(Role.DEDUCTIONS_ANALYST) or system
        self.approver = self._actor(Role.CREDIT_MANAGER) or system
        self.rates_actor = system

    def _actor(self, role: Role) -> Actor | None:
        person = next((p for p in self.book.demo.people if p.role == role and p.listed), None)
        user = User.objects.filter(email=person.email).first() if person else None
        return Actor(user=user, label=user.email) if user is not None else None

    def _step(self, name: str, started: float) -> float:
        now = time.monotonic()
        self.tally.steps[name] = now - started
        return now

    # -- the whole book ------------------------------------------------------------

    def run(self) -> Tally:
        clock = time.monotonic()
        accounts = self._accounts()
        if not accounts:
            return self.tally
        self._set_rates(rate_currencies(self.base, [account.currency for account in accounts]))
        clock = self._step("rates", clock)
        plans = self._plan_invoices(accounts)
        self._issue(plans)
        clock = self._step("invoices", clock)
        for plan in plans:
            self._plan_payments(plan)
        self._cancel_some(plans)
        self._hold_back_disputes(plans)
        self._keep_bank_charges(plans)
        plans += self._debit_memos(plans)
        late_credits = self._credit_memos(plans)
        clock = self._step("memos", clock)
        receipts = self._receipts(plans)
        receipts += self._cash_on_account(plans, accounts)
        self._post_and_apply(receipts)
        self._write_offs(plans)
        clock = self._step("payments", clock)
        self._issue_late_credits(late_credits)
        self._leave_drafts(accounts)
        self._step("late memos and drafts", clock)
        return self.tally

    # -- customers -----------------------------------------------------------------

    def _accounts(self) -> list[Account]:
        customers = list(
            Customer.objects.for_tenant(self.tenant)
            .exclude(status=CustomerStatus.CLOSED)
            .select_related("payment_terms")
            .order_by("pk")
        )
        states = dict(
            CustomerAddress.objects.for_tenant(self.tenant)
            .filter(kind=AddressKind.BILLING, is_default=True)
            .values_list("customer_id", "region")
        )
        holdings = {customer.parent_id for customer in customers if customer.parent_id}
        accounts = []
        for customer in customers:
            currency = str(customer.currency)
            if currency != self.base and currency not in EUR_LEVELS:
                raise CommandError(f"No demo exchange rate level for {currency}.")
            size = math.exp(self.rng.gauss(0, 0.6))
            if customer.pk in holdings:
                size *= 1.5  # the group's parent buys for its plants
            account = Account(
                customer=customer,
                currency=currency,
                factor=price_factor(base=self.base, currency=currency),
                size=size,
                habit="steady",
                pay_weekday=self.rng.choice((1, 3, 4, 4)),  # Tuesdays, Thursdays, mostly Fridays
                discount=Decimal(10) if size > 2.2 else Decimal(5) if size > 1.4 else _ZERO,
                state=str(states.get(customer.pk, "")),
            )
            if self.rng.random() < 0.06:
                # A customer won in the last three months.
                account.first_day = self.today - timedelta(days=self.rng.randint(20, 90))
            if customer.status != CustomerStatus.ACTIVE:
                account.habit = "chronic"
            if customer.status == CustomerStatus.ON_HOLD:
                account.last_day = self.today - timedelta(days=self.rng.randint(10, 30))
            elif customer.status == CustomerStatus.IN_LEGAL:
                account.first_day = None
                # Stopped paying early in the period, delivered a little
                # longer, and was handed to the agency: all of it is old.
                account.size *= 2
                account.last_day = self.today - timedelta(days=self.rng.randint(110, 130))
                account.stopped_paying = self.today - timedelta(days=self.rng.randint(165, 175))
            accounts.append(account)
        self._assign_habits(accounts)
        return accounts

    def _assign_habits(self, accounts: list[Account]) -> None:
        """Shares of prompt, steady, slow and chronically late payers by
        quota, not by chance: even a handful of customers has a late one.
        Customers on hold or in legal are chronic already."""
        free = [account for account in accounts if account.habit != "chronic"]
        self.rng.shuffle(free)
        late, slow = max(1, round(len(free) * 0.07)), round(len(free) * 0.13)
        steady = round(len(free) * 0.40)
        for index, account in enumerate(free):
            if index < late:
                account.habit = "chronic"
            elif index < late + slow:
                account.habit = "slow"
            elif index < late + slow + steady:
                account.habit = "steady"
            else:
                account.habit = "prompt"

    # -- rates ---------------------------------------------------------------------

    def _set_rates(self, currencies: list[str]) -> None:
        if not currencies:
            return
        rates = demo_rates(base=self.base, currencies=currencies, today=self.today)
        manual_rates_set_many(tenant=self.tenant, actor=self.rates_actor, rates=rates)
        self.tally.rates = len(rates)

    def _rate(self, currency: str, day: date) -> Decimal:
        """What the FX selector gives for a payment of that day (looked up once)."""
        key = (currency, day)
        if key not in self._rates:
            quote = fx_rate(
                tenant=self.tenant, from_currency=currency, to_currency=self.base, on=day
            )
            self._rates[key] = quote.rate
        return self._rates[key]

    # -- invoices ------------------------------------------------------------------

    def _tax(self, account: Account, product: Product) -> tuple[Decimal, str]:
        country = str(account.customer.country)
        if self.book.seller_country == "DE":
            if country == "DE":
                return Decimal(19), TaxCategory.STANDARD
            if country in _EU:
                if product.kind == "service":
                    return _ZERO, TaxCategory.REVERSE_CHARGE
                return _ZERO, TaxCategory.INTRA_COMMUNITY
            return _ZERO, TaxCategory.EXPORT
        # A US seller: sales tax on the supplies customers use themselves; food
        # and whatever is bought for resale goes out exempt.
        if (
            country == "US"
            and product.kind in ("supplies", "fee")
            and account.customer.segment not in _RESELLERS
            and account.state in _US_SALES_TAX
        ):
            return Decimal(_US_SALES_TAX[account.state]), TaxCategory.STANDARD
        return _ZERO, TaxCategory.EXEMPT

    def _line(self, account: Account, product: Product) -> LineInput:
        low, high = product.quantity
        scale = min(2.0, max(0.5, account.size**0.3))
        count = max(1, round(self.rng.randint(low, high) * scale))
        if high >= 40:
            count = max(10, 10 * round(count / 10))  # small parts go by the ten
        quantity = Decimal(count)
        if product.unit == "HUR" and self.rng.random() < 0.3:
            quantity += Decimal("0.5")
        rate, category = self._tax(account, product)
        return LineInput(
            description=product.description,
            quantity=quantity,
            unit_price=quantize_money(product.price * account.factor, account.currency),
            tax_rate=rate,
            tax_category=category,
            discount_percent=account.discount if product.kind not in ("service", "fee") else _ZERO,
            unit=product.unit,
            product_code=product.code,
        )

    def _lines(self, account: Account) -> list[LineInput]:
        count = self.rng.choices(range(1, 9), (30, 24, 17, 11, 8, 5, 3, 2))[0]
        if account.size > 1.6:
            count = min(8, count + 1)
        freight = self.rng.random() < self.book.freight_share
        if freight:
            count = min(count, 7)  # the freight line is the eighth at most
        products = self.book.products
        weights = [product.weight for product in products]
        chosen: list[Product] = []
        while len(chosen) < count:
            product = self.rng.choices(products, weights)[0]
            if product not in chosen:
                chosen.append(product)
        lines = [self._line(account, product) for product in chosen]
        if freight:
            lines.append(self._line(account, self.book.freight))
        return lines

    def _references(self, account: Account) -> References:
        """The customer's order number, store and the delivery paper."""
        if self.book.seller_country == "DE":
            return References(
                po_number=f"45{self.rng.randint(0, 99_999_999):08d}"
                if self.rng.random() < 0.8
                else "",
                notes=f"Delivery note 8{self.rng.randint(0, 9_999_999):07d}"
                if self.rng.random() < 0.6
                else "",
            )
        return References(
            po_number=f"PO-{self.rng.randint(100_000, 999_999)}"
            if self.rng.random() < 0.55
            else "",
            buyer_reference=f"Store #{self.rng.randint(1, 140):03d}"
            if account.customer.segment in ("Grocery", "Convenience")
            else "",
            notes=f"Delivery ticket {self.rng.randint(300_000, 999_999)}"
            if self.rng.random() < 0.5
            else "",
        )

    def _plan_invoices(self, accounts: list[Account]) -> list[Planned]:
        days = [
            self.start + timedelta(days=n)
            for n in range(HISTORY_DAYS + 1)
            if (self.start + timedelta(days=n)).weekday() < 5
        ]
        windows: list[list[date]] = []
        for account in accounts:
            first = account.first_day or self.start
            last = account.last_day or self.today
            windows.append([day for day in days if first <= day <= last])
        total = self.requested
        if total is None:
            total = self.book.invoices_per_customer * len(accounts)
        # A customer's share follows its size and how long it bought in the period.
        weights = [
            account.size * len(window) for account, window in zip(accounts, windows, strict=True)
        ]
        if not any(weights):
            return []
        # Everybody in the customer master bought something; those on hold or
        # in legal a few times at least (their arrears are why they are there).
        draws = [
            index
            for index, (account, window) in enumerate(zip(accounts, windows, strict=True))
            if window
            for _ in range(1 if account.customer.status == CustomerStatus.ACTIVE else 3)
        ]
        if len(draws) > total:
            draws = []
        draws += self.rng.choices(range(len(accounts)), weights, k=total - len(draws))
        plans: list[Planned] = []
        for index in draws:
            account, window = accounts[index], windows[index]
            # A little more business lately: the later days are drawn more often.
            day = window[min(len(window) - 1, int(self.rng.random() ** 0.9 * len(window)))]
            plans.append(Planned(account, day, self._lines(account), self._references(account)))
        plans.sort(key=lambda plan: plan.issue_date)
        return plans

    def _issue(self, plans: list[Planned]) -> None:
        """Every draft first, then the billing runs, oldest first, so the
        numbers follow the dates. A run takes a month of drafts, each issued
        on its own date (the date on the draft)."""
        runs: dict[tuple[int, int], list[Invoice]] = {}
        for plan in plans:
            draft = invoice_create_draft(
                tenant=self.tenant,
                actor=self.billing,
                customer=plan.account.customer,
                lines=plan.lines,
                issue_date=plan.issue_date,
                po_number=plan.refs.po_number,
                buyer_reference=plan.refs.buyer_reference,
                notes=plan.refs.notes,
            )
            plan.invoice = draft
            runs.setdefault((plan.issue_date.year, plan.issue_date.month), []).append(draft)
        issued: dict[int, Invoice] = {}
        for drafts in runs.values():
            for invoice in invoice_issue_many(
                tenant=self.tenant, actor=self.billing, invoices=drafts
            ):
                issued[invoice.pk] = invoice
        for plan in plans:
            plan.invoice = issued[plan.document.pk]

    # -- when customers pay ----------------------------------------------------------

    def _run_day(self, account: Account, day: date, *, before: bool = False) -> date:
        """The customer's payment run on or after `day` (on or before, for
        customers who pay ahead of the due date)."""
        if before:
            return day - timedelta(days=(day.weekday() - account.pay_weekday) % 7)
        return day + timedelta(days=(account.pay_weekday - day.weekday()) % 7)

    def _plan_payments(self, plan: Planned) -> None:
        account = plan.account
        if self.rng.random() < 0.015:
            plan.disputed = True  # the customer holds it back
            return
        low, high, mode = _HABITS[account.habit]
        target = plan.due_date + timedelta(days=round(self.rng.triangular(low, high, mode)))
        target = max(target, plan.issue_date + timedelta(days=3))
        day = self._run_day(account, target, before=account.habit == "prompt")
        day = max(day, plan.issue_date + timedelta(days=1))
        steps: list[tuple[date, str]] = [(day, "all")]
        if self.rng.random() < (0.1 if account.habit == "chronic" else 0.025):
            share = self.rng.choice(("0.25", "0.40", "0.50", "0.60", "0.75"))
            steps = [(day, share)]
            if self.rng.random() < 0.6:
                later = day + timedelta(days=self.rng.randint(14, 45))
                steps.append((self._run_day(account, later), "all"))
        plan.payments = [
            (day, share)
            for day, share in steps
            if day <= self.today
            and (account.stopped_paying is None or day < account.stopped_paying)
        ]

    def _hold_back_disputes(self, plans: list[Planned]) -> None:
        """Every overdue aging bucket holds at least one invoice the customer
        disputes and has not paid, whatever the draws gave."""
        invoices = [plan for plan in plans if not plan.cancelled]
        for bucket in aging_buckets()[1:]:
            within = [
                plan for plan in invoices if _in_bucket(bucket, (self.today - plan.due_date).days)
            ]
            if within and not any(plan.open_today() for plan in within):
                disputed = self.rng.choice(within)
                disputed.payments = []
                disputed.disputed = True

    def _keep_bank_charges(self, plans: list[Planned]) -> None:
        """Some cross-border payments arrive short of the fee the payer's bank
        kept: a small difference left open on the invoice."""
        settled = [
            plan
            for plan in plans
            if len(plan.payments) == 1
            and plan.payments[0][1] == "all"
            and plan.payments[0][0] <= self.today - timedelta(days=10)
        ]
        abroad = [plan for plan in settled if plan.account.pays_bank_charges]
        wanted = max(2, len(settled) // 60)
        chosen = self.rng.sample(abroad, min(len(abroad), wanted))
        if len(chosen) < wanted:
            rest = [plan for plan in settled if plan not in chosen]
            chosen += self.rng.sample(rest, min(len(rest), wanted - len(chosen)))
        for plan in chosen:
            fee = Decimal(self.rng.choice(("7.50", "12.00", "15.00", "18.50", "25.00")))
            plan.short_by = quantize_money(fee * plan.account.factor, plan.account.currency)

    # -- corrections -----------------------------------------------------------------

    def _age(self, plan: Planned) -> int:
        return (self.today - plan.issue_date).days

    def _cancel_some(self, plans: list[Planned]) -> None:
        reasons = (
            "Order cancelled by the customer before dispatch.",
            "Duplicate of an invoice for the same delivery.",
            "Goods refused on delivery and returned by the carrier.",
        )
        candidates = [plan for plan in plans if plan.issue_date <= self.today - timedelta(days=10)]
        self.rng.shuffle(candidates)
        wanted = max(1, len(plans) // 700)
        for plan in candidates:
            if self.tally.cancelled == wanted:
                break
            day = plan.issue_date + timedelta(days=self.rng.randint(1, 6))
            if plan.payments and plan.payments[0][0] <= day:
                continue  # paid already: a credit memo's case, not a cancellation
            invoice_cancel(
                tenant=self.tenant,
                actor=self.credits,
                invoice=plan.document,
                reason=self.rng.choice(reasons),
                cancel_date=day,
            )
            plan.cancelled = True
            plan.payments = []
            self.tally.cancelled += 1

    def _debit_memos(self, plans: list[Planned]) -> list[Planned]:
        memos: list[Planned] = []
        candidates = [plan for plan in plans if not plan.cancelled and self._age(plan) >= 2]
        fee = Product("", "", "LS", _ZERO, (1, 1), 0, "fee")
        for plan in self.rng.sample(candidates, min(len(candidates), max(1, len(plans) // 120))):
            day = plan.issue_date + timedelta(days=self.rng.randint(2, min(12, self._age(plan))))
            account = plan.account
            description, price = self.rng.choice(self.book.surcharges)
            rate, category = self._tax(account, fee)
            lines = [
                LineInput(
                    description=description,
                    quantity=Decimal(1),
                    unit_price=quantize_money(price * account.factor, account.currency),
                    tax_rate=rate,
                    tax_category=category,
                    unit="LS",
                )
            ]
            memo = debit_memo_create(
                tenant=self.tenant,
                actor=self.billing,
                lines=lines,
                related_invoice=plan.document,
                issue_date=day,
                po_number=plan.refs.po_number,
                notes=f"Charged in addition to {plan.document.number}.",
            )
            debit = Planned(account, day, lines, plan.refs, invoice=memo)
            self._plan_payments(debit)
            memos.append(debit)
        return memos

    def _credit_lines(self, plan: Planned) -> tuple[list[LineInput], str]:
        """One line credited: part of it returned, its price corrected, or a
        piece or two damaged in transit. Services and fees only ever get a
        price correction."""
        goods = [line for line in plan.lines if line.unit not in ("LS", "HUR")]
        line = self.rng.choice(goods or plan.lines)
        german = self.book.seller_country == "DE"
        draw = self.rng.random() if goods else 0.6
        percent = self.rng.choice((3, 5, 8, 10))
        currency = plan.account.currency
        correction = max(
            quantize_money(line.unit_price * Decimal(percent) / _HUNDRED, currency),
            Decimal(1).scaleb(-minor_units(currency)),
        )
        if draw < 0.5:
            share = Decimal(str(round(self.rng.uniform(0.1, 0.5), 2)))
            count = max(Decimal(1), (line.quantity * share).quantize(Decimal(1), ROUND_DOWN))
            note = (
                f"Return authorisation RMA-{self.rng.randint(10_000, 99_999)}."
                if german
                else f"Credit for product returned, pickup ticket {self.rng.randint(1000, 9999)}."
            )
            returned = replace(line, description=f"Returned: {line.description}", quantity=count)
            return [returned], note
        if draw < 0.8:
            note = (
                "Price correction as agreed with your purchasing department."
                if german
                else "Price adjustment: contract price not applied at invoicing."
            )
            credit = replace(
                line,
                description=f"Price correction {percent} % on {line.description}",
                unit_price=correction,
            )
            return [credit], note
        count = min(line.quantity, Decimal(self.rng.choice((1, 1, 2))))
        note = (
            "Damaged in transit; carrier damage report on file."
            if german
            else "Damaged or short-dated product credited at delivery."
        )
        damaged = replace(
            line, description=f"Damaged in transit: {line.description}", quantity=count
        )
        return [damaged], note

    def _credit_memos(
        self, plans: list[Planned]
    ) -> list[tuple[Planned, date, list[LineInput], str]]:
        """Credit memos dated before the invoice is paid are issued now and
        reduce what the customer pays; those dated after it wait until the
        cash is applied, and stay on the account as credit."""
        later: list[tuple[Planned, date, list[LineInput], str]] = []
        candidates = [
            plan
            for plan in plans
            if not plan.cancelled
            and not plan.disputed
            and plan.document.kind == InvoiceKind.INVOICE
            and self._age(plan) >= 3
        ]
        wanted = max(2, len(candidates) * 35 // 1000)
        for plan in self.rng.sample(candidates, min(len(candidates), wanted)):
            day = plan.issue_date + timedelta(days=self.rng.randint(3, min(28, self._age(plan))))
            lines, note = self._credit_lines(plan)
            if plan.payments and plan.payments[0][0] <= day:
                later.append((plan, day, lines, note))
                continue
            credit_memo_create(
                tenant=self.tenant,
                actor=self.credits,
                lines=lines,
                related_invoice=plan.document,
                issue_date=day,
                po_number=plan.refs.po_number,
                notes=note,
            )
        return later

    def _issue_late_credits(self, later: list[tuple[Planned, date, list[LineInput], str]]) -> None:
        for plan, day, lines, note in sorted(later, key=lambda entry: entry[1]):
            credit_memo_create(
                tenant=self.tenant,
                actor=self.credits,
                lines=lines,
                related_invoice=plan.document,
                issue_date=day,
                po_number=plan.refs.po_number,
                notes=note,
            )

    # -- cash ----------------------------------------------------------------------

    def _receipt_number(self, day: date) -> str:
        self._receipt_serial[day] += 1
        return f"PMT-{day:%Y%m%d}-{self._receipt_serial[day]:03d}"

    def _receipts(self, plans: list[Planned]) -> list[Receipt]:
        """Who pays what on which day, from what is open in the ledger now
        (after the credit memos): one receipt per customer and payment run."""
        paying = [plan for plan in plans if plan.payments]
        item_ids = [plan.item_id for plan in plans]
        open_now = dict(
            OpenItem.objects.for_tenant(self.tenant)
            .filter(pk__in=item_ids)
            .values_list("pk", "open_amount")
        )
        self._left = {id(plan): open_now[plan.item_id] for plan in plans if not plan.cancelled}
        events = sorted(
            (
                (day, order, share, plan)
                for order, plan in enumerate(paying)
                for day, share in plan.payments
            ),
            key=lambda event: (event[0], event[1]),
        )
        receipts: dict[tuple[int, date], Receipt] = {}
        for day, _, share, plan in events:
            left = self._left[id(plan)]
            if left <= 0:
                continue
            if share == "all":
                amount = left - plan.short_by if plan.short_by < left else left
            else:
                whole = open_now[plan.item_id] * Decimal(share)
                amount = min(left, max(Decimal(1), whole.quantize(Decimal(1), ROUND_DOWN)))
            key = (plan.account.customer.pk, day)
            if key not in receipts:
                receipts[key] = Receipt(plan.account, day, self._receipt_number(day))
            receipt = receipts[key]
            receipt.applications.append((plan, amount))
            receipt.amount += amount
            self._left[id(plan)] = left - amount
        result = list(receipts.values())
        for receipt in result:
            if self.rng.random() < 0.005:
                # Paid a round sum: what is over stays on the account.
                receipt.amount = (receipt.amount / 100).quantize(Decimal(1), ROUND_DOWN) * 100 + 100
        return result

    def _cash_on_account(self, plans: list[Planned], accounts: list[Account]) -> list[Receipt]:
        """Money received in the last two weeks that nobody has matched yet:
        a remittance advice missing, or a round payment on account."""
        recent = [
            self.today - timedelta(days=n)
            for n in range(1, 15)
            if (self.today - timedelta(days=n)).weekday() < 5
        ]
        open_plans = [
            plan
            for plan in plans
            if not plan.cancelled
            and self._left.get(id(plan), _ZERO) > 0
            and plan.account.stopped_paying is None
            and plan.issue_date < recent[-1]
        ]
        receipts: list[Receipt] = []
        used: set[int] = set()
        wanted = max(2, len(accounts) // 25)
        for plan in self.rng.sample(open_plans, min(len(open_plans), wanted * 3)):
            if len(receipts) == wanted:
                break
            customer_id = plan.account.customer.pk
            if customer_id in used:
                continue
            used.add(customer_id)
            day = self.rng.choice(recent)
            left = self._left[id(plan)]
            if self.rng.random() < 0.5 and left > 200:
                amount = (left / 100).quantize(Decimal(1), ROUND_DOWN) * 100  # on account
            else:
                amount = left  # the invoice, but nobody said which
            receipt = Receipt(plan.account, day, self._receipt_number(day), amount)
            receipts.append(receipt)
        self.tally.unapplied = len(receipts)
        return receipts

    def _post_and_apply(self, receipts: list[Receipt]) -> None:
        receipts.sort(key=lambda receipt: (receipt.day, receipt.number))
        items = ledger_items_post_many(
            tenant=self.tenant,
            actor=self.cash,
            entries=[
                NewItem(
                    customer=receipt.account.customer,
                    kind=ItemKind.PAYMENT,
                    number=receipt.number,
                    currency=receipt.account.currency,
                    amount=receipt.amount,
                    document_date=receipt.day,
                    rate=self._rate(receipt.account.currency, receipt.day),
                )
                for receipt in receipts
            ],
        )
        for receipt, item in zip(receipts, items, strict=True):
            for plan, amount in receipt.applications:
                ledger_apply(
                    tenant=self.tenant,
                    actor=self.cash,
                    debit_item_id=plan.item_id,
                    credit_item_id=item.pk,
                    amount=amount,
                    effective_date=receipt.day,
                    kind=ApplicationKind.CASH,
                )
                invoice_refresh_payment_status(
                    tenant=self.tenant, invoice=plan.document, actor=self.cash
                )
                self.tally.applications += 1
        self.tally.payments = len(receipts)

    def _write_offs(self, plans: list[Planned]) -> None:
        """The bank charges a few customers' banks kept, written off once it
        is clear nobody will pay them."""
        short = [
            plan
            for plan in plans
            if plan.short_by
            and plan.payments
            and self._left.get(id(plan)) == plan.short_by
            and plan.payments[-1][0] <= self.today - timedelta(days=10)
        ]
        for plan in short[:3]:
            day = min(self.today, plan.payments[-1][0] + timedelta(days=self.rng.randint(5, 20)))
            ledger_write_off(
                tenant=self.tenant,
                actor=self.approver,
                debit_item_id=plan.item_id,
                amount=plan.short_by,
                effective_date=day,
                reason="Bank charges deducted by the payer's bank",
            )
            invoice_refresh_payment_status(
                tenant=self.tenant, invoice=plan.document, actor=self.approver
            )
            self._left[id(plan)] = _ZERO
            self.tally.write_offs += 1

    # -- work in progress ----------------------------------------------------------

    def _leave_drafts(self, accounts: list[Account]) -> None:
        active = [
            account
            for account in accounts
            if account.customer.status == CustomerStatus.ACTIVE and account.last_day is None
        ]
        for account in self.rng.sample(active, min(len(active), max(3, len(accounts) // 20))):
            refs = self._references(account)
            invoice_create_draft(
                tenant=self.tenant,
                actor=self.billing,
                customer=account.customer,
                lines=self._lines(account),
                po_number=refs.po_number,
                buyer_reference=refs.buyer_reference,
                notes=refs.notes,
            )


def _in_bucket(bucket: AgingBucket, days_past_due: int) -> bool:
    return (bucket.low is None or days_past_due >= bucket.low) and (
        bucket.high is None or days_past_due <= bucket.high
    )


# --- the command -----------------------------------------------------------------------


def book_summary(tenant: Tenant) -> str:
    """Invoices and open receivables of a company, in one line."""
    counts: Counter[str] = Counter()
    for kind, status, number in (
        Invoice.objects.for_tenant(tenant)
        .values_list("kind", "status")
        .annotate(number=Count("id"))
        .order_by()
    ):
        counts["draft" if status == InvoiceStatus.DRAFT else kind] += number
    aging = aging_by_customer(tenant=tenant)
    open_ar = sum((row.total for row in aging.rows), _ZERO)
    debits = sum((sum(row.buckets, _ZERO) for row in aging.rows), _ZERO)
    overdue = sum((sum(row.buckets[1:], _ZERO) for row in aging.rows), _ZERO)
    share = f", {overdue / debits:.0%} of it overdue" if debits else ""
    return (
        f"{counts[InvoiceKind.INVOICE]:,} invoices, {counts[InvoiceKind.CREDIT_MEMO]:,} credit "
        f"memos, {counts[InvoiceKind.DEBIT_MEMO]:,} debit memos, {counts['draft']:,} drafts; "
        f"open AR {open_ar:,.2f} {tenant.base_currency}{share}"
    )


class Command(BaseCommand):
    help = (
        "Give the demo companies six months of invoices, credit memos, payments and exchange "
        "rates (once; a company that has invoices is left alone)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--invoices",
            type=int,
            default=None,
            help=(
                "invoices per company (default: "
                + ", ".join(
                    f"{book.invoices_per_customer} per customer for {book.demo.name}"
                    for book in BOOKS
                )
                + ")"
            ),
        )
        parser.add_argument(
            "--tenant",
            action="append",
            dest="tenants",
            metavar="SLUG",
            choices=[book.demo.slug for book in BOOKS],
            help="only this demo company (repeat for more; default: both)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        invoices = options["invoices"]
        if invoices is not None and invoices < 0:
            raise CommandError("--invoices cannot be negative.")
        chosen = options["tenants"] or [book.demo.slug for book in BOOKS]
        for book in BOOKS:
            if book.demo.slug not in chosen:
                continue
            tenant = Tenant.objects.filter(slug=book.demo.slug).first()
            if tenant is None:
                self._progress(f"{book.demo.name} is not loaded (run seed_demo): skipped.")
                continue
            with tenant_context(tenant):
                if Invoice.objects.for_tenant(tenant).exists():
                    self._progress(
                        f"{book.demo.name} has invoices already, nothing to do: "
                        f"{book_summary(tenant)}."
                    )
                    continue
                self._seed(tenant, book, invoices=invoices, verbosity=options["verbosity"])

    def _progress(self, message: str) -> None:
        self.stderr.write(message, style_func=str)

    def _seed(
        self, tenant: Tenant, book: DemoBook, *, invoices: int | None, verbosity: int
    ) -> None:
        started = time.monotonic()
        today = timezone.localdate(timezone=ZoneInfo(tenant.timezone))
        seeder = Seeder(tenant=tenant, book=book, invoices=invoices, today=today)
        try:
            with transaction.atomic():
                tally = seeder.run()
        except DomainError as error:
            raise CommandError(f"{book.demo.name}: {error.detail}") from error
        elapsed = time.monotonic() - started
        self._progress(
            f"{book.demo.name}: {book_summary(tenant)} "
            f"({tally.payments:,} payments, {tally.rates:,} rates; {elapsed:.1f}s)"
        )
        if verbosity >= 2:
            self._progress(
                f"  {tally.applications:,} cash applications, {tally.unapplied} payments "
                f"not yet matched, {tally.write_offs} write-offs, {tally.cancelled} cancelled"
            )
            steps = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in tally.steps.items())
            self._progress(f"  {steps}")
