"""Worklist tasks in the HTML worklist and the API: done / snooze /
reassign, the strategy editor, and the other tenant kept out of all of it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from collections_app.strategies.models import CollectionTask, StrategyStep, TaskKind, TaskStatus
from collections_app.strategies.services.strategies import strategies_run
from otc.tenancy.context import tenant_context
from tests.collections_app.dunning.helpers import invoice
from tests.collections_app.strategies.test_strategies import class_d, risky

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)
PROBLEM = "application/problem+json"


@pytest.fixture
def tasks(tenant_a, tenant_b):
    """Each tenant: a class D customer 50 days overdue with a call and an escalation."""
    made = {}
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            class_d(tenant)
            cust = risky(tenant, "C1", "D")
            invoice(tenant, cust, "INV-1", "100.00", due=DAY - timedelta(days=50))
            strategies_run(tenant=tenant, day=DAY)
            made[tenant.slug] = {
                "customer": cust,
                "call": CollectionTask.objects.get(kind=TaskKind.CALL),
                "escalation": CollectionTask.objects.get(kind=TaskKind.ESCALATION),
            }
    return made


def _status(tenant, task):
    with tenant_context(tenant):
        task.refresh_from_db()
    return task.status


@time_machine.travel(DAY, tick=False)
def test_worklist_sections_and_task_actions(tasks, tenant_a, tenant_b, signed_in_client):
    client = signed_in_client(tenant_a, "collector")
    lou = signed_in_client(tenant_a, "collector", email="lou@alpha.example")
    mine = tasks["alpha"]
    theirs = tasks["bravo"]
    page = client.get("/collections/?scope=all")
    assert page.status_code == 200
    html = page.content.decode()
    for section in ("Today's calls", "Promises due", "Broken promises", "Escalations"):
        assert section in html
    assert "Call: INV-1 is 50 days overdue" in html
    assert "Escalate to manager: INV-1 is 50 days overdue" in html
    assert f'data-testid="task-{theirs["call"].pk}"' not in html

    url = f"/collections/tasks/{mine['call'].pk}/"
    snoozed = client.post(url, {"action": "snooze", "until": "2026-11-25"}, follow=True)
    assert "Snoozed until 25 Nov 2026" in snoozed.content.decode()
    assert _status(tenant_a, mine["call"]) == TaskStatus.SNOOZED
    assert mine["call"].snoozed_until == date(2026, 11, 25)

    missing_date = client.post(url, {"action": "snooze"}, follow=True)
    assert "Say until which day the task sleeps." in missing_date.content.decode()

    handed = client.post(url, {"action": "reassign", "user_id": str(lou.user.pk)}, follow=True)
    assert "Handed over" in handed.content.decode()
    with tenant_context(tenant_a):
        mine["call"].refresh_from_db()
    assert mine["call"].assigned_to_id == lou.user.pk

    done = client.post(f"/collections/tasks/{mine['escalation'].pk}/", {"action": "done"})
    assert done.status_code == 302
    assert _status(tenant_a, mine["escalation"]) == TaskStatus.DONE
    again = client.post(
        f"/collections/tasks/{mine['escalation'].pk}/", {"action": "done"}, follow=True
    )
    assert "is done: it cannot become done" in again.content.decode()

    # The other tenant's task is a 404 and stays as it was.
    other = client.post(f"/collections/tasks/{theirs['call'].pk}/", {"action": "done"})
    assert other.status_code == 404
    assert _status(tenant_b, theirs["call"]) == TaskStatus.OPEN

    auditor = signed_in_client(tenant_a, "auditor")
    refused = auditor.post(f"/collections/tasks/{mine['call'].pk}/", {"action": "done"})
    assert refused.status_code in (403, 404)
    assert _status(tenant_a, mine["call"]) == TaskStatus.SNOOZED


def test_strategy_editor_adds_and_removes_steps_with_messages(tenant_a, tenant_b, signed_in_client):
    with tenant_context(tenant_b):
        other_step = class_d(tenant_b)
    client = signed_in_client(tenant_a, "collector")
    assert client.get("/collections/strategies/").status_code == 200
    added = client.post(
        "/collections/strategies/",
        {"action": "add_step", "risk_class": "D", "kind": "call", "days_overdue": "10"},
        follow=True,
    )
    assert "Class D: Call at 10 days overdue added." in added.content.decode()
    duplicate = client.post(
        "/collections/strategies/",
        {"action": "add_step", "risk_class": "D", "kind": "call", "days_overdue": "10"},
    )
    assert duplicate.status_code == 200
    assert "Class D already has a call step at 10 days." in duplicate.content.decode()
    page = client.get("/collections/strategies/").content.decode()
    assert "Escalate to manager at 45" not in page  # the other tenant's step
    with tenant_context(tenant_a):
        step = StrategyStep.objects.get()
    assert (
        client.post(
            "/collections/strategies/", {"action": "remove_step", "id": str(other_step.pk)}
        ).status_code
        == 404
    )
    with tenant_context(tenant_b):
        assert StrategyStep.objects.count() == 2
    client.post("/collections/strategies/", {"action": "remove_step", "id": str(step.pk)})
    with tenant_context(tenant_a):
        assert StrategyStep.objects.count() == 0


@time_machine.travel(DAY, tick=False)
def test_task_api(tasks, tenant_a, tenant_b, api_client_for, signed_in_client):
    api = api_client_for(tenant_a, "collector")
    lou = signed_in_client(tenant_a, "collector", email="lou@alpha.example").user
    mine = tasks["alpha"]
    theirs = tasks["bravo"]

    listed = api.get("/api/v1/worklist/tasks/", {"due_by": DAY.isoformat(), "kind": "call"})
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [mine["call"].pk]
    assert listed.json()["results"][0]["title"] == "Call: INV-1 is 50 days overdue"

    call = f"/api/v1/worklist/tasks/{mine['call'].pk}"
    snoozed = api.post(f"{call}/snooze/", {"until": "2026-11-23"})
    assert snoozed.status_code == 200, snoozed.content
    assert (snoozed.json()["status"], snoozed.json()["snoozed_until"]) == ("snoozed", "2026-11-23")
    past = api.post(f"{call}/snooze/", {"until": "2026-11-19"})
    assert past.status_code == 422
    assert past["Content-Type"].startswith(PROBLEM)
    assert "until" in past.content.decode()
    due_today = api.get("/api/v1/worklist/tasks/", {"due_by": DAY.isoformat()}).json()
    assert [row["id"] for row in due_today["results"]] == [mine["escalation"].pk]

    handed = api.post(f"{call}/reassign/", {"user_id": lou.pk})
    assert handed.status_code == 200
    assert handed.json()["assigned_to_id"] == lou.pk
    done = api.post(f"{call}/done/")
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    conflict = api.post(f"{call}/done/")
    assert conflict.status_code == 409
    assert conflict["Content-Type"].startswith(PROBLEM)

    other = f"/api/v1/worklist/tasks/{theirs['call'].pk}"
    assert api.get(f"{other}/").status_code == 404
    assert api.post(f"{other}/done/").status_code == 404
    assert api.post(f"{other}/snooze/", {"until": "2026-11-23"}).status_code == 404
    assert api.post(f"{other}/reassign/", {"user_id": lou.pk}).status_code == 404
    assert _status(tenant_b, theirs["call"]) == TaskStatus.OPEN
    everything = api.get("/api/v1/worklist/tasks/").json()["results"]
    assert {row["id"] for row in everything} == {mine["call"].pk, mine["escalation"].pk}
