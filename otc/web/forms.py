"""Forms of the shell's own pages: tenant settings and members."""

from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import PurePath
from typing import Any
from zoneinfo import available_timezones

from babel import Locale
from babel.numbers import get_currency_name, get_territory_currencies
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django_countries import countries
from PIL import Image, UnidentifiedImageError
from stdnum import bic, iban, vatin
from stdnum import exceptions as stdnum_errors

from otc.tenancy.roles import INTERACTIVE_ROLES, Role
from otc.tenancy.services import TenantSettings

MAX_LOGO_BYTES = 1024 * 1024
LOGO_EXTENSIONS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "svg": "SVG"}
_SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
# Elements that run code or pull in other documents when an SVG renders.
_SVG_FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler"}

# Country code, two check digits, then the national account number.
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}$")
_hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour like #1f4e79.")

# The locales finance teams we know of work in; a tenant created with another
# valid locale keeps it (it is added to the choices).
COMMON_LOCALES = [
    "en",
    "en-GB",
    "en-US",
    "de-DE",
    "de-AT",
    "de-CH",
    "fr-FR",
    "fr-BE",
    "nl-NL",
    "nl-BE",
    "it-IT",
    "es-ES",
    "pt-PT",
    "pt-BR",
    "pl-PL",
    "cs-CZ",
    "sv-SE",
    "da-DK",
    "fi-FI",
    "nb-NO",
    "ja-JP",
    "zh-CN",
]


@functools.cache
def currency_choices() -> list[tuple[str, str]]:
    """Currencies that are legal tender somewhere today, as 'EUR — Euro'."""
    today = date.today()  # noqa: DTZ011 - which currencies are current is a calendar question
    codes: set[str] = set()
    for territory in Locale.parse("en").territories:
        codes.update(get_territory_currencies(str(territory), start_date=today, tender=True))
    return [(code, f"{code} — {get_currency_name(code, locale='en')}") for code in sorted(codes)]


@functools.cache
def timezone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return [(zone, zone.replace("_", " ")) for zone in ["UTC", *zones]]


def locale_choices(current: str = "") -> list[tuple[str, str]]:
    codes = list(COMMON_LOCALES)
    if current and current not in codes:
        codes.append(current)
    return [
        (code, f"{code} — {Locale.parse(code.replace('-', '_')).display_name}") for code in codes
    ]


def _check_svg(data: bytes) -> None:
    try:
        root = parse_xml(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SyntaxError, ValueError):
        raise ValidationError(
            "This SVG could not be read safely (it is not well-formed, or it declares a DTD)."
        ) from None
    if root.tag not in (f"{_SVG_NAMESPACE}svg", "svg"):
        raise ValidationError("This file is not an SVG image.")
    for element in root.iter():
        name = str(element.tag).rsplit("}", 1)[-1].lower()
        if name in _SVG_FORBIDDEN_ELEMENTS:
            raise ValidationError(f"SVG logos may not contain <{name}> elements.")
        for attribute, value in element.attrib.items():
            attribute_name = attribute.rsplit("}", 1)[-1].lower()
            if attribute_name.startswith("on"):
                raise ValidationError("SVG logos may not contain scripts (on… attributes).")
            if attribute_name == "href" and not value.startswith(("#", "data:image/")):
                raise ValidationError("SVG logos may not link to other files or addresses.")
            if "javascript:" in value.lower():
                raise ValidationError("SVG logos may not contain scripts.")


def _check_bitmap(data: bytes, expected_format: str) -> None:
    try:
        with Image.open(BytesIO(data)) as image:
            actual_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError("This file is not a readable PNG or JPEG image.") from None
    if actual_format != expected_format:
        raise ValidationError(
            f"The file name says {expected_format} but the content is {actual_format}."
        )


