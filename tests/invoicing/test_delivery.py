"""E-mailing invoices: to the AP contacts, through the worker on the "email"
queue, logged per delivery; SMTP trouble is retried with backoff and
recorded; a retried or duplicated task never sends twice."""

from __future__ import annotations

import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connections
from django.utils import timezone

from invoicing.models import DeliveryStatus, InvoiceDelivery, InvoiceDocumentFile
from invoicing.services import (
    NoApContact,
    credit_memo_create,
    delivery_attempt,
    invoice_cancel,
    invoice_send,
)
from invoicing.services.delivery import MAX_ATTEMPTS, Outcome
from invoicing.services.document_files import DocumentUnavailable
from invoicing.tasks import send_invoice_delivery
from otc.audit.models import AuditEvent
from otc.audit.services import Actor
from otc.celery import app
from otc.errors import ConflictError, NotFound, ValidationFailed
from otc.tenancy.context import tenant_context
from tests.factories import CustomerContactFactory, TenantFactory
from tests.invoicing.doc_helpers import JAN, billed_customer, complete_seller
from tests.invoicing.factories import SYSTEM, draft_invoice, issued_invoice, line


@pytest.fixture
def seller(tenant_a):
    return complete_seller(tenant_a)


@pytest.fixture
def buyer(seller):
    with tenant_context(seller):
        customer = billed_customer(number="C-1", legal_name="Müller & Söhne KG")
        CustomerContactFactory(
            customer=customer, name="Ben AP", email="ben@c-1.example", roles=["ap", "dunning"]
        )
        CustomerContactFactory(
            customer=customer, name="Dora Dunning", email="dora@c-1.example", roles=["dunning"]
        )
        CustomerContactFactory(customer=customer, name="No Mail", email="", roles=["ap"])
        return customer


@pytest.fixture
def invoice(seller, buyer):
    with tenant_context(seller):
        return issued_invoice(
            seller,
            buyer,
            [line("1249.00", "2", description="Hydraulic pump")],
            issue_date=JAN,
            po_number="PO-77",
        )


@pytest.fixture
def clerk(owner_a):
    return Actor(user=owner_a, label=owner_a.email)


def deliveries(tenant):
    with tenant_context(tenant):
        return list(InvoiceDelivery.objects.order_by("pk"))


def fresh(tenant, delivery):
    with tenant_context(tenant):
        return InvoiceDelivery.objects.get(pk=delivery.pk)


def attempt(tenant, delivery):
    with tenant_context(tenant):
        return delivery_attempt(tenant=tenant, delivery_id=delivery.pk)


# --- the happy path -------------------------------------------------------------------------


