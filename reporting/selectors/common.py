"""What every report shares: the tenant's today, its buckets, and the
filters that narrow a report to part of the book."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from otc.errors import ValidationFailed
from otc.ledger.selectors import AgingBucket, aging_buckets
from otc.tenancy.models import Tenant
from reporting.models import DEFAULT_BUCKET_DAYS, ReportingSettings

MAX_BUCKETS = 12
MAX_BUCKET_DAYS = 3650


def bucket_days_problems(days: Sequence[int]) -> list[str]:
    """Why a list of bucket upper days is unusable (empty list: it is fine)."""
    problems = []
    if not days:
        problems.append("Give at least one bucket, e.g. 30, 60, 90, 120.")
    if len(days) > MAX_BUCKETS:
        problems.append(f"Use at most {MAX_BUCKETS} buckets.")
    if any(day < 1 or day > MAX_BUCKET_DAYS for day in days):
        problems.append(f"Each bucket ends between 1 and {MAX_BUCKET_DAYS} days past due.")
    if list(days) != sorted(set(days)):
        problems.append(
            "Buckets must not overlap: give each bucket's last day in increasing order, "
            "e.g. 30, 60, 90, 120."
        )
    return problems


def tenant_bucket_days(*, tenant: Tenant) -> list[int]:
    settings_row = ReportingSettings.objects.for_tenant(tenant).first()
    return list(settings_row.bucket_days) if settings_row else list(DEFAULT_BUCKET_DAYS)


def buckets_for(bucket_days: Sequence[int]) -> list[AgingBucket]:
    problems = bucket_days_problems(bucket_days)
    if problems:
        raise ValidationFailed(" ".join(problems), errors={"buckets": problems})
    return aging_buckets((0, *bucket_days))


@dataclass(frozen=True)
class BookFilter:
    """Narrows a report to part of the book; every field optional."""

    customer_id: int | None = None
    customer_group_id: int | None = None  # the parent account and its children
    collector_id: int | None = None
    risk_class: str = ""
    country: str = ""
    currency: str = ""  # the documents' currency

    def customer_sql(self, alias: str, params: dict[str, Any]) -> str:
        """AND-conditions on the customers table `alias` (values bound in
        `params`); currency is the items' and is handled by the caller."""
        conditions = []
        if self.customer_id is not None:
            conditions.append(f"{alias}.id = %(f_customer)s")
            params["f_customer"] = self.customer_id
        if self.customer_group_id is not None:
            conditions.append(f"({alias}.id = %(f_group)s OR {alias}.parent_id = %(f_group)s)")
            params["f_group"] = self.customer_group_id
        if self.collector_id is not None:
            conditions.append(f"{alias}.collector_id = %(f_collector)s")
            params["f_collector"] = self.collector_id
        if self.country:
            conditions.append(f"{alias}.country = %(f_country)s")
            params["f_country"] = self.country
        if self.risk_class:
            # `alias` is one of ours; the value is bound.
            conditions.append(
                f"{alias}.id IN (SELECT customer_id FROM credit_creditprofile"  # noqa: S608
                " WHERE tenant_id = %(tenant)s AND risk_class = %(f_risk)s)"
            )
            params["f_risk"] = self.risk_class
        return "".join(f" AND {condition}" for condition in conditions)

    @property
    def is_empty(self) -> bool:
        return self == BookFilter()
