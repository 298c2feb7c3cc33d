"""``manage.py seed_demo_invoicing`` (called by ``seed_demo``): both demo
companies get six months of invoices, memos, payments and rates, written
through the services, with a ledger that balances; a second run writes
nothing, and seeding one company never touches the other."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.db.models import Q, Sum
from django.utils import timezone

from invoicing.management.commands.seed_demo_invoicing import (
    EUR_LEVELS,
    HISTORY_DAYS,
    RATE_DAYS,
    RATE_NOTE,
    demo_rates,
    euro_walk,
    quoted_pair,
)
from invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from otc.audit.models import AuditEvent
from otc.customers.models import Customer
from otc.fx.models import ManualExchangeRate
from otc.fx.selectors import fx_rate
from otc.ledger.models import Application, ApplicationKind, ItemKind, OpenItem, PostingLine
from otc.ledger.selectors import aging_by_customer, customer_balance, open_items
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant
from otc.web.management.commands.seed_demo import BLUE_HARBOR, DEMO_TENANTS, NORTHWIND

CUSTOMERS = 12


def _seed(customers: int = CUSTOMERS) -> str:
    err = StringIO()
    call_command("seed_demo", customers=customers, stdout=StringIO(), stderr=err)
    return err.getvalue()


def _counts(slug: str) -> dict[str, Any]:
    tenant = Tenant.objects.get(slug=slug)
    with tenant_context(tenant):
        return {
            "invoices": Invoice.objects.count(),
            "lines": InvoiceLine.objects.count(),
            "items": OpenItem.objects.count(),
            "open": OpenItem.objects.aggregate(total=Sum("open_base_amount"))["total"],
            "applications": Application.objects.count(),
            "posting_lines": PostingLine.objects.count(),
            "rates": ManualExchangeRate.objects.count(),
            "audit": AuditEvent.objects.count(),
        }


def _book(slug: str) -> list[tuple[Any, ...]]:
    """A company's documents as a list that two equal seeds reproduce."""
    tenant = Tenant.objects.get(slug=slug)
    with tenant_context(tenant):
        return list(
            Invoice.objects.order_by("pk").values_list(
                "number", "kind", "status", "customer__external_ref", "issue_date", "gross_amount"
            )
        )


def test_seed_demo_gives_both_companies_a_living_book_once(db):
    err = _seed()

    for demo in DEMO_TENANTS:
        tenant = Tenant.objects.get(slug=demo.slug)
        with tenant_context(tenant):
            _check_documents_rates_and_cash(tenant)
            _check_ledger_balances_and_statuses(tenant)
        assert f"{demo.name}: " in err
    assert "open AR" in err

    # A second run, through seed_demo or on its own, writes nothing.
    before = {demo.slug: _counts(demo.slug) for demo in DEMO_TENANTS}
    again = _seed()
    alone = StringIO()
    call_command("seed_demo_invoicing", invoices=50, stderr=alone)
    assert {demo.slug: _counts(demo.slug) for demo in DEMO_TENANTS} == before
    for output in (again, alone.getvalue()):
        for demo in DEMO_TENANTS:
            assert f"{demo.name} has invoices already, nothing to do" in output