@pytest.mark.usefixtures("eager_tasks")
def test_sending_mails_the_pdf_to_the_ap_contacts_and_logs_it(
    seller, invoice, clerk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(seller):
            delivery = invoice_send(tenant=seller, actor=clerk, invoice=invoice)
    assert delivery.recipients == ["ap@c-1.example", "ben@c-1.example"]

    (message,) = mail.outbox
    assert message.to == ["ap@c-1.example", "ben@c-1.example"]
    assert message.subject == f"Invoice {invoice.number} \N{EN DASH} Alpha Industries GmbH"
    assert message.from_email == "Alpha Industries GmbH <no-reply@otc.local>"
    assert message.reply_to == ["billing@alpha.example"]
    assert "€2,972.62" in message.body
    assert "PO-77" in message.body
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")

    logged = fresh(seller, delivery)
    assert logged.status == DeliveryStatus.SENT
    assert logged.attempts == 1
    assert logged.sent_at is not None
    assert logged.message_id == message.extra_headers["Message-ID"]
    assert logged.message_id.endswith("@otc.local>")
    assert logged.subject == message.subject
    assert logged.failure_reason == ""
    assert logged.requested_by_label == clerk.label
    with tenant_context(seller):
        pdf = InvoiceDocumentFile.objects.get(invoice=invoice, kind="pdf")
        actions = set(
            AuditEvent.objects.filter(object_id=str(invoice.pk)).values_list("action", flat=True)
        )
    assert logged.document_sha256 == pdf.sha256
    assert {"invoice.send_requested", "invoice.sent"} <= actions


@pytest.mark.usefixtures("eager_tasks")
def test_a_german_customer_gets_a_german_e_mail(seller, clerk, django_capture_on_commit_callbacks):
    with tenant_context(seller):
        customer = billed_customer(number="C-DE", language="de")
        invoice = issued_invoice(seller, customer, [line("100.00")], issue_date=JAN)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(seller):
        invoice_send(tenant=seller, actor=clerk, invoice=invoice)
    (message,) = mail.outbox
    assert message.subject.startswith(f"Rechnung {invoice.number}")
    assert "119,00\xa0€" in message.body
    assert "Mit freundlichen Grüßen" in message.body


def test_the_task_goes_to_the_email_queue(seller, invoice, clerk):
    with mock.patch.object(app, "send_task") as send_task:
        send_invoice_delivery.delay(seller.pk, 1)
    assert send_task.call_args.kwargs["queue"] == "email"


def test_named_recipients_replace_the_ap_contacts(seller, invoice, clerk):
    with tenant_context(seller):
        delivery = invoice_send(
            tenant=seller,
            actor=clerk,
            invoice=invoice,
            recipients=["Buyer@Example.com ", "buyer@example.com", "cfo@example.com"],
        )
    assert delivery.recipients == ["Buyer@Example.com", "cfo@example.com"]
    assert delivery.status == DeliveryStatus.QUEUED


def test_wrong_recipients_are_named(seller, invoice, clerk):
    with tenant_context(seller), pytest.raises(ValidationFailed) as caught:
        invoice_send(
            tenant=seller, actor=clerk, invoice=invoice, recipients=["ok@example.com", "nope"]
        )
    assert caught.value.errors == {"recipients[1]": ["'nope' is not an e-mail address."]}
    assert deliveries(seller) == []


# --- refusals ---------------------------------------------------------------------------------


def test_no_ap_contact_is_a_clear_error(seller, clerk):
    with tenant_context(seller):
        customer = billed_customer(number="C-2", legal_name="Nobody GmbH")
        customer.contacts.update(roles=["dunning"])
        invoice = issued_invoice(seller, customer, [line("10.00")], issue_date=JAN)
        with pytest.raises(NoApContact) as caught:
            invoice_send(tenant=seller, actor=clerk, invoice=invoice)
    assert caught.value.code == "no_ap_contact"
    assert "No AP contact" in caught.value.errors["recipients"][0]
    assert deliveries(seller) == []


def test_drafts_cancelled_and_imported_documents_are_not_sent(seller, buyer, clerk):
    with tenant_context(seller):
        draft = draft_invoice(seller, buyer, [line("10.00")])
        with pytest.raises(ConflictError, match="issue it before sending"):
            invoice_send(tenant=seller, actor=clerk, invoice=draft)
        cancelled = issued_invoice(seller, buyer, [line("10.00")], issue_date=JAN)
        invoice_cancel(tenant=seller, actor=SYSTEM, invoice=cancelled, reason="typo")
        cancelled.refresh_from_db()
        with pytest.raises(ConflictError, match="only issued documents are sent"):
            invoice_send(tenant=seller, actor=clerk, invoice=cancelled)
        cancelled.origin = "import"
        cancelled.status = "issued"
        with pytest.raises(DocumentUnavailable, match="old system"):
            invoice_send(tenant=seller, actor=clerk, invoice=cancelled)
        # Its cancellation memo is a document of its own and can be sent.
        memo = cancelled.cancellation_memo
        assert invoice_send(tenant=seller, actor=clerk, invoice=memo).recipients


def test_another_tenants_invoice_cannot_be_sent(seller, invoice, tenant_b, owner_b):
    with tenant_context(tenant_b), pytest.raises(NotFound):
        invoice_send(tenant=tenant_b, actor=Actor(user=owner_b, label="b"), invoice=invoice)
    assert deliveries(seller) == []


# --- SMTP trouble -----------------------------------------------------------------------------


def _queued(seller, clerk, invoice):
    with tenant_context(seller):
        return invoice_send(tenant=seller, actor=clerk, invoice=invoice)


def test_an_smtp_error_is_recorded_and_retried_with_backoff(seller, invoice, clerk):
    delivery = _queued(seller, clerk, invoice)
    before = timezone.now()
    with mock.patch.object(
        EmailMessage, "send", side_effect=smtplib.SMTPServerDisconnected("Connection lost")
    ):
        result = attempt(seller, delivery)
    assert (result.outcome, result.retry_in_seconds) == (Outcome.RETRY, 60)
    row = fresh(seller, delivery)
    assert row.status == DeliveryStatus.QUEUED
    assert row.attempts == 1
    assert "SMTPServerDisconnected: Connection lost" in row.failure_reason
    assert f"attempt 1 of {MAX_ATTEMPTS}" in row.failure_reason
    assert (
        before + timedelta(seconds=59)
        < row.next_attempt_at
        < timezone.now() + timedelta(seconds=61)
    )
    # The next failure waits twice as long.
    with mock.patch.object(EmailMessage, "send", side_effect=OSError("Connection refused")):
        assert attempt(seller, delivery).retry_in_seconds == 120
    assert mail.outbox == []


def test_the_task_schedules_the_retry_with_the_backoff(seller, invoice, clerk):
    delivery = _queued(seller, clerk, invoice)
    with (
        mock.patch.object(EmailMessage, "send", side_effect=smtplib.SMTPConnectError(421, b"busy")),
        mock.patch.object(
            send_invoice_delivery, "retry", side_effect=RuntimeError("retry")
        ) as retry,
        pytest.raises(RuntimeError, match="retry"),
    ):
        send_invoice_delivery(seller.pk, delivery.pk)
    retry.assert_called_once_with(countdown=60)
    assert "answered 421: busy" in fresh(seller, delivery).failure_reason


@pytest.mark.usefixtures("eager_tasks")
def test_a_server_that_recovers_gets_the_message_once(seller, invoice, clerk):
    delivery = _queued(seller, clerk, invoice)
    real_send = EmailMessage.send
    calls = []

    def flaky(message, fail_silently=False):
        calls.append(message)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("Connection lost")
        return real_send(message, fail_silently=fail_silently)

    with mock.patch.object(EmailMessage, "send", flaky):
        send_invoice_delivery.apply(args=(seller.pk, delivery.pk))
    row = fresh(seller, delivery)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("eager_tasks")
def test_after_the_last_attempt_the_delivery_fails_with_the_reason(seller, invoice, clerk):
    delivery = _queued(seller, clerk, invoice)
    with mock.patch.object(EmailMessage, "send", side_effect=OSError("Connection refused")):
        send_invoice_delivery.apply(args=(seller.pk, delivery.pk))
    row = fresh(seller, delivery)
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == MAX_ATTEMPTS
    assert row.failure_reason == (
        f"OSError: Connection refused (gave up after {MAX_ATTEMPTS} attempts)"
    )
    assert row.next_attempt_at is None
    assert mail.outbox == []


def test_a_refusal_for_good_is_not_retried(seller, invoice, clerk):
    delivery = _queued(seller, clerk, invoice)
    refused = smtplib.SMTPRecipientsRefused({"ap@c-1.example": (550, b"No such user")})
    with mock.patch.object(EmailMessage, "send", side_effect=refused):
        assert attempt(seller, delivery).outcome is Outcome.FAILED
    row = fresh(seller, delivery)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert "ap@c-1.example (550 No such user)" in row.failure_reason
    with mock.patch.object(
        EmailMessage, "send", side_effect=smtplib.SMTPDataError(554, b"Spam detected")
    ):
        other = _queued(seller, clerk, invoice)
        assert attempt(seller, other).outcome is Outcome.FAILED
    assert "554: Spam detected (refused for good)" in fresh(seller, other).failure_reason


def test_a_document_that_cannot_be_printed_fails_the_delivery(seller, clerk):
    with tenant_context(seller):
        customer = billed_customer(number="C-FR", country="FR")
        invoice = issued_invoice(
            seller, customer, [line("10.00", rate="0", category="AE")], issue_date=JAN
        )
        # Refused up front, with what to complete...
        with pytest.raises(ValidationFailed, match="buyer VAT id"):
            invoice_send(tenant=seller, actor=clerk, invoice=invoice)
        # ...and a delivery queued before the data broke fails with the reason.
        delivery = InvoiceDelivery.objects.create(
            tenant=seller, invoice=invoice, recipients=["ap@c-fr.example"]
        )
    assert attempt(seller, delivery).outcome is Outcome.FAILED
    assert "The PDF could not be produced" in fresh(seller, delivery).failure_reason


# --- never twice -----------------------------------------------------------------------------


def test_a_duplicate_task_sends_once(seller, invoice, clerk):
    delivery = _queued(seller, clerk, invoice)
    assert attempt(seller, delivery).outcome is Outcome.SENT
    assert attempt(seller, delivery).outcome is Outcome.SKIPPED
    send_invoice_delivery(seller.pk, delivery.pk)
    assert len(mail.outbox) == 1
    assert fresh(seller, delivery).attempts == 1


def test_a_delivery_left_sending_by_a_dead_worker_is_not_sent_again(seller, invoice, clerk):
    delivery = _queued(seller, clerk, invoice)
    with tenant_context(seller):
        InvoiceDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING)
    assert attempt(seller, delivery).outcome is Outcome.SKIPPED
    assert mail.outbox == []


