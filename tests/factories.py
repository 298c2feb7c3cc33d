"""factory_boy factories. Tenant-owned factories take the tenant from the
context (or an explicit tenant=) so a chain stays inside one tenant."""

from __future__ import annotations

import factory

from otc.accounts.models import User
from otc.tenancy.context import require_tenant
from otc.tenancy.models import Membership, Tenant


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")
    base_currency = "EUR"
    legal_name = factory.LazyAttribute(lambda t: f"{t.name} GmbH")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    tenant = factory.LazyFunction(require_tenant)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        manager = model_class.objects.for_tenant(kwargs["tenant"])
        return manager.create(*args, **kwargs)


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = "owner"
    approval_limit = 0


# --- customers (otc.customers) ------------------------------------------------


class PaymentTermsFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.PaymentTerms"

    code = factory.Sequence(lambda n: f"NET{n}")
    name = factory.LazyAttribute(lambda t: f"Net {t.net_days} days")
    kind = "net"
    net_days = 30


class CustomerFactory(TenantOwnedFactory):
    """A valid German customer; pass tax_id=... only with a valid number."""

    class Meta:
        model = "customers.Customer"

    number = factory.Sequence(lambda n: f"K{n:05d}")
    legal_name = factory.Sequence(lambda n: f"Customer {n} GmbH")
    country = "DE"
    currency = factory.LazyAttribute(lambda c: str(c.tenant.base_currency))
    status = "active"
    language = "en"


class CustomerContactFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.CustomerContact"

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")
    roles = factory.LazyFunction(lambda: ["ap"])


class CustomerAddressFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.CustomerAddress"

    customer = factory.SubFactory(CustomerFactory)
    kind = "billing"
    is_default = True
    line1 = factory.Sequence(lambda n: f"Hauptstraße {n}")
    city = "Berlin"
    postal_code = "10115"
    country = "DE"
