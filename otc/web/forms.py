"""Forms of the shell's own pages: tenant settings and members."""

from __future__ import annotations

import functools
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
from PIL import Image, UnidentifiedImageError

from otc.tenancy.roles import INTERACTIVE_ROLES, Role
from otc.tenancy.services import TenantSettings

MAX_LOGO_BYTES = 1024 * 1024
LOGO_EXTENSIONS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "svg": "SVG"}
_SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
# Elements that run code or pull in other documents when an SVG renders.
_SVG_FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler"}

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

    def __init__(self, *args: Any, current_locale: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["base_currency"].choices = currency_choices()  # type: ignore[attr-defined]
        self.fields["timezone"].choices = timezone_choices()  # type: ignore[attr-defined]
        self.fields["locale"].choices = locale_choices(current_locale)  # type: ignore[attr-defined]
        self.logo_extension = ""

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
