"""Signing in and out through the login page, and what the audit trail keeps of it."""

from django.urls import reverse

from portal.models import AuditEntry
from tests.conftest import PASSWORD


def test_signing_in_lands_on_the_dashboard_and_is_audited(client, personas):
    response = client.post(reverse("login"), {"username": "sales", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "Welcome, Sales" in response.content.decode()
    entry = AuditEntry.objects.get(action="sign-in")
    assert (entry.actor, entry.outcome, entry.remote_addr) == (personas["sales"], "success", "127.0.0.1")


def test_a_wrong_password_is_explained_and_audited_without_the_password(client, personas):
    response = client.post(reverse("login"), {"username": "sales", "password": "not-it-at-all"})
    assert response.status_code == 200
    assert "Wrong username or password" in response.content.decode()
    entry = AuditEntry.objects.get(action="sign-in-failed")
    assert (entry.actor_name, entry.outcome) == ("sales", "refused")
    assert "not-it-at-all" not in str(AuditEntry.objects.values())


def test_signing_out_needs_a_post_and_is_audited(client, personas):
    client.force_login(personas["support"])
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert AuditEntry.objects.filter(action="sign-out", actor=personas["support"]).exists()
    assert client.get(reverse("dashboard")).status_code == 302


def test_the_login_page_returns_to_the_page_asked_for(client, personas):
    target = reverse("audit")
    response = client.post(
        f"{reverse('login')}?next={target}", {"username": "support", "password": PASSWORD, "next": target}
    )
    assert response["Location"] == target


def test_the_login_page_refuses_to_redirect_off_site(client, personas):
    response = client.post(
        reverse("login"), {"username": "support", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard")


def test_csrf_is_enforced_on_the_login_form(personas):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "sales", "password": PASSWORD})
    assert response.status_code == 403
