from __future__ import annotations

from decimal import Decimal

from otc.audit.services import Actor
from otc.fx.money import minor_units, quantize_money
from otc.tenancy.models import Membership, Tenant


def format_money(amount: Decimal, currency: str) -> str:
    """'EUR 1,234.56': how every message and page shows an amount."""
    places = minor_units(currency)
    return f"{currency} {quantize_money(amount, currency):,.{places}f}"


def actor_membership(*, tenant: Tenant, actor: Actor) -> Membership | None:
    if actor.user is None:
        return None
    return Membership.objects.for_tenant(tenant).filter(user=actor.user, is_active=True).first()
