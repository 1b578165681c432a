"""The main navigation, as data: each entry names the capability that shows it.

Sections whose pages are not built yet have no URL; the layout shows them as "not available yet"
instead of linking to an empty page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.roles import Capability


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str | Promise
    capability: Capability
    url_name: str | None


NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry("dashboard", _("Dashboard"), Capability.USE_PORTAL, "dashboard"),
    NavEntry("customers", _("Customers"), Capability.VIEW_CUSTOMERS, "customers"),
    NavEntry("catalog", _("Catalog"), Capability.VIEW_CATALOG, "catalog"),
    NavEntry("purchases", _("Purchases"), Capability.VIEW_PURCHASES, "purchases"),
    NavEntry("orders", _("Orders"), Capability.VIEW_ORDERS, "orders"),
    NavEntry("billing", _("Billing"), Capability.VIEW_BILLING, "billing"),
    NavEntry("audit", _("Audit"), Capability.VIEW_AUDIT, "audit"),
    NavEntry("staff", _("Staff"), Capability.MANAGE_STAFF, "admin:auth_user_changelist"),
)
