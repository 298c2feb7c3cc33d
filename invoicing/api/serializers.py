"""Input and output shapes of the invoicing API.

Inputs check shape (types, lengths, codes) and turn the ERP's references
(customer id, external ref or number; payment terms code; related invoice
id) into objects of the caller's tenant; the services decide the business
rules. Outputs show every amount as a decimal string at the minor unit of
its currency (``"1190.00"``, ``"1101"`` for JPY, ``"1.297"`` for KWD).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from moneyed import CURRENCIES
from rest_framework import serializers

from invoicing import selectors
from invoicing.models import (
    PERCENT_DECIMALS,
    PERCENT_DIGITS,
    PRICE_DECIMALS,
    PRICE_DIGITS,
    QUANTITY_DECIMALS,
    QUANTITY_DIGITS,
    DeliveryStatus,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceOrigin,
    InvoiceStatus,
    TaxCategory,
)
from invoicing.services import MAX_LINES, LineInput
from otc.api.serializers import StrictInputSerializer
from otc.customers.models import Customer, PaymentTerms
from otc.customers.selectors import (
    customer_get,
    customer_get_by_external_ref,
    customer_list,
    payment_terms_get_by_code,
)
from otc.errors import NotFound
from otc.fx.money import quantize_money
from otc.tenancy.models import Tenant

_AMOUNT_SCHEMA = {"type": "string", "format": "decimal", "example": "1190.00"}


def _tenant(serializer: serializers.Serializer) -> Tenant:
    tenant: Tenant = serializer.context["tenant"]
    return tenant


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
        if value not in CURRENCIES or value in {"XXX", "XTS"}:
            self.fail("unknown", value=value)
        return value


@extend_schema_field(_AMOUNT_SCHEMA)
class AmountField(serializers.Field):
    """An amount of the object, at the minor unit of the object's currency."""

    def __init__(self, attribute: str, *, currency_attribute: str = "currency", **kwargs: Any):
        self.attribute = attribute
        self.currency_attribute = currency_attribute
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        amount = getattr(value, self.attribute)
        currency = getattr(value, self.currency_attribute) or ""
        if amount is None or not currency:
            return None
        return str(quantize_money(Decimal(amount), str(currency)))


@extend_schema_field({**_AMOUNT_SCHEMA, "nullable": True})
class NullableAmountField(AmountField):
    pass


# --- lines -------------------------------------------------------------------------


class LineInputSerializer(StrictInputSerializer):
    description = serializers.CharField(max_length=500)
    quantity = serializers.DecimalField(
        max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_DECIMALS, help_text="Not zero."
    )
    unit = serializers.RegexField(
        r"^[A-Z0-9]{2,3}$",
        default="C62",
        help_text="UN/ECE Recommendation 20 code: C62 piece, HUR hour, KGM kilogram...",
    )
    unit_price = serializers.DecimalField(
        max_digits=PRICE_DIGITS,
        decimal_places=PRICE_DECIMALS,
        help_text="Net of tax, before the line discount; up to 6 decimals.",
    )
    discount_percent = serializers.DecimalField(
        max_digits=PERCENT_DIGITS,
        decimal_places=PERCENT_DECIMALS,
        min_value=Decimal(0),
        max_value=Decimal("99.99"),
        default=Decimal(0),
    )
    tax_rate = serializers.DecimalField(
        max_digits=PERCENT_DIGITS,
        decimal_places=PERCENT_DECIMALS,
        min_value=Decimal(0),
        max_value=Decimal("99.99"),
        help_text="Percent, e.g. `19.00`; 0 for the categories other than S.",
    )
    tax_category = serializers.ChoiceField(
        choices=TaxCategory.choices,
        default=TaxCategory.STANDARD,
        help_text="EN 16931 VAT category: S standard (rate > 0); Z, E, AE, K, G carry 0 %.",
    )
    product_code = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )

    @staticmethod
    def to_line(data: dict[str, Any]) -> LineInput:
        return LineInput(
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            tax_rate=data["tax_rate"],
            tax_category=data["tax_category"],
            discount_percent=data["discount_percent"],
            unit=data["unit"],
            product_code=data["product_code"],
        )


