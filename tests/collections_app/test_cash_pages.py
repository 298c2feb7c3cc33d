"""The workbench pages: queue, payment with candidates, accept, manual
allocation with remainder, unapply, statements; roles and tenant isolation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from collections_app.models import MatchProposal, Payment, PaymentStatus, ProposalStatus
from collections_app.services import statement_match, statements_import
from otc.ledger.models import ItemStatus
from otc.tenancy.context import tenant_context
from tests.collections_app.conftest import SYSTEM, customer, invoice, refreshed, statement, tx

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def clerk(signed_in_client, tenant_a):
    return signed_in_client(tenant_a, "ar_clerk")


@pytest.fixture
def desk(tenant_a):
    with tenant_context(tenant_a):
        acme = customer(tenant_a, "K1", "Acme Tools AG")
        first = invoice(tenant_a, acme, "INV-2026-000701", "300.00", days_old=40)
        second = invoice(tenant_a, acme, "INV-2026-000702", "300.00", days_old=20)
        result = statements_import(
            tenant=tenant_a,
            actor=SYSTEM,
            statements=[
                statement(
                    "PAGES-1",
                    tx("300.00", name="ACME TOOLS", account="DE02120300000000202051", e2e="P1"),
                )
            ],
            file_sha256="f" * 64,
            match=False,
        )
        statement_match(tenant=tenant_a, statement_id=result.statements[0].pk)
        payment = Payment.objects.get(end_to_end_id="P1")
        return {
            "customer": acme,
            "first": first,
            "second": second,
            "payment": payment,
            "statement": result.statements[0],
        }


def test_queue_lists_the_ambiguous_payment_with_metrics(clerk, desk):
    page = clerk.get("/cash/")
    assert page.status_code == 200
    html = page.content.decode()
    assert desk["payment"].number in html
    assert 'data-testid="cash-metrics"' in html
    assert "300.00" in html


def test_accept_a_candidate_in_one_click_then_unapply(clerk, desk, tenant_a):
    payment = desk["payment"]
    with tenant_context(tenant_a):
        assert payment.status == PaymentStatus.UNIDENTIFIED  # two items of 300.00: ambiguous
        proposal = MatchProposal.objects.filter(payment=payment, status="proposed").order_by(
            "rank"
        )[0]
    detail = clerk.get(f"/cash/payments/{payment.pk}/")
    assert "one of 2 open items with that amount" in detail.content.decode()
    response = clerk.post(
        f"/cash/payments/{payment.pk}/proposals/{proposal.pk}/accept/", follow=True
    )
    assert "Applied:" in response.content.decode()
    with tenant_context(tenant_a):
        assert refreshed(desk["first"]).status == ItemStatus.CLOSED
        assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.APPLIED
    refused = clerk.post(f"/cash/payments/{payment.pk}/unapply/", {"reason": ""}, follow=True)
    assert "Say why" in refused.content.decode()
    clerk.post(f"/cash/payments/{payment.pk}/unapply/", {"reason": "wrong invoice"})
    with tenant_context(tenant_a):
        assert refreshed(desk["first"]).open_amount == D("300.00")


def test_manual_allocation_with_running_remainder(clerk, desk, tenant_a):
    payment = desk["payment"]
    url = f"/cash/payments/{payment.pk}/"
    page = clerk.get(f"{url}?customer={desk['customer'].pk}")
    assert "INV-2026-000702" in page.content.decode()
    remainder = clerk.post(
        f"{url}remainder/",
        {f"amount_{desk['second'].pk}": "250.00", f"deduction_{desk['second'].pk}": "50"},
    )
    assert "remains on account" in remainder.content.decode()
    assert "50.00" in remainder.content.decode()
    over = clerk.post(f"{url}remainder/", {f"amount_{desk['second'].pk}": "350"})
    assert "over by" in over.content.decode()
    missing_reason = clerk.post(
        f"{url}allocate/",
        {
            "customer": desk["customer"].pk,
            f"amount_{desk['second'].pk}": "250.00",
            f"deduction_{desk['second'].pk}": "50.00",
        },
        follow=True,
    )
    assert "Say why the customer deducted" in missing_reason.content.decode()
    done = clerk.post(
        f"{url}allocate/",
        {
            "customer": desk["customer"].pk,
            f"amount_{desk['second'].pk}": "250.00",
            f"deduction_{desk['second'].pk}": "50.00",
            "deduction_reason": "Short delivery",
        },
        follow=True,
    )
    assert "Allocation applied" in done.content.decode()
    assert "Learned" in done.content.decode()
    with tenant_context(tenant_a):
        assert refreshed(desk["second"]).status == ItemStatus.CLOSED
        # 250 applied; the remaining 50.00 of the payment stays on account.
        assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PARTIALLY_APPLIED


def test_statement_pages_and_upload_error(clerk, desk):
    assert desk["statement"].statement_id in clerk.get("/cash/statements/").content.decode()
    lines = clerk.get(f"/cash/statements/{desk['statement'].pk}/").content.decode()
    assert "ACME TOOLS" in lines
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = clerk.post(
        "/cash/statements/upload/", {"file": SimpleUploadedFile("x.txt", b"not a bank file")}
    )
    assert bad.status_code == 200
    assert "was not imported" in bad.content.decode()


def test_collector_may_view_but_not_apply_and_other_tenant_sees_404(
    signed_in_client, desk, tenant_a, tenant_b
):
    collector = signed_in_client(tenant_a, "collector")
    payment = desk["payment"]
    assert collector.get(f"/cash/payments/{payment.pk}/").status_code == 200
    with tenant_context(tenant_a):
        proposal = MatchProposal.objects.filter(payment=payment).first()
    denied = collector.post(f"/cash/payments/{payment.pk}/proposals/{proposal.pk}/accept/")
    assert denied.status_code == 403
    other = signed_in_client(tenant_b, "ar_clerk")
    for path in (f"/cash/payments/{payment.pk}/", f"/cash/statements/{desk['statement'].pk}/"):
        assert other.get(path).status_code == 404
    assert (
        other.post(f"/cash/payments/{payment.pk}/proposals/{proposal.pk}/accept/").status_code
        == 404
    )
    assert other.post(f"/cash/payments/{payment.pk}/refund/", {"reason": "x"}).status_code == 404
    with tenant_context(tenant_a):
        assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.UNIDENTIFIED
        assert MatchProposal.objects.get(pk=proposal.pk).status == ProposalStatus.PROPOSED


def test_settings_save_policy_and_csv_mapping_used_by_upload(clerk, tenant_a, tenant_b):
    from collections_app.models import CashApplicationPolicy, CsvMappingProfile

    bad = clerk.post(
        "/cash/settings/",
        {
            "form": "policy",
            "auto_apply_threshold": "30",
            "tolerance_amount": "5",
            "tolerance_percent": "0.5",
            "fx_tolerance_percent": "1",
            "discount_grace_days": "3",
            "max_subset_size": "5",
        },
    )
    assert "Ensure this value is greater than or equal to 50" in bad.content.decode()
    clerk.post(
        "/cash/settings/",
        {
            "form": "policy",
            "auto_apply_threshold": "95",
            "tolerance_amount": "2.50",
            "tolerance_percent": "0.5",
            "fx_tolerance_percent": "1",
            "discount_grace_days": "3",
            "max_subset_size": "4",
        },
    )
    missing = clerk.post(
        "/cash/settings/",
        {
            "form": "csv",
            "name": "Sparkasse",
            "booking_date": "Buchungstag",
            "delimiter": ";",
            "decimal_separator": ",",
            "date_format": "%d.%m.%Y",
            "encoding": "utf-8",
        },
    )
    assert "Name the amount column" in missing.content.decode()
    clerk.post(
        "/cash/settings/",
        {
            "form": "csv",
            "name": "Sparkasse",
            "booking_date": "Buchungstag",
            "amount": "Betrag",
            "default_currency": "EUR",
            "payer_name": "Auftraggeber",
            "remittance_text": "Verwendungszweck",
            "delimiter": ";",
            "decimal_separator": ",",
            "thousands_separator": ".",
            "date_format": "%d.%m.%Y",
            "encoding": "utf-8",
            "account": "DE02120300000000202051",
        },
    )
    with tenant_context(tenant_a):
        policy = CashApplicationPolicy.objects.get()
        assert (policy.auto_apply_threshold, policy.tolerance_amount) == (95, D("2.50"))
        profile = CsvMappingProfile.objects.get(name="Sparkasse")
    with tenant_context(tenant_b):
        assert not CsvMappingProfile.objects.exists()
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = "Buchungstag;Betrag;Auftraggeber;Verwendungszweck\n20.11.2026;1.190,00;Acme;INV-1\n"
    done = clerk.post(
        "/cash/statements/upload/",
        {
            "file": SimpleUploadedFile("bank.csv", csv.encode()),
            "file_format": "csv",
            "csv_mapping": profile.pk,
        },
        follow=True,
    )
    assert "Imported 1 payment" in done.content.decode()
    with tenant_context(tenant_a):
        assert Payment.objects.get(payer_name="Acme").amount == D("1190.00")


def test_ar_clerk_dashboard_shows_queue_and_auto_rate(clerk, desk):
    page = clerk.get("/dashboards/ar_clerk/").content.decode()
    assert 'data-testid="kpi-cash-queue"' in page
    assert 'data-testid="kpi-cash-auto-rate"' in page
    queue = page[page.index('data-testid="kpi-cash-queue"') :][:400]
    assert '<div class="kpi-value">1</div>' in queue  # the desk's payment waits


def test_remittance_upload_links_to_payment(clerk, desk, tenant_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from collections_app.bank_files.types import Remittance as ParsedRemittance
    from collections_app.bank_files.types import RemittanceFormat, RemittanceLine
    from collections_app.bank_files.writers import write_edi820
    from collections_app.models import Remittance

    data = write_edi820(
        [
            ParsedRemittance(
                format=RemittanceFormat.EDI820,
                payer_name="Acme Tools AG",
                payment_reference="P1",
                payment_amount=D("300.00"),
                currency="EUR",
                payment_date=desk["payment"].value_date,
                lines=(RemittanceLine(reference="INV-2026-000702", paid_amount=D("300.00")),),
            )
        ]
    )
    done = clerk.post(
        "/cash/remittances/upload/",
        {"remittance_file": SimpleUploadedFile("advice.edi", data)},
        follow=True,
    )
    assert "1 linked to a payment" in done.content.decode()
    with tenant_context(tenant_a):
        assert Remittance.objects.get().payment_id == desk["payment"].pk
    broken = clerk.post(
        "/cash/remittances/upload/",
        {"remittance_file": SimpleUploadedFile("advice.edi", data[: len(data) // 3])},
    )
    assert "was not imported" in broken.content.decode()
