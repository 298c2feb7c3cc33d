"""The credit, collector, AR clerk and deductions analyst dashboards: each
panel's figures to the cent on a small book, nothing of tenant B, and who
may open which dashboard."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from collections_app.dunning.models import PromiseStatus, PromiseToPay
from collections_app.selectors import cash_metrics
from collections_app.services import statement_match, statements_import
from credit.models import CreditProfile
from deductions.models import Deduction
from invoicing.models import DeliveryStatus, InvoiceDelivery
from otc.ledger.models import ApplicationKind, ItemKind
from otc.ledger.services import ledger_apply
from otc.tenancy.context import tenant_context
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Membership
from otc.tenancy.roles import Role
from otc.web.templatetags.otc_format import format_money
from reporting import formulas
from reporting.selectors.kpis import kpi_months
from reporting.selectors.role_dashboards import (
    exposure_by_risk_class,
    largest_over_limit,
    statements_imported_on,
    unapplied_cash_queue,
)
from tests.collections_app.conftest import customer, invoice, statement, tx
from tests.deductions.conftest import short_paid_invoice
from tests.fixtures_web import sign_in
from tests.otc.ledger.conftest import SYSTEM, make_customer
from tests.reporting.conftest import post

pytestmark = pytest.mark.django_db
D = Decimal


def money(tenant, amount: str) -> str:
    return format_money(D(amount), str(tenant.base_currency), tenant.locale)


def panel(html: str, testid: str) -> str:
    """The markup of one dashboard panel (up to the next panel)."""
    return html.split(f'data-testid="panel-{testid}"')[1].split('data-testid="panel-', maxsplit=1)[
        0
    ]


def _member(tenant, user, role: Role, **fields) -> Membership:
    with tenant_context(tenant):
        return Membership.objects.for_tenant(tenant).create(
            tenant=tenant, user=user, role=role.value, **fields
        )


# --- credit -------------------------------------------------------------------------


def test_credit_dashboard_exposure_by_class_and_over_limit(book, tenant_b, signed_in_client):
    tenant = book.tenant
    with tenant_context(tenant):
        CreditProfile.objects.filter(customer=book.acme).update(credit_limit=D("2000.00"))
        CreditProfile.objects.filter(customer=book.acme_at).update(
            next_review_date=book.today - timedelta(days=1)
        )
    with tenant_context(tenant_b):
        big = make_customer(tenant_b, "B-9", "Bravo Big Buyer", currency="USD")
        CreditProfile.objects.create(
            tenant=tenant_b, customer=big, currency="USD", risk_class="E", credit_limit=D("1.00")
        )
        post(tenant_b, big, ItemKind.INVOICE, "55555.00", book.today, book.today, currency="USD")

    with tenant_context(tenant):
        classes = exposure_by_risk_class(tenant=tenant)
        over = largest_over_limit(tenant=tenant)
    # Acme: 1,000 + 1,600 open - 300 unapplied = 2,300 against 2,000;
    # Acme Austria: 500 open + the 100 deduction, no limit.
    assert [
        (c.risk_class, c.customers, c.exposure, c.credit_limit, c.over_limit) for c in classes
    ] == [("B", 2, D("2900.00"), D("2000.00"), 1)]
    assert classes[0].utilisation_percent == D("145.0")
    assert [(c.number, c.exposure, c.excess) for c in over] == [("C-1", D("2300.00"), D("300.00"))]

    html = signed_in_client(tenant, Role.CREDIT_MANAGER).get("/dashboards/credit_manager/")
    assert html.status_code == 200
    page = html.content.decode()
    classes_panel = panel(page, "credit-classes")
    assert "<svg" in classes_panel
    assert money(tenant, "2900.00") in classes_panel
    assert "145.0 %" in classes_panel
    over_panel = panel(page, "credit-over-limit")
    assert "Acme Group AG" in over_panel
    assert money(tenant, "300.00") in over_panel
    reviews_panel = panel(page, "credit-reviews")
    assert "Acme Austria GmbH" in reviews_panel
    assert "overdue" in reviews_panel
    assert "No order is waiting" in panel(page, "credit-holds")
    for foreign in ("Bravo Big Buyer", "Class E", "55,555"):
        assert foreign not in page


# --- collector ----------------------------------------------------------------------


@pytest.fixture
def collector_book(book, tenant_b):
    """Cora (collector of both Acme customers) with a 1,000.00 monthly target,
    a payment of 250.00 applied today, a promise due today and one broken
    yesterday; Bolt (nobody's) has a promise too; tenant B has one."""
    tenant, today = book.tenant, book.today
    cora = _member(tenant, book.collector, Role.COLLECTOR, monthly_collection_target=D("1000"))
    with tenant_context(tenant):
        payment = post(tenant, book.acme, ItemKind.PAYMENT, "250.00", today, number="P-today")
        ledger_apply(
            tenant=tenant,
            actor=SYSTEM,
            debit_item_id=book.items["inv_current"].pk,
            credit_item_id=payment.pk,
            amount=D("250.00"),
            effective_date=today,
            kind=ApplicationKind.CASH,
        )
        for customer_, amount, status, resolved in (
            (book.acme, "500.00", PromiseStatus.OPEN, None),
            (book.acme_at, "80.00", PromiseStatus.BROKEN, today - timedelta(days=1)),
            (book.bolt, "321.00", PromiseStatus.OPEN, None),
        ):
            PromiseToPay.objects.create(
                tenant=tenant,
                customer=customer_,
                amount=D(amount),
                currency="EUR",
                promised_date=today if resolved is None else today - timedelta(days=2),
                status=status,
                resolved_on=resolved,
            )
    with tenant_context(tenant_b):
        other = make_customer(tenant_b, "B-2", "Bravo Promiser", currency="USD")
        PromiseToPay.objects.create(
            tenant=tenant_b,
            customer=other,
            amount=D("4444.00"),
            currency="USD",
            promised_date=today,
        )
    return cora


def test_collector_dashboard_shows_my_customers_against_my_target(book, collector_book):
    tenant, today = book.tenant, book.today
    # 250.00 today, plus the 400.00 applied five days ago when that is this month.
    collected = D("250.00") + (
        D("400.00") if (today - timedelta(days=5)).month == today.month else 0
    )
    page = sign_in(Client(), collector_book).get("/dashboards/collector/").content.decode()

    month = panel(page, "collector-month")
    assert money(tenant, str(collected)) in month
    assert money(tenant, "1000.00") in month
    assert f"{(collected / 10).quantize(D('0.1'))} % of the target" in month

    # Cora's customers: current 750 (1,000 - 250), 1-30 1,600, 61-90 500;
    # open 2,650 with the 100 deduction and 300 unapplied. Bolt's USD invoice
    # (900 in 31-60) is not hers.
    aging = panel(page, "collector-aging")
    assert money(tenant, "2100.00") in aging
    assert money(tenant, "2650.00") in aging
    assert "across 2 customers" in aging
    assert "<svg" in aging

    due = panel(page, "collector-promises-due")
    assert "Acme Group AG" in due
    assert money(tenant, "500.00") in due
    assert "Bolt Ltd" not in due
    broken = panel(page, "collector-promises-broken")
    assert "Acme Austria GmbH" in broken
    assert money(tenant, "80.00") in broken
    assert "Bravo Promiser" not in page
    assert "4,444" not in page


def test_owner_sees_the_whole_team_on_the_collector_dashboard(book, collector_book, owner_a):
    tenant = book.tenant
    with tenant_context(tenant):
        owner = Membership.objects.for_tenant(tenant).get(user=owner_a)
    page = sign_in(Client(), owner).get("/dashboards/collector/").content.decode()
    aging = panel(page, "collector-aging")
    assert money(tenant, "3000.00") in aging  # Bolt's 900 in 31-60 counts now
    assert "Bolt Ltd" in panel(page, "collector-promises-due")
    assert "Bravo Promiser" not in page


# --- AR clerk -----------------------------------------------------------------------


def test_ar_clerk_dashboard_cash_queue_statements_and_invoices(
    in_tenant_a, tenant_b, signed_in_client
):
    tenant = in_tenant_a
    today = tenant_today(tenant)
    acme = customer(tenant, "K1", "Acme Tools AG")
    invoice(tenant, acme, "INV-2026-000900", "900.00")
    invoice(tenant, acme, "INV-2026-000901", "100.00")

    def on_today(transaction):
        return dataclasses.replace(transaction, value_date=today, booking_date=today)

    result = statements_import(
        tenant=tenant,
        actor=SYSTEM,
        statements=[
            statement(
                "S-TODAY",
                on_today(tx("900.00", text="INV-2026-000900", e2e="A")),
                on_today(tx("60.00", text="INV-2026-000901", e2e="B")),
            )
        ],
        file_sha256="a" * 64,
        match=False,
    )
    statement_match(tenant=tenant, statement_id=result.statements[0].pk)
    with tenant_context(tenant_b):
        bravo = customer(tenant_b, "K1", "Bravo Payer", currency="USD")
        invoice(tenant_b, bravo, "INV-B-1", "5000.00", currency="USD")
        in_dollars = on_today(tx("777.77", text="nothing", e2e="Z", currency="USD"))
        statements_import(
            tenant=tenant_b,
            actor=SYSTEM,
            statements=[dataclasses.replace(statement("S-B", in_dollars), currency="USD")],
            file_sha256="b" * 64,
            match=True,
        )

    queue = unapplied_cash_queue(tenant=tenant, today=today)
    assert (queue.count, queue.base_amount) == (1, D("60.00"))
    assert next((age.label, age.count, age.base_amount) for age in queue.by_age) == (
        "0-2 days",
        1,
        D("60.00"),
    )
    imported = statements_imported_on(tenant=tenant, day=today)
    assert (imported.statements, imported.payments, imported.auto_applied) == (1, 2, 1)
    assert imported.auto_rate_percent == D("50.0")

    clerk = signed_in_client(tenant, Role.AR_CLERK)
    page = clerk.get("/dashboards/ar_clerk/").content.decode()
    cash = panel(page, "ar-cash-queue")
    assert money(tenant, "60.00") in cash
    assert 'data-figure="queue-count">1<' in cash
    assert "1 (50.0 %)" in panel(page, "ar-statements")
    assert "777" not in page
    assert "Bravo Payer" not in page


def test_ar_clerk_dashboard_invoices_never_sent_and_failed_deliveries(
    tenant_a, tenant_b, signed_in_client
):
    from tests.invoicing.factories import issued_invoice, line

    with tenant_context(tenant_a):
        acme = customer(tenant_a, "K1", "Acme Tools AG")
        sent = issued_invoice(tenant_a, acme, [line("100.00")])
        issued_invoice(tenant_a, acme, [line("200.00")])  # 238.00 gross, never e-mailed
        InvoiceDelivery.objects.create(
            tenant=tenant_a,
            invoice=sent,
            recipients=["ap@acme.example"],
            status=DeliveryStatus.FAILED,
            failure_reason="Mailbox full",
        )
    with tenant_context(tenant_b):
        bravo = customer(tenant_b, "K1", "Bravo Payer", currency="USD")
        issued_invoice(tenant_b, bravo, [line("900.00")])
    page = signed_in_client(tenant_a, Role.AR_CLERK).get("/dashboards/ar_clerk/").content.decode()
    invoices = panel(page, "ar-invoices")
    assert 'data-figure="never-sent">1 ' in invoices
    assert money(tenant_a, "238.00") in invoices
    assert 'data-figure="failed">1<' in invoices
    assert "Mailbox full" in invoices
    assert sent.number in invoices


# --- deductions analyst -------------------------------------------------------------


def test_deductions_dashboard_age_sla_and_my_items(tenant_a, tenant_b, signed_in_client):
    client = signed_in_client(tenant_a, Role.DEDUCTIONS_ANALYST)
    with tenant_context(tenant_a):
        acme = customer(tenant_a, "K1", "Acme Tools AG")
        _invoice, _payment, mine = short_paid_invoice(tenant_a, acme)  # 190.00 short
        _invoice, _payment, other = short_paid_invoice(tenant_a, acme, paid="1100.00")  # 90.00
        today = tenant_today(tenant_a)
        Deduction.objects.filter(pk=mine.pk).update(
            owner=client.user, research_due=today - timedelta(days=3)
        )
        Deduction.objects.filter(pk=other.pk).update(research_due=today + timedelta(days=10))
        age = (today - mine.open_item.document_date).days
    with tenant_context(tenant_b):
        bravo = customer(tenant_b, "K1", "Bravo Deducter", currency="USD")
        short_paid_invoice(tenant_b, bravo, paid="10.00")

    page = client.get("/dashboards/deductions_analyst/").content.decode()
    by_age = panel(page, "deductions-age")
    label = "0-30 days" if age <= 30 else "31-60 days" if age <= 60 else "61-90 days"
    assert "<svg" in by_age
    row = by_age.split(f"<td>{label}</td>")[1].split("</tr>")[0]
    assert '<td class="money">2</td>' in row
    assert money(tenant_a, "280.00") in row
    sla = panel(page, "deductions-sla")
    assert mine.open_item.number in sla
    assert other.open_item.number not in sla
    assert money(tenant_a, "190.00") in sla
    my_items = panel(page, "deductions-mine")
    assert mine.open_item.number in my_items
    assert other.open_item.number not in my_items
    assert "Bravo Deducter" not in page


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "dashboard", "status"),
    [
        (Role.COLLECTOR, Role.CREDIT_MANAGER, 403),
        (Role.COLLECTOR, Role.AR_CLERK, 403),
        (Role.AR_CLERK, Role.COLLECTOR, 403),
        (Role.DEDUCTIONS_ANALYST, Role.CREDIT_ANALYST, 403),
        (Role.CREDIT_ANALYST, Role.CREDIT_ANALYST, 200),
        (Role.OWNER, Role.DEDUCTIONS_ANALYST, 200),
        (Role.AUDITOR, Role.COLLECTOR, 200),
    ],
)
def test_role_dashboards_open_only_for_their_roles(
    tenant_a, signed_in_client, viewer, dashboard, status
):
    response = signed_in_client(tenant_a, viewer).get(f"/dashboards/{dashboard.value}/")
    assert response.status_code == status


