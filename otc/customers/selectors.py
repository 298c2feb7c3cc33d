"""Reads of the customer master, for this app and every other one. Each
selector takes the tenant explicitly; another tenant's id reads as missing."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from otc.accounts.models import User
from otc.audit.models import AuditEvent
from otc.customers.models import (
    Customer,
    CustomerAddress,
    CustomerContact,
    PaymentTerms,
    PaymentTermsInstallment,
    PaymentTermsKind,
)
from otc.customers.tax_ids import format_tax_id
from otc.errors import NotFound
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import Perm, role_can


def _as_id(value: int | str) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    # Ids outside bigint would make Postgres raise instead of "not found".
    return number if 0 < number < 2**63 else None


# --- customers --------------------------------------------------------------------


def _with_children(customers: QuerySet[Customer], tenant: Tenant) -> QuerySet[Customer]:
    """Contacts and addresses in two more queries for the whole page, read
    with the tenant filter (the related managers would need the context)."""
    contacts: QuerySet[CustomerContact] = CustomerContact.objects.for_tenant(tenant)
    addresses: QuerySet[CustomerAddress] = CustomerAddress.objects.for_tenant(tenant)
    return customers.prefetch_related(
        Prefetch("contacts", queryset=contacts), Prefetch("addresses", queryset=addresses)
    )


def customer_list(
    *,
    tenant: Tenant,
    with_children: bool = False,
    q: str = "",
    status: str = "",
    country: str = "",
    currency: str = "",
    collector_id: int | None = None,
    collector_email: str = "",
    parent_id: int | None = None,
    segment: str = "",
    region: str = "",
    external_ref: str = "",
    updated_since: datetime | None = None,
) -> QuerySet[Customer]:
    """Customers matching every filter given; `q` searches name, number,
    external ref and tax id. Unordered: callers sort (lists, cursors)."""
    customers = Customer.objects.for_tenant(tenant).select_related(
        "payment_terms", "parent", "collector"
    )
    q = q.strip()
    if q:
        compact = "".join(ch for ch in q.upper() if ch.isalnum())
        match = (
            Q(legal_name__icontains=q)
            | Q(trading_name__icontains=q)
            | Q(number__icontains=q)
            | Q(external_ref__icontains=q)
        )
        if compact:
            # Tax ids are stored compact, so "DE 136 695 976" still finds one.
            match |= Q(tax_id__icontains=compact)
        customers = customers.filter(match)
    if status:
        customers = customers.filter(status=status)
    if country:
        customers = customers.filter(country=country.upper())
    if currency:
        customers = customers.filter(currency=currency.upper())
    if collector_id is not None:
        customers = customers.filter(collector_id=collector_id)
    if collector_email:
        customers = customers.filter(collector__email__iexact=collector_email.strip())
    if parent_id is not None:
        customers = customers.filter(parent_id=parent_id)
    if segment:
        customers = customers.filter(segment__iexact=segment)
    if region:
        customers = customers.filter(region__iexact=region)
    if external_ref:
        customers = customers.filter(external_ref=external_ref)
    if updated_since is not None:
        customers = customers.filter(updated_at__gte=updated_since)
    return _with_children(customers, tenant) if with_children else customers


def customer_get(
    *, tenant: Tenant, customer_id: int | str, with_children: bool = False
) -> Customer:
    """The customer, or NotFound, also for another tenant's id."""
    pk = _as_id(customer_id)
    customers: QuerySet[Customer] = Customer.objects.for_tenant(tenant).select_related(
        "payment_terms", "parent", "collector"
    )
    if with_children:
        customers = _with_children(customers, tenant)
    customer = customers.filter(pk=pk).first() if pk is not None else None
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def customer_get_by_external_ref(
    *, tenant: Tenant, external_ref: str, with_children: bool = False
) -> Customer:
    customers: QuerySet[Customer] = Customer.objects.for_tenant(tenant).select_related(
        "payment_terms", "parent", "collector"
    )
    if with_children:
        customers = _with_children(customers, tenant)
    customer = customers.filter(external_ref=external_ref).first()
    if customer is None:
        raise NotFound("No customer has this external reference.")
    return customer


