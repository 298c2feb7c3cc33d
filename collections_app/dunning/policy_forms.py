"""HTML forms of the dunning policy editor: they check the shape of the input
(numbers are numbers, a choice is a choice); the policy service decides
everything else, with the same rules as the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from collections_app.dunning.models import DunningChannel
from collections_app.dunning.services.policies import LevelInput, PolicyInput, TemplateInput
from collections_app.dunning.services.templating import PLACEHOLDERS
from otc.customers.models import DOCUMENT_LANGUAGES
from otc.web.forms import currency_choices

RISK_CLASS_CHOICES = [(c, f"Class {c}") for c in "ABCDE"]
_PLACEHOLDER_HELP = "Placeholders: " + ", ".join("{" + name + "}" for name in PLACEHOLDERS)

# What a new policy's first level says until someone writes better, in the
# languages we have a text for: it uses only documented placeholders, so it
# saves as it is.
DEFAULT_TEMPLATES = {
    "en": TemplateInput(
        language="en",
        subject="{level_name}: {total_due} overdue",
        body=(
            "Dear {contact_name},\n\n"
            "according to our records the following items are overdue:\n\n"
            "{items}\n\n"
            "Please pay {total_due} within the next few days. If you have already paid, "
            "please disregard this message.\n\n"
            "Kind regards\n{company_name}"
        ),
        letter_text=(
            "Dear {contact_name},\n\n"
            "{item_count} items on your account with {company_name} are overdue, the oldest "
            "since {oldest_due_date}. Please pay {total_due}.\n\n"
            "{fees}"
        ),
    ),
    "de": TemplateInput(
        language="de",
        subject="{level_name}: {total_due} überfällig",
        body=(
            "Sehr geehrte(r) {contact_name},\n\n"
            "laut unserer Buchhaltung sind folgende Posten überfällig:\n\n"
            "{items}\n\n"
            "Bitte überweisen Sie {total_due} in den nächsten Tagen. Sollten Sie bereits "
            "gezahlt haben, betrachten Sie dieses Schreiben bitte als gegenstandslos.\n\n"
            "Mit freundlichen Grüßen\n{company_name}"
        ),
        letter_text=(
            "Sehr geehrte(r) {contact_name},\n\n"
            "{item_count} Posten Ihres Kontos bei {company_name} sind überfällig, der älteste "
            "seit {oldest_due_date}. Bitte zahlen Sie {total_due}.\n\n"
            "{fees}"
        ),
    ),
}


# What a new policy's first level is called, in the same languages.
DEFAULT_FIRST_LEVEL_NAMES = {"en": "First reminder", "de": "Zahlungserinnerung"}


def default_template(language: str) -> TemplateInput:
    """The starting text in `language`, or in English where we have none."""
    return DEFAULT_TEMPLATES.get(language, DEFAULT_TEMPLATES["en"])


def default_first_level_name(language: str) -> str:
    return DEFAULT_FIRST_LEVEL_NAMES.get(language, DEFAULT_FIRST_LEVEL_NAMES["en"])


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300, required=False)
    is_default = forms.BooleanField(
        required=False,
        label="Default policy",
        help_text="Applies to every customer no other policy claims (one per company).",
    )
    risk_classes = forms.MultipleChoiceField(
        choices=RISK_CLASS_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Risk classes",
        help_text="Customers of these credit risk classes get this policy first.",
    )
    segments = forms.CharField(
        max_length=500,
        required=False,
        help_text="Comma-separated customer segments, e.g. retail, wholesale.",
    )
    min_amount = forms.DecimalField(
        max_digits=18,
        decimal_places=2,
        initial=Decimal(0),
        label="Minimum amount",
        help_text="In the company's base currency: smaller balances get no letter.",
    )
    grace_days = forms.IntegerField(
        initial=0, help_text="Days a level waits after its day (not for reminders before due)."
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def header(self) -> dict[str, Any]:
        """The cleaned values as PolicyInput fields (levels aside)."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "is_default": data["is_default"],
            "risk_classes": list(data["risk_classes"]),
            "segments": [s.strip() for s in data["segments"].split(",") if s.strip()],
            "min_amount": data["min_amount"],
            "grace_days": data["grace_days"],
            "is_active": data["is_active"],
        }

    @staticmethod
    def initial_from(policy: PolicyInput) -> dict[str, Any]:
        return {
            "name": policy.name,
            "description": policy.description,
            "is_default": policy.is_default,
            "risk_classes": policy.risk_classes,
            "segments": ", ".join(policy.segments),
            "min_amount": policy.min_amount,
            "grace_days": policy.grace_days,
            "is_active": policy.is_active,
        }


class LevelForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="E.g. 'First reminder'.")
    days_overdue = forms.IntegerField(
        min_value=-365,
        max_value=3650,
        label="Days overdue",
        help_text="Negative for a friendly reminder before the due date (e.g. -3).",
    )
    channel = forms.ChoiceField(choices=DunningChannel.choices)
    fee_amount = forms.DecimalField(
        max_digits=18, decimal_places=2, initial=Decimal(0), label="Fee"
    )
    fee_currency = forms.ChoiceField(label="Fee currency")
    interest_rate_percent = forms.DecimalField(
        max_digits=6,
        decimal_places=3,
        initial=Decimal(0),
        label="Interest, % a year",
        help_text="On the overdue amount; stays on the account after the principal is paid.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        currency = self.fields["fee_currency"]
        assert isinstance(currency, forms.ChoiceField)  # noqa: S101  (narrows the type)
        currency.choices = currency_choices()

    def level(self, templates: list[TemplateInput]) -> LevelInput:
        data = self.cleaned_data
        return LevelInput(
            name=data["name"],
            days_overdue=data["days_overdue"],
            channel=data["channel"],
            fee_amount=data["fee_amount"],
            fee_currency=data["fee_currency"],
            interest_rate_percent=data["interest_rate_percent"],
            templates=templates,
        )

    @staticmethod
    def initial_from(level: LevelInput) -> dict[str, Any]:
        return {
            "name": level.name,
            "days_overdue": level.days_overdue,
            "channel": level.channel,
            "fee_amount": level.fee_amount,
            "fee_currency": level.fee_currency,
            "interest_rate_percent": level.interest_rate_percent,
        }


class TemplateForm(forms.Form):
    language = forms.ChoiceField(choices=DOCUMENT_LANGUAGES)
    subject = forms.CharField(max_length=200, help_text=_PLACEHOLDER_HELP)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}), label="E-mail body", help_text=_PLACEHOLDER_HELP
    )
    letter_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        label="Letter text",
        help_text="Printed above the item table of the PDF letter; a blank line starts a "
        "new paragraph.",
    )

    def __init__(
        self,
        *args: Any,
        language_choices: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if language_choices is not None:
            # Editing names one language (another language is another
            # template); adding offers the languages the level lacks.
            language = self.fields["language"]
            assert isinstance(language, forms.ChoiceField)  # noqa: S101  (narrows the type)
            language.choices = language_choices

    def template(self) -> TemplateInput:
        data = self.cleaned_data
        return TemplateInput(
            language=data["language"],
            subject=data["subject"],
            body=data["body"],
            letter_text=data["letter_text"],
        )

    @staticmethod
    def initial_from(template: TemplateInput) -> dict[str, Any]:
        return {
            "language": template.language,
            "subject": template.subject,
            "body": template.body,
            "letter_text": template.letter_text,
        }


class PreviewForm(forms.Form):
    customer = forms.CharField(
        max_length=32,
        required=False,
        label="Preview for customer",
        help_text="A customer number; empty: the customer with the most overdue, or "
        "sample figures when there is none.",
        widget=forms.TextInput(attrs={"list": "preview-customers", "autocomplete": "off"}),
    )
