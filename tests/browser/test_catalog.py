"""A Sales user browses a customer's catalog: filters change the results in place, the address keeps them,
back goes back to the previous results, and a result opens its SKU page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import AZURE_PLAN_SCOPE, Mirror
from portal.models import Customer, CustomerSubscription
from tests.catalog_factory import fill_generation, publish, published_mirror
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FABRIKAM_ID = "8c6d2d5e-1f0a-4c1e-9d53-0c6f2e9d1a11"
PLAN_ID = "3c2b1a09-8f7e-4d6c-b5a4-392817160504"


@pytest.fixture
def fabrikam_plan(db) -> Customer:
    now = timezone.now()
    customer = Customer.objects.create(
        id=FABRIKAM_ID,
        company_name="Fabrikam Inc",
        country="US",
        listed_at=now,
        details_read_at=now,
        subscriptions_read_at=now,
    )
    CustomerSubscription.objects.create(
        id=PLAN_ID,
        customer=customer,
        kind=CustomerSubscription.Kind.AZURE_PLAN,
        name="Fabrikam plan",
        status="active",
        registration=CustomerSubscription.Registration.REGISTERED,
    )
    return customer


@pytest.fixture
def fabrikam(fabrikam_plan) -> Customer:
    published_mirror("US", AZURE_PLAN_SCOPE, size=200)
    return fabrikam_plan


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_filtering_the_catalog_updates_the_results_in_place_and_keeps_the_address(page, personas, fabrikam):
    sign_in(page, "sales")
    page.goto(reverse("customer", args=[FABRIKAM_ID]))
    page.get_by_role("link", name="Browse catalog").click()
    browse = reverse("catalog-browse", args=[FABRIKAM_ID, PLAN_ID])
    expect(page).to_have_url(browse)
    count = page.locator("#results [data-testid=count]")
    expect(count).to_have_text("200 availabilities")

    page.evaluate("window.__same_document = true")  # survives only if the page is not reloaded
    page.get_by_label("Region").select_option("westus2")
    expect(page).to_have_url(f"{browse}?region=westus2")
    expect(count).not_to_have_text("200 availabilities")
    in_west = count.inner_text()

    page.get_by_label("Cores, at least").fill("16")
    expect(page).to_have_url(f"{browse}?region=westus2&cores_min=16")
    page.get_by_label("Search", exact=True).press_sequentially("esv5")
    expect(page).to_have_url(f"{browse}?q=esv5&region=westus2&cores_min=16")
    rows = page.locator("#results tbody tr")
    expect(rows.first).to_contain_text("Standard_E16s_v5, US West 2")
    for text in rows.all_inner_texts():
        assert "US West 2" in text and "Esv5" in text
    assert page.evaluate("window.__same_document") is True

    page.go_back()
    expect(page).to_have_url(f"{browse}?region=westus2&cores_min=16")
    expect(page.get_by_label("Search", exact=True)).to_have_value("")
    page.go_back()
    expect(page).to_have_url(f"{browse}?region=westus2")
    expect(count).to_have_text(in_west)
    assert page.evaluate("window.__same_document") is True

    page.locator("#results tbody tr a").first.click()
    expect(page).to_have_url(re.compile(re.escape(browse) + r"[A-Z0-9]+/[A-Z0-9]+/\?region=westus2$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("US West 2")
    expect(page.get_by_role("heading", name="Terms and billing")).to_be_visible()
    page.get_by_test_id("back-to-results").click()
    expect(page).to_have_url(f"{browse}?region=westus2")
    expect(page.get_by_label("Region")).to_have_value("westus2")


def test_a_catalog_being_prepared_shows_its_results_when_ready_without_a_reload(
    page, personas, fabrikam_plan
):
    mirror = Mirror.objects.create(
        country="US",
        scope=AZURE_PLAN_SCOPE,
        sync_state=Mirror.SyncState.RUNNING,
        sync_kind=Mirror.SyncKind.FULL,
        sync_products_total=12,
        sync_products_done=3,
    )
    sign_in(page, "sales")
    page.goto(reverse("catalog-browse", args=[FABRIKAM_ID, PLAN_ID]))
    expect(page.get_by_test_id("preparing")).to_contain_text("(3 of 12 products)")
    page.evaluate("window.__same_document = true")

    # The test plays the worker: the copy progresses, then completes.
    Mirror.objects.filter(pk=mirror.pk).update(sync_products_done=7)
    expect(page.get_by_test_id("preparing")).to_contain_text("(7 of 12 products)")
    fill_generation(mirror, 1, size=200)
    publish(mirror, 1)

    expect(page.locator("#results [data-testid=count]")).to_have_text("200 availabilities")
    expect(page.get_by_test_id("preparing")).to_have_count(0)
    assert page.evaluate("window.__same_document") is True
