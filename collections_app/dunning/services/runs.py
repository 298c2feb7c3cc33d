"""Dunning runs: one per tenant and day, selected in SQL, delivered letter by letter.

``dunning_run_start`` gets (or creates) the day's run and locks it; a run
not yet selected is selected in the same transaction (one INSERT ... SELECT,
see ``selection``) and becomes *selected*. A second worker, a duplicated beat
tick or a retry waits on the lock and then finds the run selected, so the
selection happens once. A worker killed during the selection rolls it back
whole; the next attempt selects again from scratch.

Letters are then delivered one by one (``letters.dunning_letter_deliver``,
fanned out to the "email" queue by the task); the run is *completed* when no
letter is pending or sending any more.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from collections_app.dunning.models import DunningLetter, DunningRun, LetterStatus, RunStatus
from collections_app.dunning.services.letters import Outcome, dunning_letter_deliver
from collections_app.dunning.services.selection import dunning_select
from otc.audit.services import Actor, audit_record
from otc.tenancy.models import Tenant

_TO_SELECT = (RunStatus.RUNNING, RunStatus.FAILED)


def _run_for_day(tenant: Tenant, actor: Actor, run_date: date, trigger: str) -> DunningRun:
    try:
        with transaction.atomic():
            run, _ = DunningRun.objects.for_tenant(tenant).get_or_create(
                tenant=tenant,
                run_date=run_date,
                defaults={"trigger": trigger, "started_by": actor.user},
            )
    except IntegrityError:
        # Another worker created it between our read and our insert.
        run = DunningRun.objects.for_tenant(tenant).get(run_date=run_date)
    return run


def dunning_run_start(*, tenant: Tenant, actor: Actor, run_date: date, trigger: str) -> DunningRun:
    """The day's run, selected (letters and notices recorded)."""
    run = _run_for_day(tenant, actor, run_date, trigger)
    if run.status not in _TO_SELECT:
        return run
    try:
        with transaction.atomic():
            run = DunningRun.objects.for_tenant(tenant).select_for_update().get(pk=run.pk)
            if run.status not in _TO_SELECT:
                return run
            dunning_select(tenant=tenant, run=run)
            letters = DunningLetter.objects.for_tenant(tenant).filter(run=run)
            run.letter_count = letters.count()
            run.notice_count = run.notices.count()
            run.status = RunStatus.SELECTED if run.letter_count else RunStatus.COMPLETED
            run.selected_at = timezone.now()
            run.finished_at = None if run.letter_count else run.selected_at
            run.error = ""
            run.save(
                update_fields=[
                    "letter_count",
                    "notice_count",
                    "status",
                    "selected_at",
                    "finished_at",
                    "error",
                ]
            )
            audit_record(
                tenant=tenant,
                actor=actor,
                action="dunning.run_selected",
                instance=run,
                changes={"letters": run.letter_count, "notices": run.notice_count},
            )
    except Exception as exc:
        DunningRun.objects.for_tenant(tenant).filter(pk=run.pk, status__in=_TO_SELECT).update(
            status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return run


def dunning_run_pending_letter_ids(*, tenant: Tenant, run: DunningRun) -> list[int]:
    return list(
        DunningLetter.objects.for_tenant(tenant)
        .filter(run=run, status=LetterStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def dunning_run_deliver_all(*, tenant: Tenant, run: DunningRun) -> dict[Outcome, int]:
    """Deliver the run's pending letters here, one after the other (management
    command, tests); the scheduled run fans them out to workers instead."""
    counts: dict[Outcome, int] = {}
    for letter_id in dunning_run_pending_letter_ids(tenant=tenant, run=run):
        outcome = dunning_letter_deliver(tenant=tenant, letter_id=letter_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