@extend_schema_field(LineInputSerializer(many=True))
class LinesField(serializers.Field):
    """A list of lines, each validated in full even inside a PATCH (a line is
    always sent whole: `lines` replaces all lines)."""

    default_error_messages = {
        "not_a_list": "Send the lines as a list.",
        "too_short": "Send at least {min_length} line(s).",
        "too_long": "Send at most {max_length} lines.",
    }

    def __init__(self, *, min_length: int = 0, max_length: int = MAX_LINES, **kwargs: Any):
        self.min_length = min_length
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[LineInput]:
        if not isinstance(data, list):
            self.fail("not_a_list")
        if len(data) < self.min_length:
            self.fail("too_short", min_length=self.min_length)
        if len(data) > self.max_length:
            self.fail("too_long", max_length=self.max_length)
        lines = LineInputSerializer(data=data, many=True)
        if not lines.is_valid():
            raise serializers.ValidationError(lines.errors)
        return [LineInputSerializer.to_line(line) for line in lines.validated_data]

    def to_representation(self, value: Any) -> Any:
        raise NotImplementedError("Input only.")


class LineOutputSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    product_code = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=4)
    unit = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=PRICE_DIGITS, decimal_places=6)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    tax_category = serializers.ChoiceField(choices=TaxCategory.choices)
    order_line_id = serializers.IntegerField(
        allow_null=True, help_text="The sales order line this line bills, if any."
    )
    line_net = serializers.SerializerMethodField()

    @extend_schema_field(_AMOUNT_SCHEMA)
    def get_line_net(self, line: InvoiceLine) -> str:
        return str(quantize_money(line.line_net, self.context["currency"]))


class TaxGroupOutputSerializer(serializers.Serializer):
    tax_category = serializers.ChoiceField(choices=TaxCategory.choices)
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    net = serializers.CharField(help_text="Sum of the line nets of this category and rate.")
    tax = serializers.CharField(help_text="round(net * rate / 100), half-up.")


# --- references -------------------------------------------------------------------------


class CustomerRefsMixin(serializers.Serializer):
    """One of three ways to name the customer; the view resolves it."""

    customer_id = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="OTC id of the customer."
    )
    customer_external_ref = serializers.CharField(
        required=False, max_length=100, help_text="Or the ERP's id of the customer."
    )
    customer_number = serializers.CharField(
        required=False, max_length=32, help_text="Or the customer number."
    )

    _CUSTOMER_FIELDS = ("customer_id", "customer_external_ref", "customer_number")

    def _resolve_customer(self, attrs: dict[str, Any], *, required: bool) -> None:
        sent = [name for name in self._CUSTOMER_FIELDS if name in attrs]
        if len(sent) > 1:
            raise serializers.ValidationError(
                {sent[1]: [f"Name the customer once: {sent[0]} or {sent[1]}, not both."]}
            )
        if not sent:
            if required:
                raise serializers.ValidationError(
                    {"customer_id": ["Name the customer: customer_id, external ref or number."]}
                )
            return
        name = sent[0]
        value = attrs.pop(name)
        customer = _resolver(self).get(name, value)
        if customer is None:
            raise serializers.ValidationError(
                {name: [f"No customer has the {_WHAT[name]} {value}."]}
            )
        attrs["customer"] = customer


_WHAT = {"customer_id": "id", "customer_external_ref": "external ref", "customer_number": "number"}


