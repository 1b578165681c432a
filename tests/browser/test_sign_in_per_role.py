"""Each role signs in through the real login page, sees the dashboard and its navigation, and signs out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.unit.test_roles import NAVIGATION

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_role_signs_in_sees_its_navigation_and_signs_out(page, personas):
    for persona, expected_nav in NAVIGATION.items():
        page.goto("/")
        expect(page).to_have_url("/accounts/login/?next=/")
        page.get_by_label("Username").fill(persona)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {persona.title()}")
        nav = page.get_by_role("navigation", name="Main")
        shown = nav.locator("[data-nav]").evaluate_all("els => els.map(e => e.dataset.nav)")
        assert shown == expected_nav, persona
        expect(nav.locator('[data-nav="dashboard"]')).to_have_attribute("aria-current", "page")

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        page.goto("/")
        expect(page).to_have_url("/accounts/login/?next=/")


def test_a_wrong_password_is_explained_in_the_page(page, personas):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("sales")
    page.get_by_label("Password").fill("wrong password here")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")


def test_audit_filters_update_the_results_without_a_reload_and_keep_the_url(page, personas):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("support")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Audit").click()
    expect(page.locator("#results")).to_contain_text("Signed in")

    page.evaluate("window.__same_document = true")  # survives only if the page is not reloaded
    page.get_by_label("Outcome").select_option("refused")
    expect(page.locator("#results")).to_contain_text("No entry matches these filters.")
    expect(page).to_have_url("/audit/?q=&actor=&action=&outcome=refused&since=&until=")
    assert page.evaluate("window.__same_document") is True
