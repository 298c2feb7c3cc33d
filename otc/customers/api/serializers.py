"""Input and output shapes of the customer API.

Inputs check shape only (types, lengths, known codes) and turn the ERP's
references (payment terms code, parent id or external ref, collector e-mail)
into objects of the caller's tenant; the services decide the business rules.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from moneyed import CURRENCIES
from rest_framework import serializers

from otc.api.serializers import StrictInputSerializer
from otc.customers import selectors
from otc.customers.models import (
    DOCUMENT_LANGUAGES,
    AddressKind,
    ContactRole,
    Customer,
    CustomerStatus,
    PaymentTerms,
    PaymentTermsKind,
)
from otc.errors import NotFound
from otc.tenancy.models import Tenant

_COUNTRY_CODES = frozenset(code for code, _ in countries)


class CountryCodeField(serializers.CharField):
    """ISO 3166-1 alpha-2, any case in, upper case out."""

    default_error_messages = {
        "unknown": "'{value}' is not an ISO 3166-1 alpha-2 country code: use one such as DE or US."
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_length", 2)
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("help_text", "ISO 3166-1 alpha-2 country code, e.g. `DE`.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data)).upper()
        if value not in _COUNTRY_CODES:
            self.fail("unknown", value=value)
        return value


class CurrencyCodeField(serializers.CharField):
    default_error_messages = {
        "unknown": "'{value}' is not an ISO 4217 currency code: use one such as EUR or USD."
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_length", 3)
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data)).upper()
        if value not in CURRENCIES:
            self.fail("unknown", value=value)
        return value


def _tenant(serializer: serializers.Serializer) -> Tenant:
    tenant: Tenant = serializer.context["tenant"]
    return tenant


# --- payment terms ------------------------------------------------------------------


class InstallmentSerializer(serializers.Serializer):
    share_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        help_text="This part's share of the document's amount; the parts add up to 100.",
    )
    net_days = serializers.IntegerField(min_value=0, max_value=32767)
    kind = serializers.ChoiceField(
        choices=PaymentTermsKind.choices,
        default=PaymentTermsKind.NET,
        help_text="`net`: due `net_days` after the document date; `eom`: after the month end.",
    )


class PaymentTermsOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=PaymentTermsKind.choices,
        help_text="`net`: due `net_days` after the document date; `eom`: due `net_days` "
        "after the end of the document's month.",
    )
    net_days = serializers.IntegerField()
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    discount_days = serializers.IntegerField()
    installments = serializers.SerializerMethodField(
        help_text="The parts split terms divide every invoice into, in due order; "
        "[] for terms with one due date."
    )
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(InstallmentSerializer(many=True))
    def get_installments(self, terms: PaymentTerms) -> list[dict[str, Any]]:
        return [
            {
                "share_percent": f"{part.share_percent:.2f}",
                "net_days": part.net_days,
                "kind": part.kind,
            }
            for part in selectors.payment_terms_installments(terms=terms)
        ]


class PaymentTermsInputSerializer(StrictInputSerializer):
    code = serializers.CharField(max_length=32, help_text="Unique per tenant; stored upper case.")
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(
        choices=PaymentTermsKind.choices,
        default=PaymentTermsKind.NET,
        help_text="`net`: due `net_days` after the document date; `eom`: due `net_days` "
        "after the end of the document's month.",
    )
    net_days = serializers.IntegerField(min_value=0, max_value=32767)
    discount_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal("99.99"),
        default=Decimal(0),
        help_text="Early-payment discount, e.g. `2.00` for 2/10 net 30.",
    )
    discount_days = serializers.IntegerField(
        min_value=0,
        max_value=32767,
        default=0,
        help_text="Days the discount applies; counted from the same date as the due date.",
    )
    installments = InstallmentSerializer(
        many=True,
        required=False,
        help_text="Split every invoice into parts (shares add up to exactly 100 %, no "
        "discount), e.g. 3X30: 30/30/40 % at 30/60/90 days. On PATCH the list "
        "replaces every part; [] removes the split. The terms' kind and net days "
        "become the last part's.",
    )
    is_active = serializers.BooleanField(default=True)


# --- contacts and addresses ---------------------------------------------------------------


class ContactOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    job_title = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    phone = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ContactRole.choices))


class ContactInputSerializer(StrictInputSerializer):
    id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Id of an existing contact of this customer to update; leave out for a new "
        "one. Fields left out of an item with an id keep their value.",
    )
    name = serializers.CharField(max_length=200, required=False)
    job_title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    email = serializers.EmailField(
        required=False, allow_blank=True, help_text="Required for dunning recipients."
    )
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ContactRole.choices),
        required=False,
        max_length=len(ContactRole.choices),
        help_text="`ap`: AP contact, `dunning`: dunning recipient, `signer`: authorized signer.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "id" not in attrs and not str(attrs.get("name", "")).strip():
            raise serializers.ValidationError({"name": ["A new contact needs a name."]})
        return attrs


class AddressOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AddressKind.choices)
    is_default = serializers.BooleanField(
        help_text="The address documents use for this kind; one per kind."
    )
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    line3 = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")


class AddressInputSerializer(StrictInputSerializer):
    id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Id of an existing address of this customer to update; leave out for a new "
        "one. Fields left out of an item with an id keep their value.",
    )
    kind = serializers.ChoiceField(choices=AddressKind.choices, required=False)
    is_default = serializers.BooleanField(required=False)
    line1 = serializers.CharField(max_length=200, required=False)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line3 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    country = CountryCodeField(
        required=False, help_text="ISO 3166-1 alpha-2; defaults to the customer's country."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "id" not in attrs:
            missing = [name for name in ("kind", "line1", "city") if not attrs.get(name)]
            if missing:
                raise serializers.ValidationError(
                    {name: ["Required for a new address."] for name in missing}
                )
        return attrs


# --- customers ---------------------------------------------------------------------------


class CustomerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_ref = serializers.CharField(allow_null=True, help_text="The ERP's id.")
    number = serializers.CharField()
    legal_name = serializers.CharField()
    trading_name = serializers.CharField()
    tax_id = serializers.CharField(help_text="Normalized, e.g. `DE136695976`; empty if none.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    currency = serializers.CharField(help_text="ISO 4217.")
    payment_terms_code = serializers.CharField(source="payment_terms.code", allow_null=True)
    parent_id = serializers.IntegerField(allow_null=True)
    parent_external_ref = serializers.SerializerMethodField()
    collector_email = serializers.SerializerMethodField()
    segment = serializers.CharField()
    region = serializers.CharField()
    status = serializers.ChoiceField(choices=CustomerStatus.choices)
    language = serializers.ChoiceField(choices=DOCUMENT_LANGUAGES)
    notes = serializers.CharField()
    contacts = ContactOutputSerializer(many=True)
    addresses = AddressOutputSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(
        help_text="Changes with every change of the customer, its contacts or addresses."
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_parent_external_ref(self, customer: Customer) -> str | None:
        return customer.parent.external_ref if customer.parent else None

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_collector_email(self, customer: Customer) -> str | None:
        return customer.collector.email if customer.collector else None


class CustomerInputSerializer(StrictInputSerializer):
    """POST creates (legal_name and country required); PATCH and the upsert
    PUT validate it partially, so only the fields sent are changed."""

    external_ref = serializers.CharField(
        max_length=100,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The ERP's id of this customer; unique per tenant. Empty or null: none.",
    )
    number = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Customer number; unique per tenant. Left out on create: the next free one.",
    )
    legal_name = serializers.CharField(max_length=200)
    trading_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    tax_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Checked against `country` (EU VAT number, UK VAT number, US EIN, Swiss UID "
        "or the country's tax number) and stored normalized.",
    )
    country = CountryCodeField()
    currency = CurrencyCodeField(
        required=False, help_text="ISO 4217; defaults to the tenant's base currency."
    )
    payment_terms_code = serializers.CharField(
        max_length=32, required=False, allow_null=True, help_text="Code of active payment terms."
    )
    parent_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="OTC id of the parent customer."
    )
    parent_external_ref = serializers.CharField(
        max_length=100,
        required=False,
        allow_null=True,
        help_text="Or the parent's external ref; send one of the two.",
    )
    collector_email = serializers.EmailField(
        required=False,
        allow_null=True,
        help_text="E-mail of a member of this tenant whose role works collections.",
    )
    segment = serializers.CharField(max_length=60, required=False, allow_blank=True)
    region = serializers.CharField(max_length=60, required=False, allow_blank=True)
    language = serializers.ChoiceField(
        choices=DOCUMENT_LANGUAGES,
        required=False,
        help_text="Language of documents; defaults to the tenant's.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    contacts = ContactInputSerializer(
        many=True,
        required=False,
        max_length=100,  # type: ignore[call-arg]
        help_text="On create: the contacts. On update: the complete list; contacts left out "
        "are removed, items with `id` are updated, identical items are kept.",
    )
    addresses = AddressInputSerializer(
        many=True,
        required=False,
        max_length=100,  # type: ignore[call-arg]
        help_text="Like `contacts`: on update the complete list.",
    )

    def validate_payment_terms_code(self, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return selectors.payment_terms_get_by_code(tenant=_tenant(self), code=value)
        except NotFound:
            raise serializers.ValidationError(f"No payment terms have the code {value}.") from None

    def validate_parent_id(self, value: int | None) -> Any:
        if value is None:
            return None
        try:
            return selectors.customer_get(tenant=_tenant(self), customer_id=value)
        except NotFound:
            raise serializers.ValidationError(f"No customer has the id {value}.") from None

    def validate_parent_external_ref(self, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return selectors.customer_get_by_external_ref(tenant=_tenant(self), external_ref=value)
        except NotFound:
            raise serializers.ValidationError(
                f"No customer has the external ref {value}."
            ) from None

    def validate_collector_email(self, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return selectors.tenant_user_get(tenant=_tenant(self), email=value)
        except NotFound:
            raise serializers.ValidationError(f"{value} is not a member of this tenant.") from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("parent_id") is not None and attrs.get("parent_external_ref") is not None:
            raise serializers.ValidationError(
                {"parent_external_ref": ["Send parent_id or parent_external_ref, not both."]}
            )
        return attrs


class CustomerStatusInputSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=CustomerStatus.choices)
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Kept in the audit trail."
    )


class CustomerFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, max_length=100, help_text="Part of name, number, external ref or tax id."
    )
    status = serializers.ChoiceField(choices=CustomerStatus.choices, required=False)
    country = CountryCodeField(required=False)
    currency = CurrencyCodeField(required=False, help_text="ISO 4217.")
    collector_email = serializers.EmailField(required=False)
    parent_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    segment = serializers.CharField(required=False, max_length=60)
    region = serializers.CharField(required=False, max_length=60)
    external_ref = serializers.CharField(required=False, max_length=100)
    updated_since = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601 date-time. Only customers changed at or after it (their contacts "
        "and addresses count), oldest change first.",
    )
