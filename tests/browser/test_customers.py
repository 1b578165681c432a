"""Typing in the customer search updates the results in place, keeps the search in the address, and the
pagination links keep working without a reload."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portal.models import Customer
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mirror(db):
    now = timezone.now()
    rows = [
        Customer(id=f"00000000-0000-4000-8000-{n:012d}", company_name=f"Wingtip Toys {n:02d}", listed_at=now)
        for n in range(30)
    ]
    rows.append(
        Customer(
            id="a0b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3",
            company_name="Coho Winery",
            domain="cohowinery.onmicrosoft.com",
            country="BR",
            listed_at=now,
        )
    )
    for row in rows:
        row.save()  # save() writes the search text


def test_typing_a_search_updates_the_results_without_a_reload(page, personas, mirror):
    page.goto("/accounts/login/?next=/customers/")
    page.get_by_label("Username").fill("sales")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#results")).to_contain_text("31 customers")

    page.evaluate("window.__same_document = true")  # survives only if the page is not reloaded
    page.get_by_label("Company, domain or tenant id").press_sequentially("cohowine")
    expect(page.locator("#results .count")).to_have_text("1 customer")
    expect(page.locator("#results")).not_to_contain_text("Wingtip")
    expect(page.locator("#results")).to_contain_text("blocked (Brazil)")
    expect(page).to_have_url("/customers/?q=cohowine")

    page.get_by_label("Company, domain or tenant id").fill("wingtip")
    expect(page.locator("#results .count")).to_have_text("30 customers")
    page.get_by_role("link", name="Next").click()
    expect(page.locator("#results")).to_contain_text("Page 2 of 2")
    expect(page).to_have_url("/customers/?q=wingtip&page=2")
    assert page.evaluate("window.__same_document") is True
