from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from otc.tenancy.models import Tenant


def tenant_today(tenant: Tenant) -> date:
    """The calendar day in the tenant's own time zone: due dates, review
    dates and order dates are the tenant's days, not the server's."""
    return datetime.now(ZoneInfo(tenant.timezone)).date()
