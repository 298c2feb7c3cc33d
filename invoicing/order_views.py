"""The page that turns a released sales order into a draft invoice: each
order line with what is billed and what is left, a quantity to bill per line
(all that is left by default), and the draft made from it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from credit.selectors import order_get
from invoicing import services
from invoicing.services.from_orders import INVOICEABLE_STATUSES
from otc.audit.services import Actor
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.permissions import require_perm


def _posted_quantities(request: HttpRequest, line_ids: list[int]) -> dict[int, Decimal]:
    """Quantities typed per order line; empty or zero leaves the line out."""
    quantities: dict[int, Decimal] = {}
    problems: dict[str, list[str]] = {}
    for line_id in line_ids:
        raw = request.POST.get(f"quantity-{line_id}", "").strip().replace(",", ".")
        if not raw:
            continue
        try:
            quantity = Decimal(raw)
        except InvalidOperation:
            problems[f"lines.{line_id}"] = [f"“{raw}” is not a quantity."]
            continue
        if not quantity.is_finite() or quantity < 0:
            problems[f"lines.{line_id}"] = ["Enter a quantity of zero or more."]
        elif quantity > 0:
            quantities[line_id] = quantity
    if problems:
        raise ValidationFailed("Some quantities need fixing.", errors=problems)
    return quantities


@require_perm(Perm.INVOICES_EDIT)
def invoice_from_order(request: HttpRequest, order_id: int) -> HttpResponse:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    try:
        order = order_get(tenant=tenant, order_id=order_id)
    except NotFound:
        raise Http404("No such order.") from None
    rows = services.order_lines_to_invoice(tenant=tenant, order=order)
    errors: dict[str, list[str]] = {}
    typed: dict[int, str] = {}
    if request.method == "POST":
        typed = {row.line.pk: request.POST.get(f"quantity-{row.line.pk}", "") for row in rows}
        try:
            quantities = _posted_quantities(request, [row.line.pk for row in rows])
            if not quantities:
                raise ValidationFailed(
                    "Enter a quantity on at least one line.",
                    errors={"lines": ["Nothing to invoice."]},
                )
            invoice = services.invoice_draft_from_order(
                tenant=tenant,
                actor=Actor.from_request(request),
                order_id=order.pk,
                quantities=quantities,
            )
        except DomainError as error:
            messages.error(request, str(error))
            errors = getattr(error, "errors", None) or {}
        else:
            messages.success(
                request, f"Draft invoice made from order {order}: check it, then issue it."
            )
            return redirect("invoicing:detail", pk=invoice.pk)
    lines = [
        {
            "row": row,
            "value": typed.get(
                row.line.pk, f"{row.remaining.normalize():f}" if row.remaining else ""
            ),
            "errors": errors.get(f"lines.{row.line.pk}", []),
        }
        for row in rows
    ]
    return render(
        request,
        "invoicing/from_order.html",
        {
            "order": order,
            "lines": lines,
            "invoiceable": order.status in INVOICEABLE_STATUSES
            and order.invoiced_amount < order.released_amount,
            "left_to_bill": order.released_amount - order.invoiced_amount,
        },
    )