def customer_tax_id_display(*, customer: Customer) -> str:
    """The tax id as people and documents write it (e.g. 04-2103594 for a US
    EIN); the stored value is the compact one."""
    return format_tax_id(customer.tax_id, country=str(customer.country))


def customer_contacts(*, tenant: Tenant, customer: Customer) -> list[CustomerContact]:
    return list(CustomerContact.objects.for_tenant(tenant).filter(customer=customer))


def customer_addresses(*, tenant: Tenant, customer: Customer) -> list[CustomerAddress]:
    return list(CustomerAddress.objects.for_tenant(tenant).filter(customer=customer))


def customer_contacts_for_role(
    *, tenant: Tenant, customer: Customer, role: str
) -> list[CustomerContact]:
    """Who gets what: e.g. role="dunning" for the reminder recipients."""
    return list(
        CustomerContact.objects.for_tenant(tenant).filter(customer=customer, roles__contains=[role])
    )


def customer_contact_get(
    *, tenant: Tenant, customer: Customer, contact_id: int | str
) -> CustomerContact:
    pk = _as_id(contact_id)
    contact = (
        CustomerContact.objects.for_tenant(tenant).filter(customer=customer, pk=pk).first()
        if pk is not None
        else None
    )
    if contact is None:
        raise NotFound("No such contact.")
    contact.customer = customer
    return contact


def customer_address_get(
    *, tenant: Tenant, customer: Customer, address_id: int | str
) -> CustomerAddress:
    pk = _as_id(address_id)
    address = (
        CustomerAddress.objects.for_tenant(tenant).filter(customer=customer, pk=pk).first()
        if pk is not None
        else None
    )
    if address is None:
        raise NotFound("No such address.")
    address.customer = customer
    return address


def customer_group_members(*, tenant: Tenant, customer: Customer) -> list[Customer]:
    """The customers directly below this one in its group."""
    return list(
        Customer.objects.for_tenant(tenant).filter(parent=customer).order_by("legal_name", "id")
    )


def customer_group_path(*, tenant: Tenant, customer: Customer) -> list[Customer]:
    """The parents above this customer, top first (for a breadcrumb)."""
    path: list[Customer] = []
    seen = {customer.pk}
    current = customer.parent
    customers = Customer.objects.for_tenant(tenant)
    while current is not None and current.pk not in seen and len(path) < 50:
        path.append(current)
        seen.add(current.pk)
        current = customers.filter(pk=current.parent_id).first() if current.parent_id else None
    return list(reversed(path))


