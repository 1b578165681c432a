"""Staff sign-in with Microsoft against the sandbox's sign-in: real MSAL, real HTTPS, real tokens.

The browser's part (following redirects, picking the account) is played by `requests` with the sandbox's
non-interactive shortcut (login_hint + prompt=none); the browser test clicks through the real picker.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from portal import microsoft
from portal.models import AuditEntry, MicrosoftIdentity
from portal.roles import Role, roles_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

DOMAIN = "contoso-partner.onmicrosoft.com"


@pytest.fixture
def browser_client() -> Client:
    # Entra accepts loopback redirect URIs on any port, and so does the sandbox: the portal must be on one.
    return Client(HTTP_HOST="127.0.0.1")


def microsoft_answer(client: Client, sandbox, email: str) -> str:
    """Start the sign-in in the portal, let the sandbox sign `email` in; returns the callback URL."""
    start = client.get(reverse("microsoft-sign-in"))
    assert start.status_code == 302
    parts = urlsplit(start["Location"])
    assert f"{parts.scheme}://{parts.netloc}" == sandbox.url  # to the configured authority, nowhere else
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    query.update(login_hint=email, prompt="none")
    answer = requests.get(
        urlunsplit(parts._replace(query=urlencode(query))),
        allow_redirects=False,
        verify=sandbox.ca_bundle,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def sign_in(client: Client, sandbox, email: str):
    callback = urlsplit(microsoft_answer(client, sandbox, email))
    assert callback.path == reverse("microsoft-callback")
    return client.get(f"{callback.path}?{callback.query}", follow=True)


def test_the_login_page_offers_microsoft_only_when_partner_center_is_configured(
    client, db, settings, sandbox
):
    assert "Sign in with Microsoft" not in client.get(reverse("login")).content.decode()
    settings.PARTNER_CENTER = sandbox.config
    assert "Sign in with Microsoft" in client.get(reverse("login")).content.decode()


def test_a_partner_user_with_an_app_role_gets_an_account_and_app_user_access(browser_client, partner_center):
    response = sign_in(browser_client, partner_center, f"meganb@{DOMAIN}")
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    html = response.content.decode()
    assert "Welcome, Megan" in html
    assert f"Signed in with Microsoft as meganb@{DOMAIN}" in html

    user = get_user_model().objects.get(email=f"meganb@{DOMAIN}")
    assert roles_of(user) == [Role.SALES]
    token = microsoft.delegated_token(user)
    assert token is not None
    # The tokens stay on the server, sealed: not in the page, not in the cookie, not readable in the database.
    assert token.access_token not in html
    assert all(token.access_token not in morsel.value for morsel in browser_client.cookies.values())
    stored = MicrosoftIdentity.objects.get(user=user).token_cache
    assert "refresh_token" not in stored and token.access_token not in stored
    assert AuditEntry.objects.filter(action="sign-in", actor=user).exists()


def test_an_existing_account_is_matched_by_email_and_takes_its_roles_from_microsoft(
    browser_client, partner_center
):
    existing = get_user_model().objects.create_user(username="megan", email=f"MeganB@{DOMAIN}")
    existing.groups.add(Group.objects.get(name=Role.APPROVER.value))
    sign_in(browser_client, partner_center, f"meganb@{DOMAIN}")
    assert get_user_model().objects.count() == 1
    assert roles_of(existing) == [Role.SALES]
    # The next sign-in finds the account through the Microsoft identity linked the first time.
    existing.email = "changed@example.com"
    existing.save()
    browser_client.post(reverse("logout"))
    sign_in(browser_client, partner_center, f"meganb@{DOMAIN}")
    assert get_user_model().objects.count() == 1


def test_without_mfa_the_dashboard_warns_that_app_user_calls_will_be_refused(browser_client, partner_center):
    html = sign_in(browser_client, partner_center, f"leeg@{DOMAIN}").content.decode()
    assert "Partner Center refuses App+User calls without it" in html
    assert MicrosoftIdentity.objects.get(username=f"leeg@{DOMAIN}").mfa is False


def test_a_partner_user_with_no_role_and_no_account_is_refused(browser_client, partner_center):
    response = sign_in(browser_client, partner_center, f"pattif@{DOMAIN}")
    assert response.redirect_chain[-1][0] == reverse("login")
    assert f"There is no portal account for pattif@{DOMAIN}" in response.content.decode()
    assert not get_user_model().objects.exists()
    assert AuditEntry.objects.get(action="sign-in-failed").outcome == "refused"


def test_an_answer_from_microsoft_cannot_be_replayed(browser_client, partner_center):
    callback = urlsplit(microsoft_answer(browser_client, partner_center, f"meganb@{DOMAIN}"))
    first = browser_client.get(f"{callback.path}?{callback.query}")
    assert first["Location"] == reverse("dashboard")
    browser_client.post(reverse("logout"))
    replay = browser_client.get(f"{callback.path}?{callback.query}", follow=True)
    assert "This sign-in link has expired or was already used" in replay.content.decode()
    assert not replay.context["user"].is_authenticated


def test_an_answer_for_another_sign_in_is_refused(browser_client, partner_center):
    stolen = urlsplit(microsoft_answer(Client(HTTP_HOST="127.0.0.1"), partner_center, f"adelev@{DOMAIN}"))
    browser_client.get(reverse("microsoft-sign-in"))  # the victim's own sign-in, with its own state
    response = browser_client.get(f"{stolen.path}?{stolen.query}", follow=True)
    assert "Microsoft did not sign you in" in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_an_error_from_microsoft_is_shown_in_plain_words(browser_client, partner_center):
    browser_client.get(reverse("microsoft-sign-in"))
    query = urlencode({"error": "access_denied", "error_description": "The user cancelled the sign-in."})
    response = browser_client.get(f"{reverse('microsoft-callback')}?{query}", follow=True)
    assert "Microsoft did not sign you in: The user cancelled the sign-in." in response.content.decode()


def test_signing_out_forgets_the_partner_center_tokens(browser_client, partner_center):
    sign_in(browser_client, partner_center, f"adelev@{DOMAIN}")
    user = get_user_model().objects.get(email=f"adelev@{DOMAIN}")
    assert microsoft.delegated_token(user) is not None
    browser_client.post(reverse("logout"))
    assert microsoft.delegated_token(user) is None
    assert MicrosoftIdentity.objects.get(user=user).token_cache == ""


def test_a_portal_account_shows_how_to_get_app_user_access(client, personas, partner_center):
    client.force_login(personas["support"])
    html = client.get(reverse("dashboard")).content.decode()
    assert "You signed in with a portal account" in html
    assert reverse("microsoft-sign-in") in html
