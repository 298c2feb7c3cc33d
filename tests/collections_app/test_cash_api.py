"""The cash application REST API, with cross-tenant checks on every endpoint."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from collections_app.bank_files.types import BankFileError, RemittanceFormat, RemittanceLine
from collections_app.bank_files.types import Remittance as ParsedRemittance
from collections_app.models import BankStatement, Payment, PaymentStatus
from collections_app.services import remittance_import, statement_match, statements_import
from collections_app.tasks import match_statement
from otc.ledger.models import ItemStatus, OpenItem
from otc.tenancy.context import tenant_context
from tests.collections_app.conftest import DAY, SYSTEM, customer, invoice, refreshed, statement, tx

pytestmark = pytest.mark.django_db
D = Decimal
PROBLEM = "application/problem+json"


@pytest.fixture
def erp(api_client_for, tenant_a):
    return api_client_for(tenant_a)


@pytest.fixture
def erp_b(api_client_for, tenant_b):
    return api_client_for(tenant_b)


@pytest.fixture
def books(tenant_a):
    with tenant_context(tenant_a):
        acme = customer(tenant_a, "K1", "Acme Tools AG")
        inv = invoice(tenant_a, acme, "INV-2026-000123", "1190.00")
        inv2 = invoice(tenant_a, acme, "INV-2026-000124", "200.00")
        result = statements_import(
            tenant=tenant_a,
            actor=SYSTEM,
            statements=[
                statement(
                    "API-1",
                    tx("1190.00", text="INV-2026-000123", e2e="E-A"),
                    tx("150.00", name="Stranger", e2e="E-B"),
                )
            ],
            file_sha256="e" * 64,
            match=False,
        )
        statement_match(tenant=tenant_a, statement_id=result.statements[0].pk)
        return {
            "customer": acme,
            "invoice": inv,
            "invoice2": inv2,
            "statement": result.statements[0],
            "applied": Payment.objects.get(end_to_end_id="E-A"),
            "queued": Payment.objects.get(end_to_end_id="E-B"),
        }


def test_list_and_detail_show_match_explanation(erp, books):
    response = erp.get("/api/v1/payments/?status=applied")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["amount"], row["currency"], row["unapplied_amount"]) == ("1190.00", "EUR", "0.00")
    detail = erp.get(f"/api/v1/payments/{row['id']}/").json()
    assert detail["applications"][0]["item_number"] == "INV-2026-000123"
    assert detail["applications"][0]["amount"] == "1190.00"
    applied = next(p for p in detail["proposals"] if p["status"] == "applied")
    assert applied["auto_applied"] is True
    assert "found in the remittance" in applied["explanation"]
    lines = erp.get(f"/api/v1/bank-statements/{books['statement'].pk}/lines/").json()["results"]
    assert [line["payment_status"] for line in lines] == ["applied", "unidentified"]
    assert lines[0]["match_confidence"] >= 90


def test_manual_apply_unapply_and_learning(erp, books, tenant_a):
    queued = books["queued"]
    response = erp.post(
        f"/api/v1/payments/{queued.pk}/apply/",
        {
            "customer_id": books["customer"].pk,
            "lines": [
                {
                    "item_id": books["invoice2"].pk,
                    "amount": "150.00",
                    "deduction": "50.00",
                    "reason": "Missing parts",
                }
            ],
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "applied"
    assert {a["kind"] for a in body["applications"]} == {"cash", "deduction"}
    with tenant_context(tenant_a):
        assert refreshed(books["invoice2"]).status == ItemStatus.CLOSED
    undo = erp.post(f"/api/v1/payments/{queued.pk}/unapply/", {"reason": "wrong customer"})
    assert undo.status_code == 200
    assert undo.json()["status"] == "unapplied"
    with tenant_context(tenant_a):
        assert refreshed(books["invoice2"]).open_amount == D("200.00")


def test_apply_errors_are_problems_with_fields(erp, books):
    queued = books["queued"]
    response = erp.post(
        f"/api/v1/payments/{queued.pk}/apply/",
        {
            "customer_id": books["customer"].pk,
            "lines": [{"item_id": books["invoice2"].pk, "amount": "999.00"}],
        },
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith(PROBLEM)
    assert "allocate at most that" in str(response.json())
    refund = erp.post(f"/api/v1/payments/{books['applied'].pk}/refund/", {"reason": "asked"})
    assert refund.status_code == 409


def test_create_payment_with_external_ref_once(erp, books):
    body = {
        "amount": "200.00",
        "currency": "EUR",
        "value_date": "2026-11-20",
        "customer_id": books["customer"].pk,
        "external_ref": "ERP-PAY-1",
        "remittance_text": "INV-2026-000124",
    }
    created = erp.post("/api/v1/payments/", body)
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "unapplied"
    assert erp.post("/api/v1/payments/", body).status_code == 409
    matched = erp.post(f"/api/v1/payments/{created.json()['id']}/match/")
    assert matched.json()["status"] == "applied"


def test_upload_statement_imports_and_rejects_malformed_atomically(
    erp, books, monkeypatch, tenant_a
):
    from collections_app import bank_files

    def fake_parse(data, *, file_format=None, csv_mapping=None):
        if b"broken" in data:
            raise BankFileError("amount is not a number", location="Stmt[1]/Ntry[2]/Amt")
        return [statement("UP-1", tx("200.00", text="INV-2026-000124", e2e="E-UP"))]

    monkeypatch.setattr(bank_files, "parse_bank_file", fake_parse, raising=False)
    bad = erp.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("bad.xml", b"broken")},
        format="multipart",
    )
    assert bad.status_code == 422
    assert "Stmt[1]/Ntry[2]/Amt" in str(bad.json())
    good = erp.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("good.xml", b"<ok/>")},
        format="multipart",
    )
    assert good.status_code == 201, good.json()
    assert good.json()["payments_created"] == 1
    again = erp.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("good.xml", b"<ok/>")},
        format="multipart",
    )
    assert again.json()["payments_created"] == 0
    assert "already imported" in again.json()["messages"][0]
    with tenant_context(tenant_a):
        assert BankStatement.objects.count() == 2


def test_metrics(erp, books):
    metrics = erp.get(f"/api/v1/cash-metrics/?statement_id={books['statement'].pk}").json()
    assert metrics["payments"] == 2
    assert metrics["auto_applied_payments"] == 1
    assert D(metrics["auto_rate_by_count"]) == D("0.5")
    assert D(metrics["precision"]) == D("1")
    assert metrics["queue_size"] == 1


def test_other_tenant_gets_404_and_changes_nothing(erp_b, books, tenant_a):
    applied, queued = books["applied"], books["queued"]
    statement_pk = books["statement"].pk
    for path in (
        f"/api/v1/payments/{applied.pk}/",
        f"/api/v1/bank-statements/{statement_pk}/",
        f"/api/v1/bank-statements/{statement_pk}/lines/",
        f"/api/v1/cash-metrics/?statement_id={statement_pk}",
    ):
        assert erp_b.get(path).status_code == 404, path
    assert erp_b.get("/api/v1/payments/").json()["results"] == []
    assert erp_b.get("/api/v1/bank-statements/").json()["results"] == []
    for action, body in (
        ("unapply", {"reason": "x"}),
        ("return", {"reason": "x"}),
        ("refund", {"reason": "x"}),
        ("match", None),
        ("apply", {"proposal_id": 1}),
    ):
        response = erp_b.post(f"/api/v1/payments/{applied.pk}/{action}/", body)
        assert response.status_code == 404, action
    with tenant_context(tenant_a):
        remittance = remittance_import(
            tenant=tenant_a,
            actor=SYSTEM,
            remittances=[
                ParsedRemittance(
                    format=RemittanceFormat.CSV,
                    payer_name="A",
                    payment_reference="E-A",
                    payment_amount=D("1190.00"),
                    currency="EUR",
                    payment_date=DAY,
                    lines=(RemittanceLine(reference="INV-2026-000123"),),
                )
            ],
        )[0]
    assert erp_b.get(f"/api/v1/remittances/{remittance.pk}/").status_code == 404
    with tenant_context(tenant_a):
        assert Payment.objects.get(pk=applied.pk).status == PaymentStatus.APPLIED
        assert Payment.objects.get(pk=queued.pk).status == PaymentStatus.UNIDENTIFIED
        assert OpenItem.objects.get(pk=books["invoice"].pk).status == ItemStatus.CLOSED


def test_real_camt053_upload_end_to_end(erp, books, tenant_a, django_capture_on_commit_callbacks):
    from collections_app.bank_files.writers import write_camt053

    data = write_camt053(
        [
            statement(
                "CAMT-REAL-1",
                tx("200.00", name="Acme Tools AG", text="INV-2026-000124", e2e="E-REAL"),
            )
        ]
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = erp.post(
            "/api/v1/bank-statements/",
            {"file": SimpleUploadedFile("camt.xml", data)},
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    assert response.json()["statements"][0]["format"] == "camt053"
    assert len(callbacks) == 1  # the matching task, enqueued after commit
    # What the worker does with it:
    match_statement.apply(args=[tenant_a.pk, response.json()["statements"][0]["id"]])
    with tenant_context(tenant_a):
        # The matching task ran after commit and applied the payment.
        assert Payment.objects.get(end_to_end_id="E-REAL").status == PaymentStatus.APPLIED
        assert refreshed(books["invoice2"]).status == ItemStatus.CLOSED
    truncated = erp.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("cut.xml", data[: len(data) // 2])},
        format="multipart",
    )
    assert truncated.status_code == 422
    assert truncated["Content-Type"].startswith(PROBLEM)


def test_csv_mapping_saved_then_used_for_a_csv_upload(erp, erp_b, tenant_a):
    missing = erp.post("/api/v1/csv-mappings/", {"name": "Bank", "booking_date": "Date"})
    assert missing.status_code in (400, 422)
    saved = erp.post(
        "/api/v1/csv-mappings/",
        {
            "name": "Bank",
            "booking_date": "Date",
            "amount": "Amount",
            "default_currency": "EUR",
            "payer_name": "Payer",
            "account": "DE02120300000000202051",
        },
    )
    assert saved.status_code == 201, saved.json()
    assert erp_b.get("/api/v1/csv-mappings/").json()["results"] == []
    csv = b"Date,Amount,Payer\n2026-11-20,99.50,Someone\n"
    upload = erp.post(
        "/api/v1/bank-statements/",
        {
            "file": SimpleUploadedFile("b.csv", csv),
            "format": "csv",
            "csv_mapping_id": saved.json()["id"],
        },
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    other = erp_b.post(
        "/api/v1/bank-statements/",
        {
            "file": SimpleUploadedFile("b.csv", csv),
            "format": "csv",
            "csv_mapping_id": saved.json()["id"],
        },
        format="multipart",
    )
    assert other.status_code == 422  # another tenant's mapping is not one of theirs
    with tenant_context(tenant_a):
        assert Payment.objects.get(payer_name="Someone").amount == D("99.50")
