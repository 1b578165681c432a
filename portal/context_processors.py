from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from portal import notifications
from portal.navigation import NAVIGATION
from portal.roles import roles_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The navigation entries the signed-in user may see, the roles to show beside their name, and how
    many notifications they have not read."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    entries = []
    for entry in NAVIGATION:
        if not user.has_perm(entry.capability.perm):
            continue
        href = reverse(entry.url_name) if entry.url_name else None
        # The dashboard is "/", a prefix of every path: it is active only on itself.
        active = request.path == "/" if href == "/" else bool(href) and request.path.startswith(href)
        entries.append({"key": entry.key, "label": entry.label, "href": href, "active": active})
    return {
        "nav_entries": entries,
        "user_roles": roles_of(user),
        "unread_notifications": notifications.unread_count(user),
    }
