"""The tenant's calendar day.

Due dates, promised dates, run dates and "overdue" are days where the tenant
works, not the server's (UTC) day: a Berlin tenant's day turns at 23:00 UTC,
a New York tenant's at 05:00 UTC. Every "today" of a tenant comes from here.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.utils import timezone

from otc.tenancy.models import Tenant


def tenant_today(tenant: Tenant) -> date:
    return timezone.localdate(timezone=ZoneInfo(tenant.timezone))
