from __future__ import annotations

from decimal import Decimal

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
    approval_limit = forms.DecimalField(
        max_digits=18,
        decimal_places=2,
        min_value=Decimal(0),
        initial=Decimal(0),
        required=False,
        help_text=(
            "The highest credit limit the key may set or approve, in the company's base "
            "currency, as for a person. Leave 0 and the key's credit approvals go to a person."
        ),
    )


class ApiKeyFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "All"), (STATUS_ACTIVE, "Active"), (STATUS_REVOKED, "Revoked")],
        required=False,
    )
    q = forms.CharField(label="Name or prefix", required=False, max_length=100)
