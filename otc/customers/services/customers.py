"""Customers: create, change master data, move status, upsert from an ERP."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from django.db import IntegrityError, connection, transaction
from moneyed import CURRENCIES

from otc.accounts.models import User
from otc.audit.services import Actor, audit_record, snapshot
from otc.customers.models import (
    DOCUMENT_LANGUAGES,
    Customer,
    CustomerNumberSequence,
    CustomerStatus,
    PaymentTerms,
)
from otc.customers.services.addresses import (
    AddressData,
    address_add_locked,
    addresses_sync_locked,
)
from otc.customers.services.common import added, changed, full_clean, lock_customer
from otc.customers.services.contacts import (
    ContactData,
    contact_add_locked,
    contacts_sync_locked,
)
from otc.customers.tax_ids import TaxIdError, normalize_tax_id
from otc.errors import ConflictError, IllegalTransition, ValidationFailed
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import Perm, role_can


class CustomerFields(TypedDict, total=False):
    """The customer fields a write may set. Status is not among them: it
    moves only through ``customer_set_status`` and its transition table."""

    external_ref: str | None
    number: str
    legal_name: str
    trading_name: str
    tax_id: str
    country: str
    currency: str
    payment_terms: PaymentTerms | None
    parent: Customer | None
    collector: User | None
    segment: str
    region: str
    language: str
    notes: str


CUSTOMER_AUDIT_FIELDS = [
    "external_ref",
    "number",
    "legal_name",
    "trading_name",
    "tax_id",
    "country",
    "currency",
    "payment_terms_id",
    "parent_id",
    "collector_id",
    "segment",
    "region",
    "status",
    "language",
    "notes",
]

# Which status may follow which. Every status can close; a closed customer
# comes back only as active, so it is looked at again before anything else.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    CustomerStatus.ACTIVE: frozenset(
        {CustomerStatus.ON_HOLD, CustomerStatus.IN_LEGAL, CustomerStatus.CLOSED}
    ),
    CustomerStatus.ON_HOLD: frozenset(
        {CustomerStatus.ACTIVE, CustomerStatus.IN_LEGAL, CustomerStatus.CLOSED}
    ),
    CustomerStatus.IN_LEGAL: frozenset({CustomerStatus.ACTIVE, CustomerStatus.CLOSED}),
    CustomerStatus.CLOSED: frozenset({CustomerStatus.ACTIVE}),
}

# Deeper than this is a data error, not a real group structure.
MAX_HIERARCHY_DEPTH = 50

_LANGUAGE_CODES = frozenset(code for code, _ in DOCUMENT_LANGUAGES)
_RELATIONS = ("payment_terms", "parent", "collector")


def allowed_statuses(status: str) -> list[str]:
    """The statuses a customer in `status` may move to, in display order."""
    return [value for value in CustomerStatus.values if value in STATUS_TRANSITIONS[status]]


# --- rules ----------------------------------------------------------------------


def _next_customer_number(tenant: Tenant) -> str:
    """The tenant's next free automatic number, e.g. C00042.

    The sequence row is locked, so two concurrent creations never draw the
    same number; numbers someone typed in by hand are skipped over.
    """
    sequences = CustomerNumberSequence.objects.for_tenant(tenant)
    sequences.get_or_create(tenant=tenant)
    sequence = sequences.select_for_update().get()
    taken = Customer.objects.for_tenant(tenant)
    while True:
        candidate = f"C{sequence.next_value:05d}"
        sequence.next_value += 1
        if not taken.filter(number=candidate).exists():
            break
    sequence.save(update_fields=["next_value"])
    return candidate


def _lock_hierarchy(tenant: Tenant) -> None:
    """Serialize parent changes within a tenant: two concurrent moves (A under
    B, B under A) would each pass the cycle check on their own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"customers.hierarchy:{tenant.pk}"],
        )


