"""The seller details invoices print (country, VAT ID, IBAN, BIC, bank...):
kept on the tenant, checked with python-stdnum in the settings form, stored
compact, audited like every other setting."""

from __future__ import annotations

import pytest

from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context
from tests.otc.web.test_tenant_settings import SETTINGS_URL, valid_post


@pytest.fixture
def owner(signed_in_client, tenant_a):
    return signed_in_client(tenant_a, "owner")


def test_seller_details_are_saved_compact_and_audited(owner, tenant_a, tenant_b):
    response = owner.post(
        SETTINGS_URL,
        valid_post(
            country="DE",
            vat_id="de 136 695 976",
            tax_number="27/123/45678",
            registration="Amtsgericht Berlin, HRB 123456",
            iban="DE89 3704 0044 0532 0130 00",
            bic="cobadeffxxx",
            bank_name="Commerzbank AG",
            billing_email="billing@alpha.example",
            phone="+49 30 123456",
            website="www.alpha.example",
        ),
    )
    assert response.status_code == 302
    tenant_a.refresh_from_db()
    assert (str(tenant_a.country), tenant_a.vat_id, tenant_a.iban, tenant_a.bic) == (
        "DE",
        "DE136695976",
        "DE89370400440532013000",
        "COBADEFFXXX",
    )
    assert tenant_a.registration == "Amtsgericht Berlin, HRB 123456"
    assert tenant_a.billing_email == "billing@alpha.example"
    with tenant_context(tenant_a):
        event = AuditEvent.objects.get(action="tenant.settings_updated")
    assert event.changes["iban"] == {"before": "", "after": "DE89370400440532013000"}
    assert event.changes["country"] == {"before": "", "after": "DE"}
    tenant_b.refresh_from_db()
    assert tenant_b.iban == ""


def test_the_settings_page_shows_the_seller_details(owner, tenant_a):
    tenant_a.iban = "DE89370400440532013000"
    tenant_a.vat_id = "DE136695976"
    tenant_a.save()
    body = owner.get(SETTINGS_URL).content.decode()
    assert 'value="DE89370400440532013000"' in body
    assert 'value="DE136695976"' in body
    assert "On invoices" in body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("vat_id", "DE136695977", "This VAT ID fails its check digit"),
        ("vat_id", "12345", "This is not a VAT ID we recognise"),
        ("iban", "DE89370400440532013001", "This IBAN fails its check digits"),
        ("iban", "not an iban", "This is not an IBAN"),
        ("bic", "COBA", "This is not a BIC"),
        ("billing_email", "billing-at-alpha", "Enter a valid email address."),
        ("country", "XX", "Select a valid choice"),
    ],
)
def test_wrong_seller_details_are_refused_with_what_to_fix(owner, tenant_a, field, value, message):
    response = owner.post(SETTINGS_URL, valid_post(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    tenant_a.refresh_from_db()
    assert (tenant_a.vat_id, tenant_a.iban, tenant_a.bic, tenant_a.billing_email) == (
        "",
        "",
        "",
        "",
    )


def test_leaving_the_seller_details_empty_is_fine(owner, tenant_a):
    assert owner.post(SETTINGS_URL, valid_post(name="Alpha Group")).status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.name == "Alpha Group"
    assert tenant_a.vat_id == ""
