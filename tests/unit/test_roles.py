"""Who may open what. The expectations are written out here, apart from portal/roles.py, so a change to
the role table that breaks a business rule fails a test."""

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.roles import ROLE_CAPABILITIES, Capability, Role, roles_of, sync_roles

# Page → the personas who may open it. Everyone else who is signed in gets 403.
PAGE_ACCESS = {
    "dashboard": {"sales", "approver", "support", "admin"},
    "audit": {"support", "admin"},
}

# What each persona sees in the navigation (data-nav keys, in order).
NAVIGATION = {
    "sales": ["dashboard", "customers", "catalog", "purchases", "orders"],
    "approver": ["dashboard", "customers", "catalog", "purchases", "orders"],
    "support": ["dashboard", "customers", "catalog", "purchases", "orders", "billing", "audit"],
    "admin": ["dashboard", "customers", "catalog", "purchases", "orders", "billing", "audit", "staff"],
}

# Views reachable without signing in: the ways to sign in, and the health check.
PUBLIC_VIEWS = {"login", "microsoft-sign-in", "microsoft-callback", "healthz", "set_language"}


@pytest.mark.parametrize("page", PAGE_ACCESS)
@pytest.mark.parametrize("persona", ["sales", "approver", "support", "admin", "outsider"])
def test_each_role_opens_exactly_its_pages(client, personas, page, persona):
    client.force_login(personas[persona])
    response = client.get(reverse(page))
    expected = 200 if persona in PAGE_ACCESS[page] else 403
    assert response.status_code == expected


@pytest.mark.parametrize("page", PAGE_ACCESS)
def test_every_page_sends_strangers_to_sign_in(client, db, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_account_without_a_role_is_told_to_ask_an_admin(client, personas):
    client.force_login(personas["outsider"])
    response = client.get(reverse("dashboard"))
    assert response.status_code == 403
    assert "has no role in the portal yet" in response.content.decode()


@pytest.mark.parametrize("persona", NAVIGATION)
def test_navigation_shows_what_the_role_may_use(client, personas, persona):
    client.force_login(personas[persona])
    html = client.get(reverse("dashboard")).content.decode()
    shown = [key for key in NAVIGATION["admin"] if f'data-nav="{key}"' in html]
    assert shown == NAVIGATION[persona]


def _views(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # the admin site checks is_staff and model permissions itself
            yield from _views(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def test_every_portal_view_declares_the_capability_it_needs():
    undeclared = [
        route
        for route, pattern in _views(get_resolver())
        if pattern.name not in PUBLIC_VIEWS | {"logout"}
        and not hasattr(pattern.callback, "required_capability")
    ]
    assert undeclared == [], f"views without @requires(...): {undeclared}"


def test_public_views_are_only_the_sign_in_pages_the_language_switch_and_the_health_check():
    public = {
        pattern.name
        for _route, pattern in _views(get_resolver())
        if getattr(pattern.callback, "login_required", True) is False
    }
    assert public == PUBLIC_VIEWS


def test_the_admin_role_opens_staff_management_and_the_others_do_not(client, personas):
    url = reverse("admin:auth_user_changelist")
    for persona in ("sales", "approver", "support", "outsider"):
        client.force_login(personas[persona])
        assert client.get(url).status_code == 302, persona  # to the admin's own sign-in page
    client.force_login(personas["admin"])
    assert client.get(url).status_code == 200


def test_granting_and_removing_the_admin_role_opens_and_closes_the_admin_site(personas):
    sales = personas["sales"]
    admins = Group.objects.get(name=Role.ADMIN.value)
    sales.groups.add(admins)
    assert sales.is_staff  # the caller's copy too, so a later save() keeps it
    sales.save()
    sales.refresh_from_db()
    assert sales.is_staff
    admins.user_set.remove(sales)  # from the group's side this time
    sales.refresh_from_db()
    assert not sales.is_staff


def test_nobody_but_admins_manages_staff_and_nobody_but_approvers_and_admins_approves():
    for role, capabilities in ROLE_CAPABILITIES.items():
        assert (Capability.MANAGE_STAFF in capabilities) == (role is Role.ADMIN)
        assert (Capability.APPROVE_PURCHASES in capabilities) == (role in {Role.APPROVER, Role.ADMIN})


def test_sync_roles_restores_permissions_that_were_changed_by_hand(db):
    sales = Group.objects.get(name=Role.SALES.value)
    sales.permissions.clear()
    sync_roles()
    sync_roles()  # idempotent
    granted = set(sales.permissions.values_list("codename", flat=True))
    assert granted == {cap.value for cap in ROLE_CAPABILITIES[Role.SALES]}
    assert Group.objects.filter(name__in=[r.value for r in Role]).count() == len(Role)


def test_roles_of_lists_a_users_roles(personas):
    assert roles_of(personas["support"]) == [Role.SUPPORT]
    assert roles_of(personas["outsider"]) == []