def _parent_problem(*, tenant: Tenant, customer: Customer, parent: Customer) -> str | None:
    if parent.tenant_id != tenant.pk:
        return "Choose a parent customer that exists."
    if customer.pk is not None and parent.pk == customer.pk:
        return "A customer cannot be its own parent."
    ancestors = Customer.objects.for_tenant(tenant)
    current: int | None = parent.pk
    for _ in range(MAX_HIERARCHY_DEPTH):
        if current is None:
            return None
        if customer.pk is not None and current == customer.pk:
            return (
                f"{parent.display_name} belongs to {customer.display_name}'s group already, "
                "so it cannot be its parent too: choose a customer outside this group."
            )
        current = ancestors.filter(pk=current).values_list("parent_id", flat=True).first()
    return f"The group above {parent.display_name} is more than {MAX_HIERARCHY_DEPTH} levels deep."


def _collector_problem(*, tenant: Tenant, collector: User) -> str | None:
    membership = (
        Membership.objects.for_tenant(tenant).filter(user=collector, is_active=True).first()
    )
    if membership is None:
        return f"{collector.email} is not a member of this company: choose one of its users."
    if not role_can(membership.role, Perm.COLLECTIONS_WORK):
        return (
            f"{collector.email} is a {membership.role_enum.label}, a role that does not work "
            "collections: choose a collector, a credit manager or an owner."
        )
    return None


def _terms_problem(*, tenant: Tenant, terms: PaymentTerms, current_id: Any) -> str | None:
    if terms.tenant_id != tenant.pk:
        return "Choose payment terms that exist."
    if not terms.is_active and terms.pk != current_id:
        return f"Payment terms {terms.code} are inactive: choose active terms or reactivate them."
    return None


def _clean_text(customer: Customer) -> None:
    if customer.external_ref is not None:
        customer.external_ref = str(customer.external_ref).strip() or None
    for name in ("number", "legal_name", "trading_name", "segment", "region", "notes"):
        setattr(customer, name, str(getattr(customer, name) or "").strip())
    customer.tax_id = str(customer.tax_id or "").strip()
    customer.currency = str(customer.currency or "").strip().upper()
    customer.country = str(customer.country or "").strip().upper()


def _field_problems(customer: Customer, *, touched: set[str]) -> dict[str, list[str]]:
    country = str(customer.country)
    errors: dict[str, list[str]] = {}
    if not customer.legal_name:
        errors["legal_name"] = ["Enter the customer's legal name as it appears on invoices."]
    if not country:
        errors["country"] = ["Choose the country the customer is registered in."]
    if customer.currency not in CURRENCIES:
        errors["currency"] = [
            (
                f"'{customer.currency}' is not an ISO 4217 currency code: use one such as EUR, "
                "USD or GBP."
            )
        ]
    if customer.language not in _LANGUAGE_CODES:
        choices = ", ".join(sorted(_LANGUAGE_CODES))
        errors["language"] = [
            f"Documents cannot be printed in '{customer.language}': choose one of {choices}."
        ]
    # Re-check the tax id whenever it or the country changes: a number valid
    # in one country is almost always invalid in another.
    if country and {"tax_id", "country"} & touched:
        try:
            customer.tax_id = normalize_tax_id(customer.tax_id, country=country)
        except TaxIdError as error:
            errors["tax_id"] = [str(error)]
    return errors


def _relation_problems(
    customer: Customer, *, tenant: Tenant, touched: set[str], before: Mapping[str, Any]
) -> dict[str, list[str]]:
    problems: dict[str, str | None] = {}
    if "payment_terms" in touched and customer.payment_terms is not None:
        problems["payment_terms"] = _terms_problem(
            tenant=tenant, terms=customer.payment_terms, current_id=before.get("payment_terms_id")
        )
    if "parent" in touched and customer.parent is not None:
        problems["parent"] = _parent_problem(
            tenant=tenant, customer=customer, parent=customer.parent
        )
    if "collector" in touched and customer.collector is not None:
        problems["collector"] = _collector_problem(tenant=tenant, collector=customer.collector)
    return {field: [problem] for field, problem in problems.items() if problem}


def _validate(
    customer: Customer, *, tenant: Tenant, touched: set[str], before: Mapping[str, Any]
) -> None:
    """Every rule of a customer record; one message per field to fix."""
    _clean_text(customer)
    errors = _field_problems(customer, touched=touched)
    errors.update(_relation_problems(customer, tenant=tenant, touched=touched, before=before))
    if errors:
        raise ValidationFailed("Some fields need fixing.", errors=errors)
    full_clean(customer, exclude=[] if customer.number else ["number"])
    _check_unique(customer, tenant=tenant)


