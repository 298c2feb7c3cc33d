"""Suite-wide fixtures.

The test database is created and migrated by the owner role (as in
production, where migrations run as the owner); then every test connects as
the application role, under row-level security, exactly like the product.
Two tenants exist in every test that asks for data, so a leak shows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections
from hypothesis import HealthCheck, settings

from otc.settings.database import app_role_name, app_role_password
from otc.tenancy.context import tenant_context
from tests.factories import MembershipFactory, TenantFactory, UserFactory

pytest_plugins = ["tests.fixtures_web", "tests.fixtures_api"]

# Property tests judge the code, not the machine: on a loaded CI runner a
# single draw can stall for seconds, which Hypothesis would report as a
# failure (too_slow) or a missed deadline. Tests still set their own limits.
settings.register_profile("otc", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("otc")


def _login_as(*, app_role: bool) -> None:
    connection = connections["default"]
    connection.close()
    if app_role:
        connection.settings_dict["USER"] = app_role_name()
        connection.settings_dict["PASSWORD"] = app_role_password()
    else:
        connection.settings_dict["USER"] = connection.settings_dict["OWNER_USER"]
        connection.settings_dict["PASSWORD"] = connection.settings_dict["OWNER_PASSWORD"]


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[None]:
    settings_dict = connections["default"].settings_dict
    settings_dict["OWNER_USER"] = settings_dict["USER"]
    settings_dict["OWNER_PASSWORD"] = settings_dict["PASSWORD"]
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        _login_as(app_role=True)
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        _login_as(app_role=False)  # the owner drops the test database


@pytest.fixture(autouse=True)
def _runs_as_application_role(request: pytest.FixtureRequest) -> None:
    """Every test starts logged in as the application role (a committed_db
    test before it may have switched to the owner to clean up)."""
    settings_dict = connections["default"].settings_dict
    if "OWNER_USER" in settings_dict and settings_dict["USER"] != app_role_name():
        _login_as(app_role=True)


@pytest.fixture
def committed_db(transactional_db: None) -> Iterator[None]:
    """For the few tests that need real COMMITs (connection reuse, parallel
    requests). The application role may not TRUNCATE, so the owner empties
    the tables afterwards."""
    yield
    _login_as(app_role=False)


@pytest.fixture
def tenant_a(db: None):
    return TenantFactory(name="Alpha Industries", slug="alpha", base_currency="EUR")


@pytest.fixture
def tenant_b(db: None):
    return TenantFactory(name="Bravo Trading", slug="bravo", base_currency="USD")


@pytest.fixture
def in_tenant_a(tenant_a):
    with tenant_context(tenant_a):
        yield tenant_a


@pytest.fixture
def owner_a(tenant_a):
    user = UserFactory(email="owner@alpha.example")
    with tenant_context(tenant_a):
        MembershipFactory(tenant=tenant_a, user=user, role="owner", approval_limit=1_000_000)
    return user


@pytest.fixture
def owner_b(tenant_b):
    user = UserFactory(email="owner@bravo.example")
    with tenant_context(tenant_b):
        MembershipFactory(tenant=tenant_b, user=user, role="owner", approval_limit=1_000_000)
    return user
