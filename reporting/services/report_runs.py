"""Report files: request one, retry a failed one, and generate it (what the
worker runs on the `reports` queue).

Generating is safe to run twice (a retried task, a redelivered message with
acks_late, a second worker): a worker takes the run by moving it to
*running* under a row lock and incrementing `attempt`; while a worker holds
a run its heartbeat is fresh and nobody else takes it. Only the holder of
the latest attempt may report progress or store the file, and the file's
name is fixed per run, so there is never a second file. A worker that died
leaves a stale heartbeat; the redelivered task takes the run over.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from collections_app.services import statement_of_account_pdf
from otc.audit.services import Actor, audit_record
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.transitions import TransitionTable
from reporting.models import ReportFormat, ReportKind, ReportRun, RunStatus
from reporting.reports.content import report_document, statement_customer
from reporting.reports.document import ReportDocument
from reporting.reports.parameters import ReportParameters
from reporting.reports.render import to_csv, to_pdf, to_xlsx

logger = logging.getLogger(__name__)

# A running report reports progress at least this often; a run whose
# heartbeat is older belongs to a worker that died.
LEASE_SECONDS = 300

TRANSITIONS = TransitionTable(
    moves={
        RunStatus.QUEUED: frozenset({RunStatus.RUNNING}),
        RunStatus.RUNNING: frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED}),
        RunStatus.FAILED: frozenset({RunStatus.QUEUED}),
    },
    labels=dict(RunStatus.choices),
    refusals={
        (RunStatus.SUCCEEDED, RunStatus.QUEUED): "This report is ready: download it, or "
        "request a new one for newer figures.",
        (RunStatus.QUEUED, RunStatus.QUEUED): "This report is already waiting for a worker.",
        (RunStatus.RUNNING, RunStatus.QUEUED): "This report is being made right now.",
    },
)

CONTENT_TYPES = {
    ReportFormat.PDF: "application/pdf",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.CSV: "text/csv; charset=utf-8",
}


class LeaseLost(Exception):  # noqa: N818  (a worker lost its run to another)
    """Another worker took the run over; this one stops without writing."""


def _enqueue(tenant: Tenant, run: ReportRun) -> None:
    from reporting.tasks import generate_report_run

    generate_report_run.delay_on_commit(tenant.pk, run.pk)


def report_run_request(
    *,
    tenant: Tenant,
    actor: Actor,
    kind: str,
    file_format: str,
    parameters: ReportParameters,
    label: str = "",
) -> ReportRun:
    """Queue a report file; the worker makes it. `parameters` come validated
    from ReportParametersForm; what needs the database is checked here."""
    if kind not in ReportKind.values or file_format not in ReportFormat.values:
        raise ValidationFailed(
            "Unknown report or format.", errors={"kind": [f"Use one of {ReportKind.values}."]}
        )
    if parameters.as_of is not None and parameters.as_of > tenant_today(tenant):
        raise ValidationFailed(
            "The as-of date is in the future. Use today or an earlier date.",
            errors={"as_of": ["Use today or an earlier date."]},
        )
    if kind == ReportKind.CUSTOMER_STATEMENT:
        statement_customer(tenant=tenant, parameters=parameters)
    with transaction.atomic():
        run = ReportRun.objects.for_tenant(tenant).create(
            tenant=tenant,
            requested_by=actor.user,
            requested_label=(label or actor.label)[:200],
            kind=kind,
            format=file_format,
            parameters=parameters.to_json(),
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="reporting.report_requested",
            instance=run,
            changes={
                "kind": {"before": None, "after": kind},
                "format": {"before": None, "after": file_format},
            },
        )
        _enqueue(tenant, run)
    return run


def report_run_retry(*, tenant: Tenant, actor: Actor, run_id: int) -> ReportRun:
    with transaction.atomic():
        run = ReportRun.objects.for_tenant(tenant).select_for_update().filter(pk=run_id).first()
        if run is None:
            raise NotFound("No such report.")
        before = TRANSITIONS.move(run, RunStatus.QUEUED, name=f"Report {run.pk}")
        run.progress = 0
        run.error = ""
        run.save(update_fields=["status", "progress", "error"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="reporting.report_retried",
            instance=run,
            changes={"status": {"before": before, "after": run.status}},
        )
        _enqueue(tenant, run)
    return run


def _take(tenant: Tenant, run_id: int) -> tuple[ReportRun, int] | None:
    """Move the run to *running* for this worker, or None when it is done,
    gone, or another live worker has it."""
    now = timezone.now()
    with transaction.atomic():
        run = ReportRun.objects.for_tenant(tenant).select_for_update().filter(pk=run_id).first()
        if run is None or run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            return None
        if run.status == RunStatus.RUNNING:
            alive = run.heartbeat_at and run.heartbeat_at > now - timedelta(seconds=LEASE_SECONDS)
            if alive:
                return None
            logger.warning("report run %s: taking over from a worker that stopped", run.pk)
        else:
            TRANSITIONS.move(run, RunStatus.RUNNING, name=f"Report {run.pk}")
        run.attempt += 1
        run.progress = 5
        run.error = ""
        run.started_at = run.heartbeat_at = now
        run.save(
            update_fields=["status", "attempt", "progress", "error", "started_at", "heartbeat_at"]
        )
    return run, run.attempt


def _progress(tenant: Tenant, run: ReportRun, attempt: int, percent: int) -> None:
    updated = (
        ReportRun.objects.for_tenant(tenant)
        .filter(pk=run.pk, attempt=attempt, status=RunStatus.RUNNING)
        .update(progress=max(0, min(percent, 99)), heartbeat_at=timezone.now())
    )
    if not updated:
        raise LeaseLost(run.pk)


def _render(tenant: Tenant, run: ReportRun, document: ReportDocument) -> bytes:
    if run.format == ReportFormat.PDF:
        return to_pdf(tenant=tenant, document=document)
    if run.format == ReportFormat.XLSX:
        return to_xlsx(document)
    return to_csv(document)


def _file_path(run: ReportRun, file_name: str) -> str:
    return f"reports/{run.tenant_id}/{run.pk}/{file_name}"


def _finish(
    tenant: Tenant, run_id: int, attempt: int, *, content: bytes | None, file_name: str, error: str
) -> ReportRun | None:
    with transaction.atomic():
        run = ReportRun.objects.for_tenant(tenant).select_for_update().filter(pk=run_id).first()
        if run is None or run.attempt != attempt or run.status != RunStatus.RUNNING:
            return None
        if content is not None:
            path = _file_path(run, file_name)
            # A worker that died after writing left this exact name: replace it.
            if default_storage.exists(path):
                default_storage.delete(path)
            run.file.name = default_storage.save(path, ContentFile(content))
            run.file_name = file_name
            run.file_size = len(content)
            run.progress = 100
            TRANSITIONS.move(run, RunStatus.SUCCEEDED, name=f"Report {run.pk}")
        else:
            run.error = error[:2000]
            TRANSITIONS.move(run, RunStatus.FAILED, name=f"Report {run.pk}")
        run.finished_at = timezone.now()
        run.save(
            update_fields=[
                "file",
                "file_name",
                "file_size",
                "progress",
                "status",
                "error",
                "finished_at",
            ]
        )
    return run


def report_run_generate(*, tenant: Tenant, run_id: int) -> ReportRun | None:
    """Make the run's file. Returns the finished run, or None when there was
    nothing to do (done already, or another worker has it)."""
    taken = _take(tenant, run_id)
    if taken is None:
        return None
    run, attempt = taken
    try:
        parameters = ReportParameters.from_json(run.parameters)
        if run.kind == ReportKind.CUSTOMER_STATEMENT and run.format == ReportFormat.PDF:
            content, file_stem = _statement_pdf(tenant, run, parameters)
        else:
            document = report_document(
                tenant=tenant,
                kind=run.kind,
                parameters=parameters,
                progress=lambda percent: _progress(tenant, run, attempt, percent),
            )
            _progress(tenant, run, attempt, 90)
            content = _render(tenant, run, document)
            file_stem = document.file_stem
    except LeaseLost:
        return None
    except DomainError as refused:
        return _finish(tenant, run_id, attempt, content=None, file_name="", error=refused.detail)
    except Exception as crash:
        logger.exception("report run %s failed", run_id)
        error = f"The report could not be made ({type(crash).__name__}: {crash})."
        return _finish(tenant, run_id, attempt, content=None, file_name="", error=error)
    file_name = get_valid_filename(f"{file_stem}.{run.format}")
    return _finish(tenant, run_id, attempt, content=content, file_name=file_name, error="")


def _statement_pdf(
    tenant: Tenant, run: ReportRun, parameters: ReportParameters
) -> tuple[bytes, str]:
    """The customer statement as PDF is collections' statement of account."""
    customer = statement_customer(tenant=tenant, parameters=parameters)
    as_of = parameters.as_of or tenant_today(tenant)
    content = statement_of_account_pdf(tenant=tenant, customer=customer, as_of=as_of)
    return content, f"statement-{customer.number}-{as_of.isoformat()}"
