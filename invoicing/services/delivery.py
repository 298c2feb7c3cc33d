"""E-mailing invoice documents to customers, with a delivery log.

``invoice_send`` records a delivery (queued) for the customer's AP contacts
(or the addresses given) and hands it to the worker on the "email" queue
once the transaction commits. ``delivery_attempt`` is what the worker runs:

1. compare-and-set queued -> sending on the delivery row; a task that loses
   (a duplicate, a retry of a message that went out) does nothing, so no
   message is ever sent twice;
2. the stored Factur-X PDF (rendered now if the worker has not yet);
3. the message through Django's mail backend (the EMAIL_* settings);
4. sent, with its Message-ID; or, on an SMTP error, back to queued with the
   reason and the time of the next try (1, 2, 4, 8 minutes), failed once the
   attempts are used up or the server refused for good (5xx).

A worker that dies between 3 and 4 leaves the row "sending": whether the
message left is unknown, and it is never sent again by itself; a person can
send the invoice again, which is a new delivery.
"""

from __future__ import annotations

import secrets
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, parseaddr
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from invoicing.documents import formatting as fmt
from invoicing.documents.labels import Labels
from invoicing.documents.model import DocumentKind
from invoicing.models import (
    DeliveryStatus,
    Invoice,
    InvoiceDelivery,
    InvoiceKind,
    InvoiceStatus,
)
from invoicing.services.common import check_same_tenant
from invoicing.services.document_files import (
    DocumentIncomplete,
    DocumentUnavailable,
    document_filename,
    invoice_document_checked,
    invoice_documents_generate,
)
from otc.audit.services import Actor, audit_record
from otc.customers.models import ContactRole
from otc.customers.selectors import customer_contacts_for_role
from otc.errors import ConflictError, ValidationFailed
from otc.tenancy.models import Tenant

MAX_ATTEMPTS = 5
MAX_RECIPIENTS = 20
_FIRST_RETRY_SECONDS = 60
SENDABLE_STATUSES = frozenset(
    {InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID}
)
_MAIL_ACTOR = Actor.system("mail")


class NoApContact(ValidationFailed):
    code = "no_ap_contact"


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # another task has it, or it is done


@dataclass(frozen=True)
class AttemptResult:
    outcome: Outcome
    retry_in_seconds: int = 0


def ap_recipients(*, tenant: Tenant, invoice: Invoice) -> list[str]:
    """The e-mail addresses of the customer's AP contacts, in contact order."""
    contacts = customer_contacts_for_role(
        tenant=tenant, customer=invoice.customer, role=ContactRole.AP
    )
    return _unique([contact.email for contact in contacts if contact.email])


def ap_contact_choices(*, tenant: Tenant, invoice: Invoice) -> list[tuple[str, str]]:
    """(address, "Name <address>") of each AP contact, for a person to pick from."""
    contacts = customer_contacts_for_role(
        tenant=tenant, customer=invoice.customer, role=ContactRole.AP
    )
    names: dict[str, str] = {}
    for contact in contacts:
        if contact.email:
            names.setdefault(contact.email.strip().lower(), contact.name)
    addresses = _unique([contact.email for contact in contacts if contact.email])
    return [
        (address, f"{names[address.lower()]} <{address}>" if names[address.lower()] else address)
        for address in addresses
    ]


