from __future__ import annotations

from decimal import Decimal

from otc.api.selectors import api_key_approval_limit
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


def person_approval_limit(*, tenant: Tenant, actor: Actor) -> Decimal:
    """The approval limit of the person acting, in the tenant's base currency:
    their active membership's, else 0 (so is an API key's or the system's)."""
    membership = actor_membership(tenant=tenant, actor=actor)
    return membership.approval_limit if membership is not None else Decimal(0)


def actor_approval_limit(*, tenant: Tenant, actor: Actor) -> Decimal | None:
    """The highest credit limit `actor` may set or approve, in the tenant's
    base currency: a person's membership approval limit, an API key's own;
    None for the system itself (seeds, scheduled jobs), which no limit binds."""
    if actor.user is not None:
        return person_approval_limit(tenant=tenant, actor=actor)
    if actor.api_key_id is not None:
        return api_key_approval_limit(tenant=tenant, api_key_id=actor.api_key_id)
    return None
