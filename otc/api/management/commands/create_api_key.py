"""Issue an API key from the command line (first setup, automation):

    manage.py create_api_key --tenant alpha --role erp_integration --name "SAP prod"

Prints the key once; only its hash is stored.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otc.api.services import api_key_create
from otc.audit.services import Actor
from otc.errors import ValidationFailed
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Role


class Command(BaseCommand):
    help = "Create an API key for a tenant and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument(
            "--role",
            default=Role.ERP_INTEGRATION.value,
            choices=[role.value for role in Role],
            help="What the key may do (default: erp_integration).",
        )
        parser.add_argument("--name", required=True, help="Which system uses the key.")
        parser.add_argument(
            "--approval-limit",
            default="0",
            help="Highest credit limit the key may set or approve, in the tenant's base "
            "currency (default 0: its approvals go to a person).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {options['tenant']!r}.")
        if not tenant.is_active:
            raise CommandError(f"Tenant {tenant.slug!r} is deactivated; its keys would not work.")
        with tenant_context(tenant):
            try:
                issued = api_key_create(
                    tenant=tenant,
                    actor=Actor.system("manage.py create_api_key"),
                    name=options["name"],
                    role=options["role"],
                    approval_limit=_amount(options["approval_limit"]),
                )
            except ValidationFailed as exc:
                problems = "; ".join(
                    f"{field}: {message}"
                    for field, messages in exc.errors.items()
                    for message in messages
                )
                raise CommandError(problems or exc.detail) from exc
        api_key = issued.api_key
        self.stderr.write(
            f"Created API key {api_key.prefix} ({api_key.name}, role {api_key.role}) "
            f"for tenant {tenant.slug}. It is shown once; store it now."
        )
        # The key alone on stdout, so scripts can capture it: KEY=$(manage.py ...)
        self.stdout.write(issued.plaintext)


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise CommandError(f"--approval-limit: {text!r} is not an amount.") from None