def _unique(addresses: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    unique = []
    for address in addresses:
        key = address.strip().lower()
        if key and key not in seen:
            seen.add(key)
            unique.append(address.strip())
    return unique


def _check_recipients(addresses: list[str]) -> None:
    errors: dict[str, list[str]] = {}
    if len(addresses) > MAX_RECIPIENTS:
        errors["recipients"] = [f"Send to at most {MAX_RECIPIENTS} addresses at once."]
    for index, address in enumerate(addresses):
        try:
            validate_email(address)
        except ValidationError:
            errors[f"recipients[{index}]"] = [f"'{address}' is not an e-mail address."]
    if errors:
        raise ValidationFailed("Some recipients need fixing.", errors=errors)


def check_sendable(*, tenant: Tenant, invoice: Invoice) -> None:
    """Raise unless this document can be e-mailed now: issued (or paid),
    not imported, and printable from the data as it is."""
    check_same_tenant(invoice, tenant, what="invoice")
    if invoice.is_draft:
        raise ConflictError(f"{invoice} is a draft: issue it before sending it.", code="not_issued")
    if invoice.status not in SENDABLE_STATUSES:
        raise ConflictError(
            f"{invoice} is {invoice.status_label.lower()}: only issued documents are sent.",
            code="not_sendable",
        )
    invoice_document_checked(tenant=tenant, invoice=invoice)


@transaction.atomic
def invoice_send(
    *,
    tenant: Tenant,
    actor: Actor,
    invoice: Invoice,
    recipients: Sequence[str] | None = None,
) -> InvoiceDelivery:
    """E-mail the invoice PDF: to `recipients` when given, else to the
    customer's AP contacts. Returns the queued delivery; the worker sends it
    after this transaction commits."""
    check_sendable(tenant=tenant, invoice=invoice)
    if recipients:
        addresses = _unique(recipients)
        _check_recipients(addresses)
    else:
        addresses = ap_recipients(tenant=tenant, invoice=invoice)
    if not addresses:
        customer = invoice.customer
        raise NoApContact(
            f"{customer.display_name} has no AP contact with an e-mail address.",
            errors={
                "recipients": [
                    (
                        f"No AP contact: give a contact of {customer.display_name} the role "
                        "'AP contact' and an e-mail address, or name the recipients."
                    )
                ]
            },
        )
    delivery = InvoiceDelivery.objects.for_tenant(tenant).create(
        tenant=tenant,
        invoice=invoice,
        recipients=addresses,
        status=DeliveryStatus.QUEUED,
        requested_by=actor.user,
        requested_by_label=actor.label[:200],
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="invoice.send_requested",
        instance=invoice,
        changes={
            "delivery": {"before": None, "after": delivery.pk},
            "recipients": {"before": None, "after": ", ".join(addresses)},
        },
    )
    from invoicing.tasks import send_invoice_delivery

    send_invoice_delivery.delay_on_commit(tenant.pk, delivery.pk)
    return delivery


# --- the worker's part -----------------------------------------------------------------


def _claim(*, tenant: Tenant, delivery_id: int) -> InvoiceDelivery | None:
    """queued -> sending, atomically: the one task that wins sends."""
    claimed = (
        InvoiceDelivery.objects.for_tenant(tenant)
        .filter(pk=delivery_id, status=DeliveryStatus.QUEUED)
        .update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
    )
    if not claimed:
        return None
    return (
        InvoiceDelivery.objects.for_tenant(tenant)
        .select_related("invoice", "invoice__customer", "invoice__payment_terms")
        .get(pk=delivery_id)
    )


def _finish(*, tenant: Tenant, delivery: InvoiceDelivery, **fields: object) -> bool:
    """sending -> (queued | sent | failed) for the row this task claimed."""
    return bool(
        InvoiceDelivery.objects.for_tenant(tenant)
        .filter(pk=delivery.pk, status=DeliveryStatus.SENDING)
        .update(updated_at=timezone.now(), **fields)
    )


def _message(*, tenant: Tenant, delivery: InvoiceDelivery, pdf: bytes) -> EmailMessage:
    invoice = delivery.invoice
    customer = invoice.customer
    language = customer.language or tenant.locale
    labels = Labels(language)
    seller_name = tenant.legal_name or tenant.name
    kind = DocumentKind(invoice.kind)
    currency = str(invoice.currency)
    context = {
        "tenant": tenant,
        "seller_name": seller_name,
        "invoice": invoice,
        "customer": customer,
        "language": labels.language,
        "title": labels.title(kind),
        "amount": fmt.money(invoice.gross_amount, currency, language),
        "due_date": (
            fmt.long_date(invoice.due_date, language)
            if invoice.due_date and invoice.kind != InvoiceKind.CREDIT_MEMO
            else ""
        ),
        "is_credit": invoice.kind == InvoiceKind.CREDIT_MEMO,
    }
    subject = " ".join(render_to_string("invoicing/email/invoice_subject.txt", context).split())[
        :300
    ]
    _, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMessage(
        subject=subject,
        body=render_to_string("invoicing/email/invoice_body.txt", context),
        from_email=formataddr((seller_name, from_address)),
        to=list(delivery.recipients),
        reply_to=[tenant.billing_email] if tenant.billing_email else None,
    )
    domain = from_address.rpartition("@")[2] or "otc.local"
    # Unique worldwide, and readable in the outbox: which delivery sent it.
    message.extra_headers["Message-ID"] = (
        f"<otc.{tenant.pk}.{delivery.pk}.{secrets.token_hex(6)}@{domain}>"
    )
    filename = f"{document_filename(invoice)}.pdf"
    message.attach(filename, pdf, "application/pdf")
    return message


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(
            f"{address} ({code} {_text(reason)})"
            for address, (code, reason) in error.recipients.items()
        )
        return f"The mail server refused every recipient: {refused}."
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The mail server answered {error.smtp_code}: {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def delivery_attempt(*, tenant: Tenant, delivery_id: int) -> AttemptResult:
    """Send one queued delivery (see the module docstring)."""
    delivery = _claim(tenant=tenant, delivery_id=delivery_id)
    if delivery is None:
        return AttemptResult(Outcome.SKIPPED)
    invoice = delivery.invoice
    try:
        stored = invoice_documents_generate(tenant=tenant, invoice=invoice)
        with stored.pdf.file.open("rb") as handle:
            pdf = handle.read()
    except (DocumentUnavailable, DocumentIncomplete) as error:
        _finish(
            tenant=tenant,
            delivery=delivery,
            status=DeliveryStatus.FAILED,
            failure_reason=f"The PDF could not be produced: {error.detail}",
        )
        return AttemptResult(Outcome.FAILED)
    message = _message(tenant=tenant, delivery=delivery, pdf=pdf)
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        return _failed_attempt(tenant=tenant, delivery=delivery, error=error)
    now = timezone.now()
    _finish(
        tenant=tenant,
        delivery=delivery,
        status=DeliveryStatus.SENT,
        sent_at=now,
        subject=message.subject,
        message_id=message.extra_headers["Message-ID"],
        document_sha256=stored.pdf.sha256,
        failure_reason="",
    )
    audit_record(
        tenant=tenant,
        actor=_MAIL_ACTOR,
        action="invoice.sent",
        instance=invoice,
        changes={
            "delivery": {"before": None, "after": delivery.pk},
            "recipients": {"before": None, "after": ", ".join(delivery.recipients)},
        },
    )
    return AttemptResult(Outcome.SENT)


def _failed_attempt(
    *, tenant: Tenant, delivery: InvoiceDelivery, error: Exception
) -> AttemptResult:
    attempt = delivery.attempts
    reason = _describe(error)
    if _is_permanent(error) or attempt >= MAX_ATTEMPTS:
        why = "refused for good" if _is_permanent(error) else f"gave up after {attempt} attempts"
        _finish(
            tenant=tenant,
            delivery=delivery,
            status=DeliveryStatus.FAILED,
            failure_reason=f"{reason} ({why})",
        )
        return AttemptResult(Outcome.FAILED)
    wait = _FIRST_RETRY_SECONDS * 2 ** (attempt - 1)
    next_at = timezone.now() + timedelta(seconds=wait)
    _finish(
        tenant=tenant,
        delivery=delivery,
        status=DeliveryStatus.QUEUED,
        failure_reason=f"{reason} (attempt {attempt} of {MAX_ATTEMPTS}; trying again)",
        next_attempt_at=next_at,
    )
    return AttemptResult(Outcome.RETRY, retry_in_seconds=wait)


def delivery_give_up(*, tenant: Tenant, delivery_id: int, reason: str) -> None:
    """Mark a delivery failed whose task cannot run it any more (the worker
    ran out of retries while the row still waited)."""
    InvoiceDelivery.objects.for_tenant(tenant).filter(
        pk=delivery_id, status=DeliveryStatus.QUEUED
    ).update(status=DeliveryStatus.FAILED, failure_reason=reason, updated_at=timezone.now())
