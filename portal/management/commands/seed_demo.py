"""Create one demo user per role, for evaluating the portal. Idempotent."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from portal.roles import Role, sync_roles

DEMO_USERS = {
    Role.SALES: ("sales", "Sam", "Sales"),
    Role.APPROVER: ("approver", "Avery", "Approver"),
    Role.SUPPORT: ("support", "Sasha", "Support"),
    Role.ADMIN: ("admin", "Alex", "Admin"),
}


class Command(BaseCommand):
    help = (
        "Create one demo user per role (sales, approver, support, admin) and print their logins. "
        "Existing demo users keep their password unless --reset-passwords is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give every demo user a new random password and print it.",
        )

    def handle(self, *args: Any, reset_passwords: bool = False, **options: Any) -> None:
        if not settings.DEMO_ACCOUNTS:
            raise CommandError(
                "Demo accounts are off in this deployment. Set PORTAL_DEMO_ACCOUNTS=true to allow them "
                "(never on a production portal)."
            )
        sync_roles()
        User = get_user_model()
        logins: list[tuple[str, str, str]] = []
        with transaction.atomic():
            for role, (username, first, last) in DEMO_USERS.items():
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.invalid"},
                )
                password = "(unchanged)"  # noqa: S105  (a label printed in place of a password)
                if created or reset_passwords:
                    password = secrets.token_urlsafe(12)
                    user.set_password(password)
                    user.is_active = True
                    user.save()
                user.groups.set([Group.objects.get(name=role.value)])
                logins.append((role.value, username, password))
        self.stdout.write("Demo logins:")
        for role_name, username, password in logins:
            self.stdout.write(f"  {role_name:<9} {username:<9} {password}")
