"""The audit log page: filters, sorting, paging, details, isolation."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from otc.audit.models import AuditEvent
from otc.audit.services import Actor, audit_record
from otc.tenancy.context import tenant_context

URL = "/audit/"


def record(tenant, action, *, actor_label="system", object_type="", object_id="", changes=None):
    with tenant_context(tenant):
        return audit_record(
            tenant=tenant,
            actor=Actor(label=actor_label),
            action=action,
            object_type=object_type,
            object_id=object_id,
            changes=changes,
        )


def record_at(tenant, action: str, when: datetime) -> None:
    """An event on a given day: auto_now_add always stamps "now", so this one
    is inserted directly (the trail is append-only, but inserting is allowed)."""
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (tenant_id, occurred_at, actor_label, action, "
            "object_type, object_id, object_repr, changes, request_id) "
            "VALUES (%s, %s, 'system', %s, '', '', '', '{}', '')",
            [tenant.pk, when, action],
        )


def rows(response) -> list[str]:
    body = response.content.decode()
    return [chunk.split("</details>", 1)[0] for chunk in body.split('data-testid="audit-row"')[1:]]


@pytest.fixture
def auditor(signed_in_client, tenant_a):
    return signed_in_client(tenant_a, "auditor")


@pytest.mark.parametrize("role", ["owner", "auditor"])
def test_owner_and_auditor_may_read_the_trail(signed_in_client, tenant_a, role):
    assert signed_in_client(tenant_a, role).get(URL).status_code == 200


@pytest.mark.parametrize(
    "role",
    [
        "credit_manager",
        "credit_analyst",
        "ar_clerk",
        "collector",
        "deductions_analyst",
        "executive",
    ],
)
def test_other_roles_may_not(signed_in_client, tenant_a, role):
    assert signed_in_client(tenant_a, role).get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    assert client.get(URL)["Location"].startswith("/accounts/login/")


def test_only_this_tenants_events_are_listed(auditor, tenant_a, tenant_b):
    record(tenant_a, "alpha.did", object_type="x", object_id="1")
    record(tenant_b, "bravo.did", object_type="secret", object_id="1")

    response = auditor.get(URL)
    body = response.content.decode()

    assert "alpha.did" in body
    assert "bravo.did" not in body
    assert "secret" not in body  # not even in the filter choices
    # B's action is not a valid choice here; asking for it lists none of B's rows.
    filtered = auditor.get(URL, {"action": "bravo.did"})
    assert "is not one of the available choices" in filtered.content.decode()
    assert all("bravo.did" not in row for row in rows(filtered))
    assert len(rows(filtered)) == 1


def test_filters_by_action_actor_object_and_id(auditor, tenant_a):
    record(tenant_a, "customer.created", actor_label="ann@alpha.example",
           object_type="customers.customer", object_id="7")  # fmt: skip
    record(tenant_a, "customer.updated", actor_label="bob@alpha.example",
           object_type="customers.customer", object_id="7")  # fmt: skip
    record(tenant_a, "customer.updated", actor_label="ann@alpha.example",
           object_type="customers.customer", object_id="8")  # fmt: skip
    record(tenant_a, "tenant.settings_updated", actor_label="bob@alpha.example",
           object_type="tenancy.tenant", object_id="1")  # fmt: skip

    assert len(rows(auditor.get(URL))) == 4
    by_action = rows(auditor.get(URL, {"action": "customer.updated"}))
    assert len(by_action) == 2
    by_actor = rows(auditor.get(URL, {"actor": "ANN@"}))
    assert len(by_actor) == 2
    assert all("ann@alpha.example" in row for row in by_actor)
    by_object = rows(auditor.get(URL, {"object_type": "customers.customer", "object_id": "7"}))
    assert len(by_object) == 2
    combined = rows(auditor.get(URL, {"action": "customer.updated", "actor": "bob"}))
    assert len(combined) == 1
    assert "#7" in combined[0]


def test_date_filters_use_the_tenants_days(auditor, tenant_a):
    berlin = ZoneInfo("Europe/Berlin")
    # 00:30 on 2 March in Berlin is still 1 March in UTC; 23:30 on 3 March
    # in Berlin is 3 March in UTC too, but 4 March would be caught by a
    # filter that compared UTC days.
    record_at(tenant_a, "early.one", datetime(2026, 3, 2, 0, 30, tzinfo=berlin))
    record_at(tenant_a, "late.one", datetime(2026, 3, 3, 23, 30, tzinfo=berlin))
    record_at(tenant_a, "before.one", datetime(2026, 3, 1, 23, 59, tzinfo=berlin))

    only_second = auditor.get(URL, {"date_from": "2026-03-02", "date_to": "2026-03-02"})
    body = "".join(rows(only_second))
    assert "early.one" in body
    assert "late.one" not in body
    assert "before.one" not in body
    both = "".join(rows(auditor.get(URL, {"date_from": "2026-03-02", "date_to": "2026-03-03"})))
    assert "early.one" in both
    assert "late.one" in both
    assert "before.one" not in both


def test_reversed_dates_are_explained(auditor, tenant_a):
    response = auditor.get(URL, {"date_from": "2026-03-05", "date_to": "2026-03-01"})
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_sorting_by_action(auditor, tenant_a):
    for action in ("b.middle", "c.last", "a.first"):
        record(tenant_a, action)
    ascending = rows(auditor.get(URL, {"sort": "action"}))
    order = [next(a for a in ("a.first", "b.middle", "c.last") if a in r) for r in ascending]
    assert order == ["a.first", "b.middle", "c.last"]
    descending = rows(auditor.get(URL, {"sort": "-action"}))
    assert "c.last" in descending[0]
    # An unknown sort key falls back to newest first instead of erroring.
    assert auditor.get(URL, {"sort": "changes"}).status_code == 200


def test_pagination_keeps_the_filters(auditor, tenant_a):
    for n in range(55):
        record(tenant_a, "bulk.event", object_id=str(n))
    record(tenant_a, "other.event")

    first = auditor.get(URL, {"action": "bulk.event"})
    body = first.content.decode()
    assert len(rows(first)) == 50
    assert "Showing 1\N{EN DASH}50 of 55" in body
    assert "action=bulk.event&amp;page=2" in body

    second = auditor.get(URL, {"action": "bulk.event", "page": 2})
    assert len(rows(second)) == 5
    assert all("bulk.event" in row for row in rows(second))


def test_rows_expand_to_show_before_and_after(auditor, tenant_a):
    record(tenant_a, "membership.updated",
           changes={"role": {"before": "collector", "after": "credit_manager"},
                    "note": "free text"})  # fmt: skip
    row = rows(auditor.get(URL))[0]
    assert "<details>" in row
    assert "2 fields" in row
    assert '<td class="before">collector</td>' in row
    assert '<td class="after">credit_manager</td>' in row
    assert '<td class="after">free text</td>' in row


def test_the_page_writes_nothing(auditor, tenant_a):
    with tenant_context(tenant_a):
        before = AuditEvent.objects.count()
    auditor.get(URL)
    with tenant_context(tenant_a):
        assert AuditEvent.objects.count() == before
