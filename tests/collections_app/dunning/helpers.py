"""Building blocks for the dunning tests: a standard three-level policy
with a pre-due reminder, customers with a dunning contact, invoices."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from collections_app.dunning.services.policies import (
    LevelInput,
    PolicyInput,
    TemplateInput,
    dunning_policy_create,
)
from otc.audit.services import Actor
from otc.customers.models import Customer, CustomerContact
from otc.ledger.models import ItemKind, OpenItem
from otc.ledger.services import ledger_item_post

SYSTEM = Actor.system("test")


def template(language: str = "en", prefix: str = "") -> TemplateInput:
    return TemplateInput(
        language=language,
        subject=f"{prefix}{{level_name}}: {{total_due}} for {{customer_name}}",
        body="Dear {contact_name},\n\nplease pay {total_due}.\n\n{items}\n\n{company_name}",
        letter_text="Dear {contact_name}, {item_count} items are due.\n{items}\n{fees}",
    )


def standard_levels(*, fee: str = "0", interest: str = "0") -> list[LevelInput]:
    return [
        LevelInput(name="Friendly reminder", days_overdue=-3, templates=[template()]),
        LevelInput(name="First reminder", days_overdue=7, templates=[template()]),
        LevelInput(
            name="Second reminder",
            days_overdue=21,
            channel="both",
            fee_amount=Decimal(fee),
            fee_currency="EUR",
            interest_rate_percent=Decimal(interest),
            templates=[template(), template("de", "DE ")],
        ),
        LevelInput(name="Final demand", days_overdue=45, channel="both", templates=[template()]),
    ]


def standard_policy(tenant, *, name: str = "Standard", **overrides):
    levels = overrides.pop("levels", None) or standard_levels(
        fee=overrides.pop("fee", "0"), interest=overrides.pop("interest", "0")
    )
    data = PolicyInput(
        name=name, levels=levels, is_default=overrides.pop("is_default", True), **overrides
    )
    return dunning_policy_create(tenant=tenant, actor=SYSTEM, data=data)


def customer(tenant, number: str, *, language: str = "en", email: str | None = None, **kw):
    cust = Customer.objects.for_tenant(tenant).create(
        tenant=tenant,
        number=number,
        legal_name=f"{number} GmbH",
        country="DE",
        currency=kw.pop("currency", "EUR"),
        language=language,
        **kw,
    )
    CustomerContact.objects.for_tenant(tenant).create(
        tenant=tenant,
        customer=cust,
        name=f"AP {number}",
        email=email or f"ap-{number.lower()}@example.com",
        roles=["dunning"],
    )
    return cust


def invoice(
    tenant, cust, number: str, amount: str, *, due: date, currency: str = "EUR"
) -> OpenItem:
    return ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=cust,
        kind=ItemKind.INVOICE,
        number=number,
        currency=currency,
        amount=Decimal(amount),
        document_date=due - timedelta(days=30),
        due_date=due,
        rate=Decimal(1) if currency == str(tenant.base_currency) else Decimal("0.9"),
    )
