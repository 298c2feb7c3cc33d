from __future__ import annotations

from django import forms

from otc.api.selectors import STATUS_ACTIVE, STATUS_REVOKED
from otc.api.services import NAME_MAX_LENGTH
from otc.tenancy.roles import ROLE_CHOICES, Role


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        error_messages={"required": "Give the key a name that says which system uses it."},
        help_text="Which system uses the key, e.g. “SAP S/4 production”. Shown in the audit log.",
    )
    role = forms.ChoiceField(
        choices=ROLE_CHOICES,
        initial=Role.ERP_INTEGRATION.value,
        help_text=(
            "What the key may do. “ERP integration” covers customers, orders, invoices and "
            "cash; choose a narrower role if the system only reads."
        ),
    )


class ApiKeyFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "All"), (STATUS_ACTIVE, "Active"), (STATUS_REVOKED, "Revoked")],
        required=False,
    )
    q = forms.CharField(label="Name or prefix", required=False, max_length=100)