def test_a_task_with_another_tenants_id_sends_nothing(seller, invoice, clerk, tenant_b):
    delivery = _queued(seller, clerk, invoice)
    assert send_invoice_delivery(tenant_b.pk, delivery.pk) == "skipped"
    assert fresh(seller, delivery).status == DeliveryStatus.QUEUED
    assert mail.outbox == []


@pytest.mark.usefixtures("committed_db")
def test_two_workers_racing_for_one_delivery_send_one_message():
    tenant = complete_seller(TenantFactory(name="Race Mail", slug="race-mail"))
    with tenant_context(tenant):
        customer = billed_customer(number="R-1")
        invoice = issued_invoice(tenant, customer, [line("10.00")], issue_date=JAN)
        delivery = invoice_send(tenant=tenant, actor=SYSTEM, invoice=invoice)
    barrier = threading.Barrier(4)

    def work():
        try:
            barrier.wait(timeout=30)
            return send_invoice_delivery(tenant.pk, delivery.pk)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = [f.result(timeout=120) for f in [pool.submit(work) for _ in range(4)]]
    assert sorted(outcomes) == ["sent", "skipped", "skipped", "skipped"]
    assert len(mail.outbox) == 1
    assert fresh(tenant, delivery).attempts == 1


def test_a_credit_memo_is_sent_as_a_credit_memo(seller, invoice, clerk):
    with tenant_context(seller):
        memo = credit_memo_create(
            tenant=seller, actor=SYSTEM, related_invoice=invoice, lines=[line("100.00")]
        )
        delivery = invoice_send(tenant=seller, actor=clerk, invoice=memo)
    assert attempt(seller, delivery).outcome is Outcome.SENT
    (message,) = mail.outbox
    assert message.subject.startswith(f"Credit memo {memo.number}")
    assert "due on" not in message.body
