"""Import the invoices still open in the old system at go-live:

    manage.py import_open_invoices --tenant alpha open_items.csv
    manage.py import_open_invoices --tenant alpha --dry-run open_items.csv

The columns are described in ``invoicing.services.import_checks`` (and on the
import page). One bad row imports nothing; every problem is printed with its
row and column. Running it again with the same file creates nothing new.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from invoicing.services.imports import IMPORT_COLUMNS, ImportFailed, open_invoices_import
from otc.audit.services import Actor
from otc.errors import DomainError
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Import open invoices of the old system from a CSV file (all rows or none)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and count; write nothing."
        )
        parser.add_argument(
            "file",
            help="CSV file, UTF-8, first row the column names: "
            + ", ".join(name for name, _, _ in IMPORT_COLUMNS),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {options['tenant']!r}.")
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        with tenant_context(tenant):
            try:
                result = open_invoices_import(
                    tenant=tenant,
                    actor=Actor.system("manage.py import_open_invoices"),
                    content=content,
                    dry_run=options["dry_run"],
                )
            except ImportFailed as error:
                for problem in error.problems:
                    self.stderr.write(str(problem))
                raise CommandError(error.detail) from error
            except DomainError as error:
                raise CommandError(error.detail) from error
        verb = "would import" if options["dry_run"] else "imported"
        self.stdout.write(
            f"{path.name}: {result.rows} rows, {verb} {result.created}, "
            f"{result.existing} already imported (skipped)."
        )
