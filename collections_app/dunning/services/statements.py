"""Monthly statements of account by e-mail.

On the first of a month (at the tenant's dunning hour, when its dunning
settings ask for monthly statements) ``statements_select`` records one
delivery per customer with open debit items for the period; the unique
(customer, period) key makes selecting again add nothing. Each delivery is
then sent by ``statement_deliver`` on the e-mail queue: a compare-and-set
from pending to sending under a row lock, so a duplicate or redelivered
task never e-mails a period twice. The PDF shows what was open at the end
of the previous month.
"""

from __future__ import annotations

import smtplib
from datetime import date, timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from collections_app.dunning.models import StatementDelivery, StatementStatus
from collections_app.dunning.services.letters import letter_recipients, statement_of_account_pdf
from otc.customers.models import CustomerStatus
from otc.ledger.models import DEBIT_KINDS, ItemStatus, OpenItem
from otc.tenancy.models import Tenant

MAX_ATTEMPTS = 5


def statements_select(*, tenant: Tenant, period: date) -> list[int]:
    """Record the period's deliveries; returns the ids still to send."""
    period = period.replace(day=1)
    customer_ids = (
        OpenItem.objects.for_tenant(tenant)
        .filter(
            status=ItemStatus.OPEN,
            kind__in=DEBIT_KINDS,
            open_amount__gt=0,
            customer__status__in=[CustomerStatus.ACTIVE, CustomerStatus.ON_HOLD],
        )
        .order_by()
        .values_list("customer_id", flat=True)
        .distinct()
    )
    StatementDelivery.objects.for_tenant(tenant).bulk_create(
        [
            StatementDelivery(tenant=tenant, customer_id=customer_id, period=period)
            for customer_id in customer_ids
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return list(
        StatementDelivery.objects.for_tenant(tenant)
        .filter(period=period, status=StatementStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _claim(tenant: Tenant, delivery_id: int) -> StatementDelivery | None:
    """Pending -> sending under a row lock; None when another worker has it."""
    with transaction.atomic():
        delivery = (
            StatementDelivery.objects.for_tenant(tenant)
            .select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk=delivery_id, status=StatementStatus.PENDING)
            .first()
        )
        if delivery is None:
            return None
        delivery.recipients = letter_recipients(tenant=tenant, customer=delivery.customer)
        delivery.attempts += 1
        if not delivery.recipients:
            delivery.status = StatementStatus.FAILED
            delivery.last_error = "The customer has no dunning or accounts-payable e-mail address."
        else:
            delivery.status = StatementStatus.SENDING
        delivery.save(update_fields=["recipients", "attempts", "status", "last_error"])
    return delivery if delivery.status == StatementStatus.SENDING else None


def statement_deliver(*, tenant: Tenant, delivery_id: int) -> str:
    """Send one statement; returns sent, skipped, retry or failed."""
    delivery = _claim(tenant, delivery_id)
    if delivery is None:
        return "skipped"
    customer = delivery.customer
    as_of = delivery.period - timedelta(days=1)
    pdf = statement_of_account_pdf(tenant=tenant, customer=customer, as_of=as_of)
    company = tenant.legal_name or tenant.name
    message = EmailMessage(
        subject=f"{company}: statement of account as of {as_of.isoformat()}",
        body=(
            f"Dear {customer.display_name},\n\nattached is your statement of account with "
            f"{company} as of {as_of.isoformat()}: every item open on that day.\n\n{company}"
        ),
        to=list(delivery.recipients),
    )
    message.attach(f"statement-{customer.number}-{as_of:%Y-%m}.pdf", bytes(pdf), "application/pdf")
    sending = StatementDelivery.objects.for_tenant(tenant).filter(
        pk=delivery.pk, status=StatementStatus.SENDING
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        final = delivery.attempts >= MAX_ATTEMPTS
        sending.update(
            status=StatementStatus.FAILED if final else StatementStatus.PENDING,
            last_error=str(exc)[:1000],
        )
        return "failed" if final else "retry"
    sending.update(status=StatementStatus.SENT, sent_at=timezone.now(), last_error="")
    return "sent"
