"""A Sales user registers a customer's Azure plan from its page and watches it become Registered, without
reloading: the button posts through htmx, and the fragment polls the portal's own record until done."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from portal import registration
from portal.models import CustomerSubscription, RegistrationRequest
from tests.conftest import PASSWORD
from tests.integration.conftest import mirror_customer, tasks_run_in_process  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_sales_registers_a_plan_and_sees_it_become_registered_without_reloading(
    page,
    personas,
    partner_center,
    tasks_run_in_process,  # noqa: F811
):
    # The test plays the worker: the button's task runs in the web process, and the check that finds the
    # registration done is made below, while the page keeps polling.
    northwind = mirror_customer("Northwind Traders")  # its Azure plan is NotRegistered
    plan = northwind.subscriptions.get(kind=CustomerSubscription.Kind.AZURE_PLAN)
    sign_in(page, "sales")
    page.goto(reverse("customer", args=[northwind.pk]))
    status = page.locator(f"#registration-{plan.pk}")
    expect(status.locator(".registration-status")).to_have_text("Not registered")

    page.evaluate("window.__same_document = true")  # survives only if the page is not reloaded
    status.get_by_role("button", name="Register for reservations").click()
    expect(status.locator(".registration-status")).to_have_text("Registering")
    expect(status.get_by_role("button")).to_have_count(0)

    found = RegistrationRequest.objects.get(subscription=plan)
    partner_center.advance_clock(3)  # the sandbox finishes a registration after 2 s of its clock
    RegistrationRequest.objects.filter(pk=found.pk).update(next_check_at=timezone.now())
    assert registration.advance(found.pk).state == RegistrationRequest.State.REGISTERED

    expect(status.locator(".registration-status")).to_have_text("Registered", timeout=10_000)
    expect(status).not_to_have_attribute("hx-trigger", "every 2s")  # polling stopped
    assert page.evaluate("window.__same_document") is True