def _check_unique(customer: Customer, *, tenant: Tenant) -> None:
    others = Customer.objects.for_tenant(tenant)
    if customer.pk is not None:
        others = others.exclude(pk=customer.pk)
    errors: dict[str, list[str]] = {}
    if customer.number:
        holder = others.filter(number=customer.number).first()
        if holder is not None:
            errors["number"] = [
                (
                    f"Customer number {customer.number} belongs to {holder.display_name}: "
                    "choose another, or leave it empty for the next free number."
                )
            ]
    if customer.external_ref:
        holder = others.filter(external_ref=customer.external_ref).first()
        if holder is not None:
            errors["external_ref"] = [
                (
                    f"External reference {customer.external_ref} belongs to customer "
                    f"{holder.number} ({holder.display_name}) already."
                )
            ]
    if errors:
        raise ValidationFailed("The customer clashes with another one.", errors=errors)


def _save(customer: Customer) -> None:
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as error:
        raise ConflictError(
            "Another customer with this number or external reference was saved at the same "
            "time. Reload and try again."
        ) from error


def _document_language(tenant: Tenant) -> str:
    language = (tenant.locale or "en")[:2].lower()
    return language if language in _LANGUAGE_CODES else "en"


# --- services -------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    tenant: Tenant,
    actor: Actor,
    legal_name: str,
    country: str,
    number: str = "",
    external_ref: str | None = None,
    trading_name: str = "",
    tax_id: str = "",
    currency: str | None = None,
    payment_terms: PaymentTerms | None = None,
    parent: Customer | None = None,
    collector: User | None = None,
    segment: str = "",
    region: str = "",
    language: str | None = None,
    notes: str = "",
    contacts: Sequence[Mapping[str, Any]] = (),
    addresses: Sequence[Mapping[str, Any]] = (),
) -> Customer:
    """A new, active customer: in the tenant's base currency and document
    language unless told otherwise, with the next free number unless given."""
    customer = Customer(
        tenant=tenant,
        external_ref=external_ref,
        number=number,
        legal_name=legal_name,
        trading_name=trading_name,
        tax_id=tax_id,
        country=country,
        currency=currency or str(tenant.base_currency),
        payment_terms=payment_terms,
        parent=parent,
        collector=collector,
        segment=segment,
        region=region,
        status=CustomerStatus.ACTIVE,
        language=language or _document_language(tenant),
        notes=notes,
    )
    _validate(customer, tenant=tenant, touched={"tax_id", "country", *_RELATIONS}, before={})
    if not customer.number:
        customer.number = _next_customer_number(tenant)
    _save(customer)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.created",
        instance=customer,
        changes=added(snapshot(customer, CUSTOMER_AUDIT_FIELDS)),
    )
    for index, contact in enumerate(contacts):
        contact_add_locked(tenant=tenant, actor=actor, customer=customer, data=contact, index=index)
    for index, address in enumerate(addresses):
        address_add_locked(tenant=tenant, actor=actor, customer=customer, data=address, index=index)
    return customer


def _update_locked(
    *, tenant: Tenant, actor: Actor, customer: Customer, data: Mapping[str, Any]
) -> Customer:
    before = snapshot(customer, CUSTOMER_AUDIT_FIELDS)
    for name, value in data.items():
        setattr(customer, name, value)
    if "number" in data and not str(customer.number or "").strip():
        raise ValidationFailed(
            "A customer number is required.",
            errors={"number": ["Enter a customer number: an existing customer keeps one."]},
        )
    _validate(customer, tenant=tenant, touched=set(data), before=before)
    changes = changed(before, snapshot(customer, CUSTOMER_AUDIT_FIELDS))
    if changes:
        _save(customer)
        audit_record(
            tenant=tenant,
            actor=actor,
            action="customer.updated",
            instance=customer,
            changes=changes,
        )
    return customer


