"""Outgoing e-mail leaves through the worker (the "email" queue), so a slow
or unreachable mail server never holds up a page."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(
    name="otc.accounts.tasks.send_email",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    max_retries=5,
)
def send_email(*, subject: str, body: str, to: list[str], html_body: str = "") -> None:
    """Send one rendered message. Callers render in the request (where the
    site's address is known) and enqueue with ``delay_on_commit`` so nothing
    is sent for a change that rolled back."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    message.send()