class TenantSettingsForm(forms.Form):
    name = forms.CharField(
        label="Display name", max_length=200, help_text="Shown in the menu and on every page."
    )
    legal_name = forms.CharField(
        label="Legal name",
        max_length=200,
        required=False,
        help_text="As registered; printed on invoices and statements.",
    )
    address = forms.CharField(
        label="Registered address",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    base_currency = forms.ChoiceField(
        label="Base currency",
        help_text=(
            "Approval limits and reports are expressed in it. Changing it is recorded in "
            "the audit log."
        ),
    )
    timezone = forms.ChoiceField(
        label="Time zone",
        help_text="Dates and times on every page and report use this zone.",
    )
    locale = forms.ChoiceField(
        label="Number and date format",
        help_text="How amounts and dates are written, e.g. 1,234.50 or 1.234,50.",
    )
    primary_colour = forms.CharField(
        label="Primary colour",
        max_length=7,
        validators=[_hex_colour],
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text="The menu and buttons.",
    )
    accent_colour = forms.CharField(
        label="Accent colour",
        max_length=7,
        validators=[_hex_colour],
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text="Highlights such as the open menu entry.",
    )
    logo = forms.FileField(
        label="Logo",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".png,.jpg,.jpeg,.svg"}),
        help_text="PNG, JPEG or SVG, at most 1 MB. Square logos look best.",
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)
    # --- the seller on invoices -------------------------------------------------
    country = forms.ChoiceField(
        label="Country",
        required=False,
        help_text="Where the company is registered; printed on invoices. Empty: the "
        "country of the number format.",
    )
    vat_id = forms.CharField(
        label="VAT ID",
        max_length=24,
        required=False,
        help_text="With its country prefix, e.g. DE136695976. E-invoices and reverse-charge "
        "invoices need it.",
    )
    tax_number = forms.CharField(
        label="Tax number",
        max_length=40,
        required=False,
        help_text="The national tax number, where invoices must show it (e.g. a German "
        "Steuernummer).",
    )
    registration = forms.CharField(
        label="Trade register entry",
        max_length=200,
        required=False,
        help_text="E.g. Amtsgericht Hamburg, HRB 123456.",
    )
    iban = forms.CharField(
        label="IBAN",
        max_length=42,
        required=False,
        help_text="The account customers pay into; invoices print it with a payment QR code.",
    )
    bic = forms.CharField(label="BIC", max_length=14, required=False)
    bank_name = forms.CharField(label="Bank", max_length=120, required=False)
    billing_email = forms.EmailField(
        label="Billing e-mail",
        required=False,
        help_text="Printed on invoices; customers' replies to invoice e-mails go here.",
    )
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    website = forms.CharField(label="Website", max_length=200, required=False)

    def __init__(self, *args: Any, current_locale: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["base_currency"].choices = currency_choices()  # type: ignore[attr-defined]
        self.fields["timezone"].choices = timezone_choices()  # type: ignore[attr-defined]
        self.fields["locale"].choices = locale_choices(current_locale)  # type: ignore[attr-defined]
        self.fields["country"].choices = [("", "—"), *countries]  # type: ignore[attr-defined]
        self.logo_extension = ""

    def clean_vat_id(self) -> str:
        value: str = self.cleaned_data.get("vat_id", "").strip()
        if not value:
            return ""
        try:
            return str(vatin.validate(value))
        except stdnum_errors.InvalidChecksum:
            raise ValidationError(
                "This VAT ID fails its check digit: compare it digit by digit with your "
                "registration."
            ) from None
        except stdnum_errors.ValidationError:
            raise ValidationError(
                "This is not a VAT ID we recognise: write it with its country prefix, "
                "e.g. DE136695976 or FR40303265045."
            ) from None

    def clean_iban(self) -> str:
        value: str = self.cleaned_data.get("iban", "").strip()
        if not value:
            return ""
        try:
            if not _IBAN_SHAPE.match(iban.compact(value)):
                raise stdnum_errors.InvalidFormat()
            return str(iban.validate(value))
        except stdnum_errors.InvalidChecksum:
            raise ValidationError(
                "This IBAN fails its check digits, so it has a typo: compare it with your "
                "bank statement."
            ) from None
        except stdnum_errors.ValidationError:
            raise ValidationError(
                "This is not an IBAN: it starts with a country code and two check digits, "
                "e.g. DE89 3704 0044 0532 0130 00."
            ) from None

    def clean_bic(self) -> str:
        value: str = self.cleaned_data.get("bic", "").strip()
        if not value:
            return ""
        try:
            return str(bic.validate(value))
        except stdnum_errors.ValidationError:
            raise ValidationError(
                "This is not a BIC: 8 or 11 letters and digits, e.g. COBADEFFXXX."
            ) from None

    def clean_logo(self) -> UploadedFile | None:
        logo: UploadedFile | None = self.cleaned_data.get("logo")
        if not logo:
            return None
        extension = PurePath(logo.name or "").suffix.lower().lstrip(".")
        if extension not in LOGO_EXTENSIONS:
            raise ValidationError("Upload a PNG, JPEG or SVG file.")
        if (logo.size or 0) > MAX_LOGO_BYTES:
            raise ValidationError(
                f"This file is {(logo.size or 0) / 1024 / 1024:.1f} MB; the limit is 1 MB."
            )
        data = logo.read()
        logo.seek(0)
        if extension == "svg":
            _check_svg(data)
        else:
            _check_bitmap(data, LOGO_EXTENSIONS[extension])
        self.logo_extension = "jpg" if extension == "jpeg" else extension
        return logo

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("logo") and cleaned.get("remove_logo"):
            self.add_error("remove_logo", "Either upload a new logo or remove it, not both.")
        return cleaned

    def tenant_settings(self) -> TenantSettings:
        data = self.cleaned_data
        return TenantSettings(
            name=data["name"],
            legal_name=data["legal_name"],
            address=data["address"],
            base_currency=data["base_currency"],
            timezone=data["timezone"],
            locale=data["locale"],
            primary_colour=data["primary_colour"].lower(),
            accent_colour=data["accent_colour"].lower(),
            country=data["country"],
            vat_id=data["vat_id"],
            tax_number=data["tax_number"].strip(),
            registration=data["registration"].strip(),
            iban=data["iban"],
            bic=data["bic"],
            bank_name=data["bank_name"].strip(),
            billing_email=data["billing_email"],
            phone=data["phone"].strip(),
            website=data["website"].strip(),
        )


def _interactive_role_choices() -> list[tuple[str, str]]:
    return [(role.value, role.label) for role in Role if role in INTERACTIVE_ROLES]


class MemberForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=_interactive_role_choices)
    approval_limit = forms.DecimalField(
        label="Approval limit",
        min_value=Decimal(0),
        max_digits=18,
        decimal_places=2,
        help_text=(
            "The largest credit limit, write-off or refund this person may approve alone, "
            "in the tenant's base currency. 0 approves nothing."
        ),
    )
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        help_text="A deactivated member cannot sign in to this tenant; their history stays.",
    )
    monthly_collection_target = forms.DecimalField(
        label="Monthly collection target",
        required=False,
        min_value=Decimal(0),
        max_digits=18,
        decimal_places=2,
        help_text=(
            "For collectors: the cash to collect each month from their customers, in the "
            "tenant's base currency. Leave empty for no target."
        ),
    )


class MemberAddForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        required=False,
        help_text="Used when this address has no OTC account yet.",
    )
    # No preselected role: giving someone a seat should be a deliberate choice,
    # and the first role in the list is the owner.
    role = forms.ChoiceField(
        label="Role", choices=lambda: [("", "Choose a role…"), *_interactive_role_choices()]
    )
    approval_limit = forms.DecimalField(
        label="Approval limit",
        min_value=Decimal(0),
        max_digits=18,
        decimal_places=2,
        initial=Decimal(0),
        help_text="In the tenant's base currency. 0 approves nothing.",
    )

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()