def _check_documents_rates_and_cash(tenant: Tenant) -> None:
    today = timezone.localdate(timezone=ZoneInfo(tenant.timezone))
    documents = list(Invoice.objects.select_related("customer"))
    kinds = Counter((doc.kind, doc.status) for doc in documents)
    invoices = [doc for doc in documents if doc.kind == InvoiceKind.INVOICE]
    issued = [doc for doc in documents if doc.status != InvoiceStatus.DRAFT]
    assert len(issued) >= CUSTOMERS * 5
    assert kinds[(InvoiceKind.INVOICE, InvoiceStatus.PAID)] > 0
    assert kinds[(InvoiceKind.INVOICE, InvoiceStatus.ISSUED)] > 0
    assert kinds[(InvoiceKind.INVOICE, InvoiceStatus.DRAFT)] >= 3
    assert kinds[(InvoiceKind.INVOICE, InvoiceStatus.CANCELLED)] >= 1
    assert sum(n for (kind, _), n in kinds.items() if kind == InvoiceKind.CREDIT_MEMO) >= 2
    assert sum(n for (kind, _), n in kinds.items() if kind == InvoiceKind.DEBIT_MEMO) >= 1
    for doc in issued:
        assert doc.number
        assert doc.open_item_id
        assert doc.currency == doc.customer.currency
        assert doc.issue_date is not None
        assert today - timedelta(days=HISTORY_DAYS) <= doc.issue_date <= today
    assert all(doc.issue_date.weekday() < 5 for doc in invoices if doc.issue_date)
    assert len({doc.number for doc in issued}) == len(issued)
    lines = Counter(InvoiceLine.objects.values_list("invoice_id", flat=True))
    assert all(1 <= lines[doc.pk] <= 8 for doc in invoices)

    # A rate for every customer currency on every day the documents need.
    currencies = {str(code) for code in Customer.objects.values_list("currency", flat=True)}
    needed = (currencies | {"EUR", "USD"}) - {str(tenant.base_currency)}
    rates = ManualExchangeRate.objects.all()
    assert rates.count() == len(needed) * (RATE_DAYS + 1)
    for currency in needed:
        quote = fx_rate(
            tenant=tenant, from_currency=currency, to_currency=tenant.base_currency, on=today
        )
        assert (quote.source, quote.rate_date) == ("manual", today)
    assert set(rates.values_list("note", flat=True)) <= {RATE_NOTE}
    assert AuditEvent.objects.filter(action="fx.manual_rate_set").count() == rates.count()

    # Cash came in, most of it applied, some of it waiting on the account.
    payments = OpenItem.objects.filter(kind=ItemKind.PAYMENT)
    assert payments.filter(status="closed").exists()
    assert payments.filter(status="open").exists()
    applied = Counter(Application.objects.values_list("kind", flat=True))
    assert applied[ApplicationKind.CASH] > len(issued) // 3
    assert applied[ApplicationKind.WRITE_OFF] >= 1
    # Demo disputes (seed_demo_deductions) move amounts to deductions: those
    # applications are audited as transfers, every other one as applied.
    transfers = applied.pop(ApplicationKind.DEDUCTION, 0)
    assert AuditEvent.objects.filter(action="ledger.applied").count() == sum(applied.values())
    assert AuditEvent.objects.filter(action="ledger.transferred_to_deduction").count() == transfers
    assert AuditEvent.objects.filter(action="invoice.issued").count() == len(issued)

    # Every bucket of the aging holds money.
    aging = aging_by_customer(tenant=tenant)
    labelled = list(zip([bucket.label for bucket in aging.buckets], aging.totals, strict=True))
    assert all(total > 0 for _, total in labelled), labelled


def _check_ledger_balances_and_statuses(tenant: Tenant) -> None:
    for customer in Customer.objects.all():
        balance = customer_balance(tenant=tenant, customer=customer)
        items = list(open_items(tenant=tenant, customer=customer))
        assert balance.base == sum((item.open_base_amount for item in items), Decimal(0))
        by_currency: Counter[str] = Counter()
        for item in items:
            by_currency[str(item.currency)] += item.open_amount
        assert balance.by_currency == dict(by_currency)

    # An item's open amount is its amount less what was applied to it.
    debit = dict(
        Application.objects.values("debit_item")
        .annotate(total=Sum("amount"))
        .values_list("debit_item", "total")
    )
    credit = dict(
        Application.objects.values("credit_item")
        .annotate(total=Sum("credit_amount"))
        .values_list("credit_item", "total")
    )
    for item in OpenItem.objects.all():
        applied = debit.get(item.pk, 0) if item.amount > 0 else -credit.get(item.pk, 0)
        assert item.open_amount == item.amount - applied, item

    # Every posting balances in the base currency (the database checks it
    # at commit, and a test transaction never commits).
    unbalanced = (
        PostingLine.objects.values("posting").annotate(total=Sum("base_amount")).exclude(total=0)
    )
    assert not unbalanced.exists()

    # A document's status follows what is open on its ledger item.
    for doc in Invoice.objects.filter(
        ~Q(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED])
    ).select_related("open_item"):
        assert doc.open_item is not None
        still_open = abs(doc.open_item.open_amount)
        if still_open == 0:
            assert doc.status == InvoiceStatus.PAID, doc
        elif still_open == doc.gross_amount:
            assert doc.status == InvoiceStatus.ISSUED, doc
        else:
            assert doc.status == InvoiceStatus.PARTIALLY_PAID, doc


