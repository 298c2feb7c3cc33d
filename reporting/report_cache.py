"""Reports too heavy to compute in a request at a million items (the cash
forecast, its backtest) are cached per tenant, keyed on the last ledger
posting and the day, and refreshed by a Celery task on the reports queue.

A request gets the current rendering if there is one, otherwise the last
one (and a refresh is queued, one at a time per tenant and report); only a
report never computed before is computed in the request, and only when the
caller asks to wait for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from otc.ledger.selectors import ledger_version
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from reporting.selectors.forecast import (
    BacktestPeriod,
    CashForecast,
    cash_forecast,
    forecast_backtest,
)

CURRENT_SECONDS = 3600
LATEST_SECONDS = 7 * 24 * 3600
LOCK_SECONDS = 600

REPORTS: dict[str, Callable[[Tenant], Any]] = {
    "cash_forecast": lambda tenant: cash_forecast(tenant=tenant),
    "forecast_backtest": lambda tenant: forecast_backtest(tenant=tenant),
}


def _keys(tenant: Tenant, name: str) -> tuple[str, str]:
    last = ledger_version(tenant=tenant)
    prefix = f"reporting:{name}:v1:{tenant.pk}"
    return f"{prefix}:{last}:{tenant_today(tenant).isoformat()}", f"{prefix}:latest"


def report_refresh(*, tenant: Tenant, name: str) -> Any:
    current, latest = _keys(tenant, name)
    value = REPORTS[name](tenant)
    cache.set(current, value, CURRENT_SECONDS)
    cache.set(latest, value, LATEST_SECONDS)
    cache.delete(f"{latest}:refreshing")
    return value


def cached_report(*, tenant: Tenant, name: str, wait: bool) -> Any | None:
    """The report, the last one computed, or (with `wait`) one computed now;
    None when nothing is ready yet and the caller would not wait."""
    current, latest = _keys(tenant, name)
    value = cache.get(current)
    if value is not None:
        return value
    value = cache.get(latest)
    if value is None and wait:
        return report_refresh(tenant=tenant, name=name)
    if cache.add(f"{latest}:refreshing", 1, LOCK_SECONDS):
        from reporting.tasks import refresh_report

        refresh_report.delay_on_commit(tenant.pk, name)
    return value


def cached_cash_forecast(*, tenant: Tenant) -> CashForecast:
    forecast = cached_report(tenant=tenant, name="cash_forecast", wait=True)
    if not isinstance(forecast, CashForecast):  # pragma: no cover  (wait=True computes one)
        raise TypeError("the cash forecast cache holds something else")
    return forecast


def cached_forecast_backtest(*, tenant: Tenant) -> list[BacktestPeriod] | None:
    backtest: list[BacktestPeriod] | None = cached_report(
        tenant=tenant, name="forecast_backtest", wait=False
    )
    return backtest