class CustomerResolver:
    """Customers by id, external ref or number, and payment terms by code,
    looked up once per value (a bulk request names the same ones many times)."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._cache: dict[tuple[str, Any], Customer | None] = {}
        self._terms: dict[str, PaymentTerms | None] = {}

    def terms(self, code: str) -> PaymentTerms | None:
        if code not in self._terms:
            try:
                self._terms[code] = payment_terms_get_by_code(tenant=self.tenant, code=code)
            except NotFound:
                self._terms[code] = None
        return self._terms[code]

    def preload(self, items: list[Any]) -> None:
        wanted: dict[str, set[Any]] = {name: set() for name in _WHAT}
        for item in items:
            if isinstance(item, dict):
                for name in _WHAT:
                    value = item.get(name)
                    if isinstance(value, (int, str)) and not isinstance(value, bool):
                        wanted[name].add(value)
        customers = customer_list(tenant=self.tenant)
        lookups = {
            "customer_id": ("pk", {v for v in wanted["customer_id"] if _is_id(v)}),
            "customer_external_ref": ("external_ref", wanted["customer_external_ref"]),
            "customer_number": ("number", wanted["customer_number"]),
        }
        for name, (field, values) in lookups.items():
            if not values:
                continue
            for customer in customers.filter(**{f"{field}__in": list(values)}):
                self._cache[(name, getattr(customer, field))] = customer

    def get(self, name: str, value: Any) -> Customer | None:
        key = (name, value)
        if key not in self._cache:
            found: Customer | None
            try:
                if name == "customer_id":
                    found = customer_get(tenant=self.tenant, customer_id=value)
                elif name == "customer_external_ref":
                    found = customer_get_by_external_ref(tenant=self.tenant, external_ref=value)
                else:
                    found = customer_list(tenant=self.tenant).filter(number=value).first()
            except NotFound:
                found = None
            self._cache[key] = found
        return self._cache[key]


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and 0 < value < 2**63


def _resolver(serializer: serializers.Serializer) -> CustomerResolver:
    resolver: CustomerResolver | None = serializer.context.get("customers")
    return resolver if resolver is not None else CustomerResolver(_tenant(serializer))


def _terms(serializer: serializers.Serializer, code: str | None) -> PaymentTerms | None:
    if code is None:
        return None
    terms = _resolver(serializer).terms(code)
    if terms is None:
        raise serializers.ValidationError(f"No payment terms have the code {code}.")
    return terms


# --- invoices ------------------------------------------------------------------------------


class InvoiceInputSerializer(CustomerRefsMixin, StrictInputSerializer):
    """POST creates a draft (the customer is required); PATCH validates it
    partially and changes only what is sent. `lines`, when sent, replace
    all lines."""

    currency = CurrencyCodeField(
        required=False, help_text="ISO 4217; defaults to the customer's currency."
    )
    series = serializers.RegexField(
        r"^[A-Za-z0-9]{1,16}$",
        required=False,
        help_text="Numbering series, e.g. `INV` (the default) or `EXP`.",
    )
    issue_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The document date it is meant to be issued on; default: the day of issue.",
    )
    due_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Fixes the due date; null or left out: it follows the payment terms.",
    )
    payment_terms_code = serializers.CharField(
        max_length=32,
        required=False,
        allow_null=True,
        help_text="Defaults to the customer's payment terms.",
    )
    external_ref = serializers.CharField(
        max_length=100,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The ERP's id of the invoice; unique per tenant. Empty or null: none.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    buyer_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="E.g. a Leitweg-ID."
    )
    po_number = serializers.CharField(required=False, allow_blank=True, max_length=100)
    lines = LinesField(
        required=False, help_text=f"Up to {MAX_LINES} lines; when sent, they replace all lines."
    )

    def validate_payment_terms_code(self, value: str | None) -> Any:
        return _terms(self, value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        self._resolve_customer(attrs, required=not self.partial)
        return attrs

    @staticmethod
    def service_fields(validated: dict[str, Any]) -> tuple[dict[str, Any], list[LineInput] | None]:
        """Validated input as service keywords (API names mapped) and the lines."""
        data = dict(validated)
        lines = data.pop("lines", None)
        if "payment_terms_code" in data:
            data["payment_terms"] = data.pop("payment_terms_code")
        if "series" in data:
            data["series"] = data["series"].upper()
        return data, lines


class BulkItemInputSerializer(InvoiceInputSerializer):
    issue = serializers.BooleanField(
        default=False, help_text="true: issue the invoice at once (numbered, in the ledger)."
    )


class BulkInputSerializer(StrictInputSerializer):
    items = serializers.ListField(
        child=serializers.JSONField(),
        min_length=1,
        max_length=1000,
        help_text="1 to 1,000 invoices, each shaped like POST /invoices/ plus `issue`. "
        "Each item is validated and written on its own (see the endpoint description).",
    )


class IssueInputSerializer(StrictInputSerializer):
    issue_date = serializers.DateField(
        required=False, help_text="Default: the draft's issue date, else today."
    )


class FromOrderLineSerializer(StrictInputSerializer):
    order_line_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = serializers.DecimalField(
        max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_DECIMALS, min_value=Decimal("0.0001")
    )


class FromOrderInputSerializer(StrictInputSerializer):
    order_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    lines = FromOrderLineSerializer(
        many=True,
        required=False,
        help_text="Quantities to bill per order line (up to 1,000); default: everything not "
        "yet billed.",
    )
    issue_date = serializers.DateField(required=False)

    def validate_lines(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [line["order_line_id"] for line in value]
        if len(ids) > MAX_LINES:
            raise serializers.ValidationError(f"At most {MAX_LINES} lines.")
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("Name each order line once.")
        return value


class CancelInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    cancel_date = serializers.DateField(
        required=False, help_text="Date of the cancelling credit memo; default today."
    )


class MemoInputSerializer(CustomerRefsMixin, StrictInputSerializer):
    related_invoice_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The invoice the memo corrects. Without it, name the customer.",
    )
    currency = CurrencyCodeField(
        required=False, help_text="Default: the invoice's, else the customer's currency."
    )
    issue = serializers.BooleanField(
        default=True, help_text="false: keep the memo as a draft (issue it later)."
    )
    issue_date = serializers.DateField(required=False)
    series = serializers.RegexField(r"^[A-Za-z0-9]{1,16}$", required=False)
    external_ref = serializers.CharField(
        max_length=100, required=False, allow_null=True, allow_blank=True
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    buyer_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=100, default=""
    )
    po_number = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    lines = LinesField(min_length=1, help_text=f"1 to {MAX_LINES} lines.")

    def validate_related_invoice_id(self, value: int) -> Invoice:
        try:
            return selectors.invoice_get(tenant=_tenant(self), invoice_id=value)
        except NotFound:
            raise serializers.ValidationError(f"No invoice has the id {value}.") from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        self._resolve_customer(attrs, required="related_invoice_id" not in attrs)
        return attrs

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        if "related_invoice_id" in data:
            data["related_invoice"] = data.pop("related_invoice_id")
        if "series" in data:
            data["series"] = data["series"].upper()
        data["origin"] = InvoiceOrigin.API
        return data


class DebitMemoInputSerializer(MemoInputSerializer):
    due_date = serializers.DateField(required=False, help_text="Default: from the terms.")
    payment_terms_code = serializers.CharField(max_length=32, required=False)

    def validate_payment_terms_code(self, value: str | None) -> Any:
        return _terms(self, value)

    def service_fields(self) -> dict[str, Any]:
        data = super().service_fields()
        if "payment_terms_code" in data:
            data["payment_terms"] = data.pop("payment_terms_code")
        return data


class InvoiceFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)
    customer_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    currency = CurrencyCodeField(required=False, help_text="ISO 4217.")
    due_before = serializers.DateField(required=False, help_text="Due on or before this date.")
    due_after = serializers.DateField(required=False, help_text="Due on or after this date.")
    overdue = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: issued or partly paid and due before today (tenant's time zone).",
    )
    external_ref = serializers.CharField(required=False, max_length=100)
    updated_since = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601 date-time. Only documents changed at or after it (a payment "
        "changes the status, so it counts), oldest change first.",
    )


# --- output ----------------------------------------------------------------------------


class CustomerSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    legal_name = serializers.CharField()
    external_ref = serializers.CharField(allow_null=True)


class InstallmentOutputSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    due_date = serializers.DateField()
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    amount = serializers.CharField(help_text="Decimal string in the document's currency.")
    base_amount = serializers.CharField(help_text="Decimal string in the base currency.")
    open_amount = serializers.CharField(help_text="Still unpaid on this part.")
    is_overdue = serializers.BooleanField()


class InvoiceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=InvoiceKind.choices)
    status = serializers.ChoiceField(
        choices=InvoiceStatus.choices,
        help_text="For credit memos, partially_paid / paid mean partly / fully used.",
    )
    origin = serializers.ChoiceField(choices=InvoiceOrigin.choices)
    number = serializers.CharField(help_text="Empty on drafts; assigned at issue.")
    series = serializers.CharField()
    customer = CustomerSummarySerializer()
    currency = serializers.CharField(help_text="ISO 4217.")
    issue_date = serializers.DateField(allow_null=True)
    due_date = serializers.DateField(
        allow_null=True,
        help_text="When it falls due; for an invoice in installments, the first "
        "installment's date (EN 16931 BT-9). The parts are in `installments`.",
    )
    payment_terms_code = serializers.CharField(source="payment_terms.code", allow_null=True)
    installment_count = serializers.IntegerField(
        help_text="How many installments the invoice was issued in; 0 when owed as one item."
    )
    installments = serializers.SerializerMethodField()
    discount_date = serializers.DateField(
        allow_null=True, help_text="Last day of the early-payment discount."
    )
    discount_amount = AmountField("discount_amount")
    external_ref = serializers.CharField(allow_null=True)
    related_invoice_id = serializers.IntegerField(allow_null=True)
    source_order_id = serializers.IntegerField(
        allow_null=True, help_text="The sales order this invoice bills, if any."
    )
    cancellation_memo_id = serializers.IntegerField(allow_null=True)
    notes = serializers.CharField()
    buyer_reference = serializers.CharField()
    po_number = serializers.CharField()
    net_amount = AmountField("net_amount")
    tax_amount = AmountField("tax_amount")
    gross_amount = AmountField("gross_amount")
    tax_summary = serializers.SerializerMethodField()
    base_currency = serializers.CharField(help_text="Empty on drafts.")
    fx_rate = serializers.DecimalField(
        max_digits=20,
        decimal_places=10,
        allow_null=True,
        help_text="Locked at issue: 1 document currency = fx_rate base currency.",
    )
    base_gross_amount = NullableAmountField("base_gross_amount", currency_attribute="base_currency")
    open_amount = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)

    def _lines(self, invoice: Invoice) -> list[InvoiceLine]:
        return list(invoice.lines.all())  # prefetched by the view

    @extend_schema_field(TaxGroupOutputSerializer(many=True))
    def get_tax_summary(self, invoice: Invoice) -> list[dict[str, Any]]:
        currency = str(invoice.currency)
        return [
            {
                "tax_category": group.category,
                "rate": f"{group.rate:.2f}",
                "net": str(quantize_money(group.net, currency)),
                "tax": str(quantize_money(group.tax, currency)),
            }
            for group in selectors.invoice_tax_summary(
                lines=self._lines(invoice), currency=currency
            )
        ]

    @extend_schema_field(
        {
            **_AMOUNT_SCHEMA,
            "nullable": True,
            "description": "Still open in the ledger, as the document shows amounts: unpaid "
            "(invoices, debit memos) or unused (credit memos). Null on drafts and "
            "discarded drafts.",
        }
    )
    def get_open_amount(self, invoice: Invoice) -> str | None:
        amounts = selectors.document_open_amounts(invoice=invoice)
        if amounts is None:
            return None
        return str(quantize_money(amounts[0], str(invoice.currency)))

    @extend_schema_field(InstallmentOutputSerializer(many=True))
    def get_installments(self, invoice: Invoice) -> list[dict[str, Any]]:
        """The payment schedule of a split invoice, with what is open on each
        part; [] for documents owed as one item."""
        if not invoice.installment_count:
            return []
        currency, base = str(invoice.currency), str(invoice.base_currency)
        return [
            {
                "sequence": row.sequence,
                "due_date": row.due_date,
                "share_percent": f"{row.share_percent:.2f}",
                "amount": str(quantize_money(row.amount, currency)),
                "base_amount": str(quantize_money(row.base_amount, base)),
                "open_amount": str(quantize_money(row.open_amount, currency)),
                "is_overdue": row.is_overdue,
            }
            for row in selectors.invoice_installment_rows(tenant=invoice.tenant, invoice=invoice)
        ]

    @extend_schema_field(LineOutputSerializer(many=True))
    def get_lines(self, invoice: Invoice) -> Any:
        return LineOutputSerializer(
            self._lines(invoice), many=True, context={"currency": str(invoice.currency)}
        ).data


class BulkProblemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="E.g. `lines[0].quantity`.")
    message = serializers.CharField()
    code = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in `items`, from 0.")
    status = serializers.ChoiceField(choices=["created", "exists", "error"])
    id = serializers.IntegerField(allow_null=True)
    number = serializers.CharField(allow_null=True, help_text="Set when the invoice is issued.")
    external_ref = serializers.CharField(allow_null=True)
    problems = BulkProblemSerializer(many=True)


class BulkSummarySerializer(serializers.Serializer):
    created = serializers.IntegerField()
    exists = serializers.IntegerField()
    # Shadows Serializer.errors for type checkers only: output, never validated.
    errors = serializers.IntegerField()  # type: ignore[assignment]


class BulkOutputSerializer(serializers.Serializer):
    summary = BulkSummarySerializer()
    results = BulkResultSerializer(many=True)


# --- documents and delivery -----------------------------------------------------------


class DocumentFormatSerializer(StrictInputSerializer):
    format = serializers.ChoiceField(
        choices=[
            ("facturx", "Factur-X / ZUGFeRD CII XML (EN 16931), as embedded in the PDF"),
            ("ubl", "UBL 2.1 XML in the Peppol BIS Billing 3.0 shape"),
        ],
        default="facturx",
        help_text="`facturx` (default): the CII XML embedded in the PDF; `ubl`: UBL 2.1.",
    )


class SendInputSerializer(StrictInputSerializer):
    recipients = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        required=False,
        allow_empty=True,
        max_length=20,
        help_text="E-mail addresses. Default (absent or empty): the customer's AP contacts.",
    )


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    invoice_id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=DeliveryStatus.choices,
        help_text="queued (waiting, or waiting for a retry after `next_attempt_at`), sending "
        "(handed to the mail server), sent, failed (see `failure_reason`).",
    )
    recipients = serializers.ListField(child=serializers.EmailField())
    subject = serializers.CharField(help_text="Empty until sent.")
    attempts = serializers.IntegerField()
    failure_reason = serializers.CharField(
        help_text="Why the last attempt failed; empty once sent."
    )
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    message_id = serializers.CharField(help_text="The Message-ID of the e-mail; empty until sent.")
    document_sha256 = serializers.CharField(
        help_text="SHA-256 of the PDF that was attached; empty until sent."
    )
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
