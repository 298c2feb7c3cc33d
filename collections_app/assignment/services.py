"""Assigning collectors to customers.

``collectors_assign`` (re)assigns every customer of the tenant at once: one
query picks, per customer without a manual override, the first rule (lowest
priority number) whose criteria it meets, its exposure being the open
balance in base currency; then one UPDATE per collector moves the customers
whose collector differs. Customers no rule matches keep their collector.
Running it again changes nothing. A manual override (``collector_override_set``)
records the person's choice, which the rules never overwrite, until
``collector_override_clear`` hands the customer back to them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction

from collections_app.assignment.models import CollectorOverride, CollectorRule
from otc.audit.services import Actor, AuditEntry, audit_record, audit_record_many
from otc.customers.models import Customer
from otc.customers.selectors import collector_choices, customer_get, tenant_user_get
from otc.customers.services.customers import customer_update
from otc.errors import NotFound, ValidationFailed
from otc.ledger.models import ItemStatus, OpenItem
from otc.tenancy.models import Tenant

_TABLES = {
    "rule": CollectorRule._meta.db_table,
    "override": CollectorOverride._meta.db_table,
    "customer": Customer._meta.db_table,
    "item": OpenItem._meta.db_table,
}
_CHOICE_TEMPLATE = """
    WITH exposure AS (
        SELECT i.customer_id, SUM(i.open_base_amount) AS amount
          FROM {item} i
         WHERE i.tenant_id = %(tenant)s AND i.status = %(open)s
         GROUP BY i.customer_id
    ), chosen AS (
        SELECT DISTINCT ON (c.id) c.id AS customer_id, c.collector_id AS current_id,
               r.collector_id
          FROM {customer} c
          LEFT JOIN exposure e ON e.customer_id = c.id
          JOIN {rule} r ON r.tenant_id = %(tenant)s
           AND (r.country = '' OR r.country = c.country)
           AND (r.region = '' OR r.region = c.region)
           AND (r.segment = '' OR r.segment = c.segment)
           AND (r.min_exposure IS NULL OR COALESCE(e.amount, 0) >= r.min_exposure)
           AND (r.max_exposure IS NULL OR COALESCE(e.amount, 0) < r.max_exposure)
         WHERE c.tenant_id = %(tenant)s
           AND NOT EXISTS (SELECT 1 FROM {override} o
                            WHERE o.tenant_id = %(tenant)s AND o.customer_id = c.id)
         ORDER BY c.id, r.priority, r.id
    )
    SELECT customer_id, current_id, collector_id FROM chosen
     WHERE current_id IS DISTINCT FROM collector_id
"""
# Table names come from the models, values go in as parameters.
_CHOICE_SQL = _CHOICE_TEMPLATE.format(**_TABLES)


@dataclass(frozen=True)
class RuleInput:
    priority: int
    collector_id: int
    country: str = ""
    region: str = ""
    segment: str = ""
    min_exposure: Decimal | None = None
    max_exposure: Decimal | None = None


def _collector_ids(tenant: Tenant) -> set[int]:
    return {choice.user_id for choice in collector_choices(tenant=tenant)}


def collector_rule_create(*, tenant: Tenant, actor: Actor, data: RuleInput) -> CollectorRule:
    errors: dict[str, list[str]] = {}
    if data.collector_id not in _collector_ids(tenant):
        errors["collector_id"] = ["Choose a member of this company who works collections."]
    country = data.country.strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        errors["country"] = [f"'{data.country}' is not a two-letter country code."]
    for name, value in (("min_exposure", data.min_exposure), ("max_exposure", data.max_exposure)):
        if value is not None and value < 0:
            errors[name] = ["An exposure bound cannot be negative."]
    if (
        data.min_exposure is not None
        and data.max_exposure is not None
        and data.min_exposure >= data.max_exposure
    ):
        errors["max_exposure"] = ["The upper bound must be above the lower bound."]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    try:
        with transaction.atomic():
            rule = CollectorRule.objects.for_tenant(tenant).create(
                tenant=tenant,
                priority=data.priority,
                collector_id=data.collector_id,
                country=country,
                region=data.region.strip(),
                segment=data.segment.strip(),
                min_exposure=data.min_exposure,
                max_exposure=data.max_exposure,
            )
    except IntegrityError:
        message = f"Another rule already has priority {data.priority}; choose another number."
        raise ValidationFailed(message, errors={"priority": [message]}) from None
    audit_record(
        tenant=tenant, actor=actor, action="collections.collector_rule_created", instance=rule
    )
    return rule


@transaction.atomic
def collector_rule_delete(*, tenant: Tenant, actor: Actor, rule_id: int) -> None:
    rule = CollectorRule.objects.for_tenant(tenant).select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("No such assignment rule.")
    audit_record(
        tenant=tenant,
        actor=actor,
        action="collections.collector_rule_deleted",
        instance=rule,
        changes={"rule": {"before": str(rule), "after": None}},
    )
    rule.delete()


@transaction.atomic
def collector_override_set(
    *, tenant: Tenant, actor: Actor, customer_id: int, collector_id: int | None
) -> Customer:
    """A person's choice of collector (None: nobody), kept against the rules."""
    customer = customer_get(tenant=tenant, customer_id=customer_id)
    user = tenant_user_get(tenant=tenant, user_id=collector_id) if collector_id else None
    customer = customer_update(
        tenant=tenant, actor=actor, customer=customer, data={"collector": user}
    )
    CollectorOverride.objects.for_tenant(tenant).update_or_create(
        tenant=tenant,
        customer=customer,
        defaults={"collector": user, "set_by": actor.user},
    )
    return customer


@transaction.atomic
def collector_override_clear(*, tenant: Tenant, actor: Actor, customer_id: int) -> None:
    customer = customer_get(tenant=tenant, customer_id=customer_id)
    deleted, _ = CollectorOverride.objects.for_tenant(tenant).filter(customer=customer).delete()
    if not deleted:
        raise NotFound("This customer has no manual collector.")
    audit_record(
        tenant=tenant,
        actor=actor,
        action="collections.collector_override_cleared",
        instance=customer,
    )


@transaction.atomic
def collectors_assign(*, tenant: Tenant, actor: Actor) -> int:
    """Apply the rules to every customer (see the module docstring); returns
    how many customers changed collector."""
    with connection.cursor() as cursor:
        cursor.execute(_CHOICE_SQL, {"tenant": tenant.pk, "open": ItemStatus.OPEN.value})
        changes = cursor.fetchall()
    by_collector: dict[int, list[int]] = defaultdict(list)
    before: dict[int, int | None] = {}
    for customer_id, current_id, collector_id in changes:
        by_collector[collector_id].append(customer_id)
        before[customer_id] = current_id
    moved: list[int] = []
    for collector_id, customer_ids in sorted(by_collector.items()):
        # Re-checked in the UPDATE: an override set meanwhile wins.
        ids = list(
            Customer.objects.for_tenant(tenant)
            .select_for_update(of=("self",))
            .filter(pk__in=customer_ids, collector_override__isnull=True)
            .values_list("pk", flat=True)
        )
        Customer.objects.for_tenant(tenant).filter(pk__in=ids).update(collector_id=collector_id)
        moved.extend(ids)
        audit_record_many(
            tenant=tenant,
            actor=actor,
            entries=[
                AuditEntry(
                    action="customers.collector_assigned",
                    instance=Customer(pk=pk, tenant=tenant),
                    changes={"collector": {"before": before[pk], "after": collector_id}},
                )
                for pk in ids
            ],
        )
    return len(moved)
