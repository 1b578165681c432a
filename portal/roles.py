"""Staff roles and what each may do.

A role is a Django group; a capability is a permission on `portal.Access`. Which capabilities a role
carries is defined here, in code, and written to the groups after every migration (`sync_roles`), so a
deployment's roles always match the version it runs. Who holds which role is data, managed by admins.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    SALES = "Sales"
    APPROVER = "Approver"
    SUPPORT = "Support"
    ADMIN = "Admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.SALES: _("Sales"),
    Role.APPROVER: _("Approver"),
    Role.SUPPORT: _("Support"),
    Role.ADMIN: _("Admin"),
}


class Capability(StrEnum):
    """Codenames of the permissions declared on `portal.models.Access`."""

    USE_PORTAL = "use_portal"
    VIEW_CUSTOMERS = "view_customers"
    REGISTER_SUBSCRIPTIONS = "register_subscriptions"
    VIEW_CATALOG = "view_catalog"
    SYNC_CATALOG = "sync_catalog"
    REQUEST_PURCHASES = "request_purchases"
    VIEW_PURCHASES = "view_purchases"
    APPROVE_PURCHASES = "approve_purchases"
    VIEW_ORDERS = "view_orders"
    REFRESH_ORDERS = "refresh_orders"
    VIEW_BILLING = "view_billing"
    DOWNLOAD_INVOICES = "download_invoices"
    VIEW_AUDIT = "view_audit"
    CHECK_PARTNER_CENTER = "check_partner_center"
    MANAGE_STAFF = "manage_staff"

    @property
    def perm(self) -> str:
        """The name `User.has_perm` takes."""
        return f"portal.{self.value}"


CAPABILITY_LABELS = {
    Capability.USE_PORTAL: _("Use the portal"),
    Capability.VIEW_CUSTOMERS: _("Look up customers and their subscriptions"),
    Capability.REGISTER_SUBSCRIPTIONS: _("Register subscriptions for reservation purchases"),
    Capability.VIEW_CATALOG: _("Browse the reservation catalog"),
    Capability.SYNC_CATALOG: _("Ask for a fresh copy of a market's catalog"),
    Capability.REQUEST_PURCHASES: _("Build carts and request purchases"),
    Capability.VIEW_PURCHASES: _("See purchase requests"),
    Capability.APPROVE_PURCHASES: _("Approve or reject purchase requests"),
    Capability.VIEW_ORDERS: _("See orders and reservations"),
    Capability.REFRESH_ORDERS: _("Refresh orders from Partner Center"),
    Capability.VIEW_BILLING: _("See balance, invoices and reconciliation"),
    Capability.DOWNLOAD_INVOICES: _("Download invoice statements and exports"),
    Capability.VIEW_AUDIT: _("Read the audit trail"),
    Capability.CHECK_PARTNER_CENTER: _("Test the connection to Partner Center"),
    Capability.MANAGE_STAFF: _("Manage staff accounts and roles"),
}

_EVERYONE = {
    Capability.USE_PORTAL,
    Capability.VIEW_CUSTOMERS,
    Capability.VIEW_CATALOG,
    Capability.VIEW_PURCHASES,
    Capability.VIEW_ORDERS,
}

# The business rules, in one table. Sales browse and request; approvers sign off; support look things
# up, refresh, register and handle invoices; admins can do everything, including managing staff.
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.SALES: frozenset(
        _EVERYONE | {Capability.REGISTER_SUBSCRIPTIONS, Capability.REQUEST_PURCHASES, Capability.SYNC_CATALOG}
    ),
    Role.APPROVER: frozenset(_EVERYONE | {Capability.APPROVE_PURCHASES}),
    Role.SUPPORT: frozenset(
        _EVERYONE
        | {
            Capability.REGISTER_SUBSCRIPTIONS,
            Capability.SYNC_CATALOG,
            Capability.REFRESH_ORDERS,
            Capability.VIEW_BILLING,
            Capability.DOWNLOAD_INVOICES,
            Capability.VIEW_AUDIT,
            Capability.CHECK_PARTNER_CENTER,
        }
    ),
    Role.ADMIN: frozenset(Capability),
}

# Admins manage staff through Django's admin site, which checks these standard permissions.
ADMIN_AUTH_PERMISSIONS = (
    ("auth", "view_user"),
    ("auth", "add_user"),
    ("auth", "change_user"),
    ("auth", "view_group"),
)


def sync_roles() -> None:
    """Create the role groups and give each exactly the permissions the table above says. Idempotent."""
    by_codename = {
        perm.codename: perm
        for perm in Permission.objects.filter(content_type__app_label="portal", content_type__model="access")
    }
    admin_extra = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in ADMIN_AUTH_PERMISSIONS
    ]
    with transaction.atomic():
        for role, capabilities in ROLE_CAPABILITIES.items():
            group, _created = Group.objects.get_or_create(name=role.value)
            perms = [by_codename[cap.value] for cap in capabilities]
            if role is Role.ADMIN:
                perms += admin_extra
            group.permissions.set(perms)


def roles_of(user: AbstractBaseUser | AnonymousUser) -> list[Role]:
    """The roles a user holds, in the table's order."""
    if not user.is_authenticated:
        return []
    names = {group.name for group in user.groups.all()}  # type: ignore[attr-defined]
    return [role for role in Role if role.value in names]


def holders(capability: Capability) -> QuerySet:
    """Active users who hold the capability (through a role, or as superusers)."""
    granted = Q(
        groups__permissions__codename=capability.value,
        groups__permissions__content_type__app_label="portal",
    )
    return get_user_model().objects.filter(granted | Q(is_superuser=True), is_active=True).distinct()


_View = TypeVar("_View", bound=Callable[..., HttpResponse])


def requires(capability: Capability) -> Callable[[_View], _View]:
    """Refuse the view with 403 unless the signed-in user has the capability.

    Sign-in itself is enforced for every view by LoginRequiredMiddleware; this adds the role check.
    The capability is recorded on the view so a test can prove every URL declares one.
    """

    def decorator(view: _View) -> _View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(capability.perm):
                raise PermissionDenied(capability.value)
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