# --- the collection target ------------------------------------------------------------


def test_owner_sets_a_collectors_monthly_target(tenant_a, signed_in_client):
    from django.urls import reverse

    from otc.audit.models import AuditEvent

    owner = signed_in_client(tenant_a, Role.OWNER)
    collector = signed_in_client(tenant_a, Role.COLLECTOR).membership
    url = reverse("web:member_edit", kwargs={"membership_id": collector.pk})
    form = {"role": "collector", "approval_limit": "0", "is_active": "on"}

    refused = owner.post(url, {**form, "monthly_collection_target": "-5"})
    assert refused.status_code == 200
    assert "greater than or equal to 0" in refused.content.decode()
    assert owner.post(url, {**form, "monthly_collection_target": "12500.5"}).status_code == 302
    with tenant_context(tenant_a):
        collector.refresh_from_db()
        assert collector.monthly_collection_target == D("12500.50")
        event = AuditEvent.objects.filter(action="membership.updated").latest("pk")
    assert "monthly_collection_target" in str(event.changes)

    page = sign_in(Client(), collector).get("/dashboards/collector/").content.decode()
    assert money(tenant_a, "12500.50") in panel(page, "collector-month")


def test_kpi_auto_match_rate_counts_as_cash_application_does(in_tenant_a, tenant_b):
    """The KPIs' monthly auto-match rate (one grouped query) agrees with
    collections' cash_metrics month by month; tenant B's payments stay out."""
    tenant = in_tenant_a
    today = tenant_today(tenant)
    acme = customer(tenant, "K1", "Acme Tools AG")
    invoice(tenant, acme, "INV-2026-000900", "900.00")
    invoice(tenant, acme, "INV-2026-000901", "100.00")
    last_month = today.replace(day=1) - timedelta(days=3)
    for name, day, rows in (
        ("S-NOW", today, [("900.00", "INV-2026-000900", "A"), ("60.00", "INV-2026-000901", "B")]),
        ("S-THEN", last_month, [("5.00", "nothing", "C")]),
    ):
        transactions = [
            dataclasses.replace(tx(amount, text=text, e2e=e2e), value_date=day, booking_date=day)
            for amount, text, e2e in rows
        ]
        imported = statements_import(
            tenant=tenant,
            actor=SYSTEM,
            statements=[statement(name, *transactions)],
            file_sha256=name[-1] * 64,
            match=False,
        )
        statement_match(tenant=tenant, statement_id=imported.statements[0].pk)
    with tenant_context(tenant_b):
        bravo = customer(tenant_b, "K1", "Bravo Payer", currency="USD")
        invoice(tenant_b, bravo, "INV-B-1", "5000.00", currency="USD")
        statements_import(
            tenant=tenant_b,
            actor=SYSTEM,
            statements=[
                dataclasses.replace(
                    statement("S-B", tx("5000.00", text="INV-B-1", e2e="Z", currency="USD")),
                    currency="USD",
                )
            ],
            file_sha256="b" * 64,
            match=True,
        )
    with tenant_context(tenant):
        months = kpi_months(tenant=tenant, months=3, today=today)
        for figures in months:
            metrics = cash_metrics(tenant=tenant, date_from=figures.month, date_to=figures.end)
            assert figures.kpis["auto_match_rate"] == formulas.auto_match_rate(
                automatic=metrics.auto_applied_payments, total=metrics.payments
            )
    rates = [figures.kpis["auto_match_rate"] for figures in months]
    assert rates[-1] == D("50.0")  # 1 of today's 2 payments applied by the matcher
    assert rates[-2] == D("0.0")  # last month's unmatched payment
