"""A partner user signs in with Microsoft through the sandbox's real sign-in page, in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_microsoft_lands_on_the_dashboard_with_app_user_access(page, partner_center):
    page.goto("/")
    page.get_by_role("link", name="Sign in with Microsoft").click()

    # The sandbox's account picker, on its own HTTPS origin.
    expect(page).to_have_url(re.compile(r"^https://127\.0\.0\.1:\d+/.+/oauth2/v2\.0/authorize"))
    page.get_by_role("radio", name=re.compile("Megan Bowen")).check()
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Megan")
    access = page.get_by_test_id("partner-center-access")
    expect(access).to_contain_text("Signed in with Microsoft as meganb@contoso-partner.onmicrosoft.com")
    expect(access).to_contain_text("Multi-factor authentication")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.locator("[data-nav]").evaluate_all("els => els.map(e => e.dataset.nav)") == [
        "dashboard",
        "customers",
        "catalog",
        "purchases",
        "orders",
    ]
