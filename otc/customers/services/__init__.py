"""Writes to the customer master, for this app and every other one.

Each service takes the tenant and the actor explicitly, checks the business
rules, saves, and records an audit event with the fields before and after,
all in one transaction. Import from here, not from the topic modules.
"""

from otc.customers.services.addresses import (
    AddressData,
    AddressFields,
    customer_address_add,
    customer_address_remove,
    customer_address_update,
    customer_addresses_sync,
)
from otc.customers.services.contacts import (
    ContactData,
    ContactFields,
    customer_contact_add,
    customer_contact_remove,
    customer_contact_update,
    customer_contacts_sync,
)
from otc.customers.services.customers import (
    STATUS_TRANSITIONS,
    CustomerFields,
    allowed_statuses,
    customer_create,
    customer_set_status,
    customer_update,
    customer_upsert_by_external_ref,
)
from otc.customers.services.payment_terms import (
    InstallmentSpec,
    PaymentTermsFields,
    payment_terms_create,
    payment_terms_update,
)

__all__ = [
    "STATUS_TRANSITIONS",
    "AddressData",
    "AddressFields",
    "ContactData",
    "ContactFields",
    "CustomerFields",
    "InstallmentSpec",
    "PaymentTermsFields",
    "allowed_statuses",
    "customer_address_add",
    "customer_address_remove",
    "customer_address_update",
    "customer_addresses_sync",
    "customer_contact_add",
    "customer_contact_remove",
    "customer_contact_update",
    "customer_contacts_sync",
    "customer_create",
    "customer_set_status",
    "customer_update",
    "customer_upsert_by_external_ref",
    "payment_terms_create",
    "payment_terms_update",
]