def customer_audit_events(
    *, tenant: Tenant, customer: Customer, limit: int = 20
) -> list[AuditEvent]:
    """Recent changes of the customer, its contacts and addresses (the
    services record child changes on the customer)."""
    return list(
        AuditEvent.objects.for_tenant(tenant)
        .filter(object_type=Customer._meta.label_lower, object_id=str(customer.pk))
        .select_related("actor_user")
        .order_by("-occurred_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class CollectorChoice:
    user_id: int
    email: str
    name: str


def collector_choices(*, tenant: Tenant) -> list[CollectorChoice]:
    """The users who may be assigned as a customer's collector."""
    memberships = (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return [
        CollectorChoice(user_id=m.user_id, email=m.user.email, name=str(m.user))
        for m in memberships
        if role_can(m.role, Perm.COLLECTIONS_WORK)
    ]


def tenant_user_get(*, tenant: Tenant, user_id: int | None = None, email: str = "") -> User:
    """A user with a membership in the tenant; NotFound for anyone else, so
    the existence of users in other tenants never shows."""
    memberships = Membership.objects.for_tenant(tenant).select_related("user")
    if user_id is not None:
        membership = memberships.filter(user_id=user_id).first()
    else:
        membership = memberships.filter(user__email__iexact=email.strip()).first()
    if membership is None:
        raise NotFound("No such user in this company.")
    return membership.user


# --- payment terms ---------------------------------------------------------------


def payment_terms_list(*, tenant: Tenant, active_only: bool = False) -> QuerySet[PaymentTerms]:
    terms: QuerySet[PaymentTerms] = PaymentTerms.objects.for_tenant(tenant)
    terms = terms.annotate(customer_count=Count("customers"))
    if active_only:
        terms = terms.filter(is_active=True)
    return terms


def payment_terms_get(*, tenant: Tenant, terms_id: int | str) -> PaymentTerms:
    pk = _as_id(terms_id)
    terms = PaymentTerms.objects.for_tenant(tenant).filter(pk=pk).first() if pk else None
    if terms is None:
        raise NotFound("No such payment terms.")
    return terms


def payment_terms_get_by_code(*, tenant: Tenant, code: str) -> PaymentTerms:
    terms = PaymentTerms.objects.for_tenant(tenant).filter(code=code.strip().upper()).first()
    if terms is None:
        raise NotFound(f"No payment terms with code {code}.")
    return terms


def _end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _base_date(kind: str, document_date: date) -> date:
    if kind == PaymentTermsKind.END_OF_MONTH:
        return _end_of_month(document_date)
    return document_date


def _terms_base_date(terms: PaymentTerms, document_date: date) -> date:
    return _base_date(terms.kind, document_date)


# Installment rows per terms id, read once per terms object (issuing a batch
# of invoices under the same split terms asks for them many times).
_INSTALLMENTS_CACHE = "_otc_installments"


def payment_terms_installments(*, terms: PaymentTerms) -> list[PaymentTermsInstallment]:
    """The parts of split terms in due order; [] for terms with one due date
    (without a query: the terms row counts its parts)."""
    if not terms.installment_count:
        return []
    cached: list[PaymentTermsInstallment] | None = getattr(terms, _INSTALLMENTS_CACHE, None)
    if cached is None:
        cached = list(
            # Filtered by the terms' own tenant id (RLS applies as well): the
            # tenant object itself is not loaded on terms read in bulk.
            PaymentTermsInstallment.objects.unscoped()
            .filter(tenant_id=terms.tenant_id, terms_id=terms.pk)
            .order_by("sequence")
        )
        setattr(terms, _INSTALLMENTS_CACHE, cached)
    return cached


@dataclass(frozen=True)
class InstallmentDue:
    """One part of a document's payment schedule under split terms."""

    sequence: int
    share_percent: Decimal
    due_date: date


def payment_terms_schedule(*, terms: PaymentTerms, document_date: date) -> list[InstallmentDue]:
    """When each part of a document dated `document_date` falls due under
    split terms, each part counted like terms of its own (net N from the
    document date, or N days after the month end); [] when not split."""
    return [
        InstallmentDue(
            sequence=part.sequence,
            share_percent=part.share_percent,
            due_date=_base_date(part.kind, document_date) + timedelta(days=part.net_days),
        )
        for part in payment_terms_installments(terms=terms)
    ]


def payment_terms_due_date(*, terms: PaymentTerms, document_date: date) -> date:
    """When a document dated `document_date` falls due under `terms`.

    Net N: the document date plus N days. End of month + N: the last day of
    the document's month plus N days (EOM + 0 is the month's last day).
    Split terms: the first part's date (the document's due date, EN 16931
    BT-9; the later parts are in its schedule).
    """
    schedule = payment_terms_schedule(terms=terms, document_date=document_date)
    if schedule:
        return schedule[0].due_date
    return _terms_base_date(terms, document_date) + timedelta(days=terms.net_days)


def payment_terms_discount_date(*, terms: PaymentTerms, document_date: date) -> date | None:
    """The last day the early-payment discount applies, or None without one.
    Counted from the same base date as the due date."""
    if not terms.discount_percent or not terms.discount_days:
        return None
    return _terms_base_date(terms, document_date) + timedelta(days=terms.discount_days)
