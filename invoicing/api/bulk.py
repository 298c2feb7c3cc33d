"""The bulk endpoint's input side: every item is validated on its own (shape
first, all items before anything is written), then the valid ones go to
``invoice_bulk_create``; the answer lists every item in request order."""

from __future__ import annotations

from typing import Any

from invoicing.api.serializers import BulkItemInputSerializer, CustomerResolver
from invoicing.services.bulk import BulkItem, BulkOutcome, Problem, invoice_bulk_create
from otc.api.errors import flatten_errors
from otc.audit.services import Actor
from otc.tenancy.models import Tenant

_API_FIELD = {"payment_terms": "payment_terms_code", "customer": "customer_id"}


def _result(outcome: BulkOutcome) -> dict[str, Any]:
    return {
        "index": outcome.index,
        "status": outcome.status,
        "id": outcome.invoice_id,
        "number": outcome.number,
        "external_ref": outcome.external_ref,
        "problems": [
            {
                "field": _API_FIELD.get(problem.field, problem.field) if problem.field else None,
                "message": problem.message,
                "code": problem.code,
            }
            for problem in outcome.problems
        ],
    }


def _invalid(index: int, raw: Any, problems: list[dict[str, Any]]) -> BulkOutcome:
    ref = raw.get("external_ref") if isinstance(raw, dict) else None
    return BulkOutcome(
        index,
        "error",
        external_ref=ref if isinstance(ref, str) and ref.strip() else None,
        problems=[Problem(p["field"], p["message"], p["code"]) for p in problems],
    )


def bulk_create(*, tenant: Tenant, actor: Actor, items: list[Any]) -> dict[str, Any]:
    resolver = CustomerResolver(tenant)
    resolver.preload(items)
    context: dict[str, Any] = {"tenant": tenant, "customers": resolver}
    outcomes: dict[int, BulkOutcome] = {}
    valid: list[BulkItem] = []
    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            outcomes[index] = _invalid(
                index,
                raw,
                [{"field": None, "message": "Send each item as an object.", "code": "invalid"}],
            )
            continue
        item = BulkItemInputSerializer(data=raw, context=context)
        if not item.is_valid():
            outcomes[index] = _invalid(index, raw, flatten_errors(item.errors))
            continue
        fields, lines = BulkItemInputSerializer.service_fields(item.validated_data)
        valid.append(
            BulkItem(
                index=index,
                customer=fields.pop("customer"),
                issue=fields.pop("issue"),
                lines=lines or [],
                fields=fields,
            )
        )
    for outcome in invoice_bulk_create(tenant=tenant, actor=actor, items=valid):
        outcomes[outcome.index] = outcome
    results = [_result(outcomes[index]) for index in range(len(items))]
    return {
        "summary": {
            status: sum(1 for result in results if result["status"] == status)
            for status in ("created", "exists")
        }
        | {"errors": sum(1 for result in results if result["status"] == "error")},
        "results": results,
    }
