"""Create a tenant: `manage.py create_tenant --slug acme --name "Acme" ...`.

Safe to run twice: with the same values it reports the existing tenant and
changes nothing; with different values it refuses and names the fields (the
tenant settings page, which audits every change, is where they change).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from otc.audit.services import Actor
from otc.tenancy.models import Tenant
from otc.tenancy.services import tenant_create

FIELDS = ("name", "base_currency", "timezone", "locale")


class Command(BaseCommand):
    help = "Create a tenant (idempotent: an identical existing tenant is left as it is)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="Short identifier, e.g. acme")
        parser.add_argument("--name", required=True, help="Display name, e.g. 'Acme GmbH'")
        parser.add_argument("--base-currency", default="EUR", help="ISO 4217 code (default EUR)")
        parser.add_argument(
            "--timezone", default="Europe/Berlin", help="IANA zone (default Europe/Berlin)"
        )
        parser.add_argument("--locale", default="en", help="e.g. en, en-GB, de-DE (default en)")

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = {
            "name": options["name"],
            "base_currency": options["base_currency"].upper(),
            "timezone": options["timezone"],
            "locale": options["locale"],
        }
        slug = options["slug"]
        existing = Tenant.objects.filter(slug=slug).first()
        if existing is not None:
            differences = [
                f"{field}: is {getattr(existing, field)!s}, asked for {wanted[field]}"
                for field in FIELDS
                if str(getattr(existing, field)) != wanted[field]
            ]
            if differences:
                raise CommandError(
                    f"Tenant '{slug}' already exists with other values ("
                    + "; ".join(differences)
                    + "). Change them on its settings page."
                )
            self.stdout.write(f"Tenant '{slug}' already exists (id {existing.pk}); unchanged.")
            return
        try:
            tenant = tenant_create(
                actor=Actor.system("manage.py create_tenant"), slug=slug, **wanted
            )
        except ValidationError as error:
            raise CommandError(_describe(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Created tenant '{tenant.slug}' (id {tenant.pk})."))


def _describe(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)