def _sync_children(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    contacts: Sequence[ContactData] | None,
    addresses: Sequence[AddressData] | None,
) -> None:
    if contacts is not None:
        contacts_sync_locked(tenant=tenant, actor=actor, customer=customer, contacts=contacts)
    if addresses is not None:
        addresses_sync_locked(tenant=tenant, actor=actor, customer=customer, addresses=addresses)
    if contacts is not None or addresses is not None:
        customer.save(update_fields=["updated_at"])


@transaction.atomic
def customer_update(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    data: CustomerFields,
    contacts: Sequence[ContactData] | None = None,
    addresses: Sequence[AddressData] | None = None,
) -> Customer:
    """Change master data; only the fields in `data` are touched. Given
    `contacts` / `addresses` replace the customer's lists (see the sync
    services); None leaves them alone."""
    if "parent" in data:
        _lock_hierarchy(tenant)
    customer = lock_customer(tenant=tenant, customer=customer)
    customer = _update_locked(tenant=tenant, actor=actor, customer=customer, data=data)
    _sync_children(
        tenant=tenant, actor=actor, customer=customer, contacts=contacts, addresses=addresses
    )
    return customer


@transaction.atomic
def customer_upsert_by_external_ref(
    *,
    tenant: Tenant,
    actor: Actor,
    external_ref: str,
    data: CustomerFields,
    contacts: Sequence[ContactData] | None = None,
    addresses: Sequence[AddressData] | None = None,
) -> tuple[Customer, bool]:
    """Create or update the customer an ERP knows as `external_ref`; returns
    (customer, created). Repeating the same call changes nothing.

    Fields not in `data` keep their value on update, so what OTC owns (the
    collector, the status, notes) survives an ERP that does not send them.
    """
    ref = external_ref.strip()
    if not ref:
        raise ValidationFailed(
            "An external reference is required.",
            errors={"external_ref": ["Give the ERP's id of this customer."]},
        )
    if "external_ref" in data and (data["external_ref"] or "").strip() != ref:
        raise ValidationFailed(
            "The external reference in the body differs from the one in the URL.",
            errors={"external_ref": [f"Leave it out or send '{ref}', as in the URL."]},
        )
    # Lock the reference itself, so two first-time calls for one new
    # customer cannot both decide to create it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"customers.external_ref:{tenant.pk}:{ref}"],
        )
    existing = Customer.objects.for_tenant(tenant).filter(external_ref=ref).first()
    if existing is None:
        missing = [name for name in ("legal_name", "country") if not data.get(name)]
        if missing:
            raise ValidationFailed(
                "A new customer needs a legal name and a country.",
                errors={name: ["Required when the customer is created."] for name in missing},
            )
        fields = {key: value for key, value in data.items() if key != "external_ref"}
        customer = customer_create(
            tenant=tenant,
            actor=actor,
            external_ref=ref,
            contacts=contacts or (),
            addresses=addresses or (),
            **fields,  # type: ignore[arg-type]
        )
        return customer, True
    customer = customer_update(
        tenant=tenant,
        actor=actor,
        customer=existing,
        data=data,
        contacts=contacts,
        addresses=addresses,
    )
    return customer, False


@transaction.atomic
def customer_set_status(
    *, tenant: Tenant, actor: Actor, customer: Customer, status: str, reason: str = ""
) -> Customer:
    """Move the customer along ``STATUS_TRANSITIONS``; any other move is an
    IllegalTransition (409 in the API, a message on screen)."""
    customer = lock_customer(tenant=tenant, customer=customer)
    labels = dict(CustomerStatus.choices)
    if status not in labels:
        raise ValidationFailed(
            "Unknown status.",
            errors={"status": [f"Choose one of: {', '.join(CustomerStatus.values)}."]},
        )
    current = customer.status
    if status not in STATUS_TRANSITIONS[current]:
        allowed = ", ".join(str(labels[value]) for value in allowed_statuses(current))
        raise IllegalTransition(
            f"A customer that is {labels[current]} cannot become {labels[status]}; "
            f"it can become: {allowed}.",
            current=current,
            requested=status,
        )
    customer.status = status
    customer.save(update_fields=["status", "updated_at"])
    changes: dict[str, Any] = {"status": {"before": current, "after": status}}
    if reason.strip():
        changes["reason"] = {"before": None, "after": reason.strip()}
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.status_changed",
        instance=customer,
        changes=changes,
    )
    return customer
