"""Give a person a seat in a tenant:
`manage.py create_user --email ann@acme.example --tenant acme --role credit_analyst`.

Creates the user when the address is new (printing a generated password
once when none is given), then the membership. Safe to run twice: an
existing user keeps their password, and an existing membership is updated to
the role and limit asked for (audited, and never removing the last owner).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from otc.accounts.models import User
from otc.accounts.services import password_generate, user_create
from otc.audit.services import Actor
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import INTERACTIVE_ROLES, Role
from otc.tenancy.services import TenancyRuleError, membership_create, membership_update


class Command(BaseCommand):
    help = "Create a user (if new) and give them a role in a tenant."

    def add_arguments(self, parser: CommandParser) -> None:
        roles = ", ".join(role.value for role in Role if role in INTERACTIVE_ROLES)
        parser.add_argument("--email", required=True)
        parser.add_argument("--tenant", required=True, help="The tenant's slug")
        parser.add_argument("--role", required=True, help=f"One of: {roles}")
        parser.add_argument(
            "--approval-limit", default="0", help="In the tenant's base currency (default 0)"
        )
        parser.add_argument(
            "--password", help="For a new user; without it a password is generated and printed"
        )
        parser.add_argument("--full-name", default="", help="For a new user")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug '{options['tenant']}'. Create it first.")
        role = _role(options["role"])
        limit = _limit(options["approval_limit"])
        email = User.objects.normalize_email(options["email"]).strip().lower()
        actor = Actor.system("manage.py create_user")

        with transaction.atomic(), tenant_context(tenant):
            user = User.objects.filter(email__iexact=email).first()
            generated = None
            if user is None:
                password = options["password"]
                if not password:
                    password = generated = password_generate()
                try:
                    user = user_create(
                        email=email, full_name=options["full_name"], password=password
                    )
                except ValidationError as error:
                    raise CommandError("Password refused: " + " ".join(error.messages)) from None
                self.stdout.write(f"Created user {user.email}.")
            elif options["password"]:
                self.stdout.write(
                    f"User {user.email} already exists; their password was left unchanged "
                    "(they can reset it from the sign-in page)."
                )
            else:
                self.stdout.write(f"User {user.email} already exists.")

            membership = Membership.objects.for_tenant(tenant).filter(user=user).first()
            try:
                if membership is None:
                    membership_create(
                        tenant=tenant, actor=actor, user=user, role=role, approval_limit=limit
                    )
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"Added {user.email} to '{tenant.slug}' as {role.label}."
                        )
                    )
                elif (
                    membership.role == role.value
                    and membership.approval_limit == limit
                    and membership.is_active
                ):
                    self.stdout.write(
                        f"{user.email} is already {role.label} in '{tenant.slug}'; unchanged."
                    )
                else:
                    membership_update(
                        tenant=tenant,
                        actor=actor,
                        membership=membership,
                        role=role,
                        approval_limit=limit,
                        is_active=True,
                    )
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"Updated {user.email} in '{tenant.slug}': {role.label}, "
                            f"approval limit {limit} {tenant.base_currency}, active."
                        )
                    )
            except TenancyRuleError as error:
                raise CommandError(str(error)) from None

        if generated:
            # Shown once, here; it is stored only as a hash.
            self.stdout.write(f"Password for {user.email}: {generated}")
            self.stdout.write("It is not shown again; ask them to change it after signing in.")


def _role(value: str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        roles = ", ".join(r.value for r in Role if r in INTERACTIVE_ROLES)
        raise CommandError(f"Unknown role '{value}'. Use one of: {roles}.") from None
    if role not in INTERACTIVE_ROLES:
        raise CommandError(
            f"{role.label} cannot sign in; create an API key for the integration instead."
        )
    return role


def _limit(value: str) -> Decimal:
    try:
        limit = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"Approval limit '{value}' is not a number.") from None
    if limit < 0 or limit != limit.quantize(Decimal("0.01")):
        raise CommandError(
            f"Approval limit '{value}' must be zero or more with at most two decimals."
        )
    return limit