def test_reseeding_one_company_leaves_the_other_untouched(db):
    _seed(customers=6)
    first = {demo.slug: _counts(demo.slug) for demo in DEMO_TENANTS}
    harbor_book = _book(BLUE_HARBOR.slug)
    assert first[BLUE_HARBOR.slug]["invoices"] > 0

    # Blue Harbor again, from scratch (renamed away: the audit trail is
    # append-only, so nothing is deleted); Northwind must not move.
    Tenant.objects.filter(slug=BLUE_HARBOR.slug).update(slug="blue-harbor-old")
    _seed(customers=6)
    assert _counts(NORTHWIND.slug) == first[NORTHWIND.slug]
    assert _counts("blue-harbor-old") == first[BLUE_HARBOR.slug]
    # Same company, same day: the same book again (deterministic).
    assert _book(BLUE_HARBOR.slug) == harbor_book

    # And the other way round.
    harbor_now = _counts(BLUE_HARBOR.slug)
    Tenant.objects.filter(slug=NORTHWIND.slug).update(slug="northwind-old")
    _seed(customers=6)
    assert _counts(BLUE_HARBOR.slug) == harbor_now
    assert _counts("northwind-old") == first[NORTHWIND.slug]
    assert _counts(NORTHWIND.slug)["invoices"] == first[NORTHWIND.slug]["invoices"]


def test_a_missing_company_is_skipped(db):
    err = StringIO()
    call_command("seed_demo_invoicing", tenants=[NORTHWIND.slug], stderr=err)
    assert "is not loaded (run seed_demo): skipped" in err.getvalue()
    assert not Tenant.objects.exists()


def test_rates_walk_near_their_levels_and_cross_consistently():
    today = timezone.localdate()
    start = today - timedelta(days=RATE_DAYS)
    for currency, (level, _) in EUR_LEVELS.items():
        walk = euro_walk(currency, start=start, end=today)
        assert len(walk) == RATE_DAYS + 1
        assert all(0.85 < value / float(level) < 1.15 for value in walk.values()), currency
        saturday = next(day for day in walk if day.weekday() == 5)
        assert walk[saturday] == walk[saturday - timedelta(days=1)]  # markets rest
    assert euro_walk("USD", start=start, end=today) == euro_walk("USD", start=start, end=today)

    assert quoted_pair("EUR", "CHF") == ("EUR", "CHF")
    assert quoted_pair("USD", "GBP") == ("GBP", "USD")
    assert quoted_pair("USD", "CAD") == ("USD", "CAD")
    euro = {
        (rate.rate_date, rate.to_currency): rate.rate
        for rate in demo_rates(base="EUR", currencies=["USD", "GBP"], today=today)
    }
    dollar = {
        (rate.rate_date, rate.from_currency): rate.rate
        for rate in demo_rates(base="USD", currencies=["GBP"], today=today)
    }
    # GBP/USD from the dollar company = EUR/USD / EUR/GBP from the euro company.
    for (day, _), gbp_usd in dollar.items():
        cross = euro[(day, "USD")] / euro[(day, "GBP")]
        assert abs(gbp_usd - cross) / cross < Decimal("0.0005")
