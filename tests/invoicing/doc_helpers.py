"""Shared pieces of the document, delivery and outbox tests: a seller with
complete details, customers with billing addresses and AP contacts, rates."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from PIL import Image

from otc.audit.services import Actor
from otc.fx.services import manual_rate_set
from otc.tenancy.models import Tenant
from tests.factories import CustomerAddressFactory, CustomerContactFactory, CustomerFactory

JAN = date(2026, 1, 5)


def png_logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (11, 83, 148)).save(buffer, format="PNG")
    return buffer.getvalue()


def complete_seller(tenant: Tenant, *, logo: bool = False) -> Tenant:
    """The tenant with everything a seller prints (not through the form:
    these tests are about documents)."""
    tenant.legal_name = f"{tenant.name} GmbH"
    tenant.address = "Am Sandtorkai 42\n20457 Hamburg\nDeutschland"
    tenant.country = "DE"
    tenant.vat_id = "DE136695976"
    tenant.registration = "Amtsgericht Hamburg, HRB 123456"
    tenant.iban = "DE89370400440532013000"
    tenant.bic = "COBADEFFXXX"
    tenant.bank_name = "Commerzbank AG"
    tenant.billing_email = f"billing@{tenant.slug}.example"
    if logo:
        tenant.logo.save(f"{tenant.slug}-logo.png", ContentFile(png_logo()), save=False)
    tenant.save()
    return tenant


def billed_customer(*, number: str, country: str = "DE", **fields):
    """A customer (inside the tenant's context) with a default billing
    address and one AP contact."""
    customer = CustomerFactory(number=number, country=country, **fields)
    CustomerAddressFactory(
        customer=customer,
        line1="Industriestraße 7",
        line2="Tor 3",
        city="Stuttgart",
        postal_code="70565",
        country=country,
    )
    CustomerContactFactory(
        customer=customer, name="Anna Weber", email=f"ap@{number.lower()}.example", roles=["ap"]
    )
    return customer


def rate(tenant: Tenant, currency: str, value: str, day: date = JAN) -> None:
    manual_rate_set(
        tenant=tenant,
        actor=Actor.system("tests"),
        rate_date=day,
        from_currency=currency,
        to_currency=str(tenant.base_currency),
        rate=Decimal(value),
    )
