"""``manual_rates_set_many``: many manual rates at once, exactly as
``manual_rate_set`` would write them one by one."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from otc.audit.models import AuditEvent
from otc.audit.services import Actor
from otc.fx.models import ManualExchangeRate
from otc.fx.selectors import fx_rate
from otc.fx.services import ManualRateError, ManualRateInput, manual_rate_set, manual_rates_set_many
from otc.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 2)


def _week(rate: str, *, start: date = DAY, pair: tuple[str, str] = ("EUR", "CHF")):
    return [
        ManualRateInput(start + timedelta(days=n), pair[0], pair[1], Decimal(rate), note="sheet")
        for n in range(7)
    ]


def test_writes_every_rate_audited_and_replaces_with_the_old_rate_named(tenant_a, owner_a):
    actor = Actor(user=owner_a, label=owner_a.email)
    with tenant_context(tenant_a):
        manual_rate_set(
            tenant=tenant_a,
            actor=actor,
            rate_date=DAY,
            from_currency="EUR",
            to_currency="CHF",
            rate=Decimal("0.93"),
        )

        saved = manual_rates_set_many(tenant=tenant_a, actor=actor, rates=_week("0.9412"))

        assert [row.pk for row in saved] == list(
            ManualExchangeRate.objects.order_by("rate_date").values_list("pk", flat=True)
        )
        assert ManualExchangeRate.objects.count() == 7
        assert set(ManualExchangeRate.objects.values_list("rate", "note", "created_by")) == {
            (Decimal("0.9412"), "sheet", owner_a.pk)
        }
        events = AuditEvent.objects.filter(action="fx.manual_rate_set").order_by("pk")
        assert events.count() == 1 + 7
        replaced = events.get(object_id=str(saved[0].pk), changes__rate__before="0.9300000000")
        assert replaced.changes == {"rate": {"before": "0.9300000000", "after": "0.9412"}}
        newest = events.last()
        assert newest is not None
        assert newest.changes == {"rate": {"before": None, "after": "0.9412"}}
        quote = fx_rate(tenant=tenant_a, from_currency="CHF", to_currency="EUR", on=DAY)
        assert (quote.source, quote.rate) == ("manual", Decimal("1.0624734382"))


def test_one_bad_rate_writes_nothing_and_is_named(tenant_a):
    rates = _week("0.94")
    rates[3] = ManualRateInput(DAY, "EUR", "ABC", Decimal("1"))
    with tenant_context(tenant_a):
        with pytest.raises(ManualRateError) as raised:
            manual_rates_set_many(tenant=tenant_a, actor=Actor.system(), rates=rates)
        assert raised.value.errors == {
            "rates[3].to_currency": ["'ABC' is not an ISO 4217 currency code, e.g. EUR or USD."]
        }
        assert "Rate 4" in raised.value.detail
        twice = [*_week("0.94"), ManualRateInput(DAY, "EUR", "CHF", Decimal("0.95"))]
        with pytest.raises(ManualRateError, match="appears twice"):
            manual_rates_set_many(tenant=tenant_a, actor=Actor.system(), rates=twice)
        assert not ManualExchangeRate.objects.exists()
        assert not AuditEvent.objects.exists()


def test_another_tenants_rates_are_neither_read_nor_changed(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        manual_rates_set_many(tenant=tenant_b, actor=Actor.system(), rates=_week("0.90"))
    with tenant_context(tenant_a):
        saved = manual_rates_set_many(tenant=tenant_a, actor=Actor.system(), rates=_week("0.95"))
        assert len(saved) == 7
        events = AuditEvent.objects.filter(action="fx.manual_rate_set")
        assert {event.changes["rate"]["before"] for event in events} == {None}
    with tenant_context(tenant_b):
        assert set(ManualExchangeRate.objects.values_list("rate", flat=True)) == {Decimal("0.9")}
        assert AuditEvent.objects.count() == 7


def test_nothing_to_write(tenant_a):
    with tenant_context(tenant_a):
        assert manual_rates_set_many(tenant=tenant_a, actor=Actor.system(), rates=[]) == []
