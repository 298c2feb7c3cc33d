from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm

from otc.accounts.services import email_enqueue


class LoginForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SwitchTenantForm(forms.Form):
    tenant = forms.IntegerField(min_value=1)


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the mail sent by the worker like every
    other e-mail of OTC."""

    def send_mail(  # noqa: PLR0917 - Django's signature, called positionally
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        email_enqueue(
            to=to_email,
            subject_template=subject_template_name,
            text_template=email_template_name,
            html_template=html_email_template_name or email_template_name,
            context=context,
        )
