"""From a SKU page to a reservation, in Chromium, against the sandbox: Sales asks for a reservation, an
approver approves it, the portal buys it, the order page shows it, and the reservation appears on the
customer's reservations page once Partner Center has provisioned it."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from catalog.models import Sku
from orders import checkout_tasks
from portal import celery_app
from portal.models import Customer, CustomerSubscription
from tests.conftest import PASSWORD
from tests.integration.conftest import mirror_customer
from tests.integration.test_catalog_inventory import available_and_restricted_skus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENT = "Within the quarter's budget."


# --- the world: Fabrikam from the sandbox, and its catalog mirror ------------------------------------------


@pytest.fixture
def fabrikam(partner_center) -> Customer:
    """Fabrikam Inc (US): a registered Azure plan, copied from the sandbox as its customer page does."""
    return mirror_customer("Fabrikam Inc")


@pytest.fixture
def available(fabrikam) -> Sku:
    """A VM SKU Partner Center has capacity for, in the published mirror of Fabrikam's Azure plan catalog
    (read from the sandbox, so that its availability ids are the ones Partner Center sells)."""
    plan = fabrikam.subscriptions.get(kind=CustomerSubscription.Kind.AZURE_PLAN)
    return available_and_restricted_skus(fabrikam, plan)["available"]


# --- the worker -----------------------------------------------------------------------------------------


class Worker:
    """Plays the Celery worker that takes the checkout approval sends: the task runs in a thread of this
    process once the test lets it, so the page is seen waiting for it first. Tasks the checkout sends in turn
    (order reconciliation) run at once, in eager mode, leaving nothing on the tests' broker."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.stopped = False
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def delay(self, request_id: int) -> None:
        thread = threading.Thread(target=self._run, args=(request_id,), daemon=True)
        self.threads.append(thread)
        thread.start()

    def _run(self, request_id: int) -> None:
        try:
            if self.go.wait(timeout=60) and not self.stopped:
                checkout_tasks.checkout_purchase.apply(args=(request_id,), throw=True)
        except BaseException as exc:  # reported by the test, which would otherwise only see a stuck page
            self.errors.append(exc)
        finally:
            connections.close_all()

    def stop(self) -> None:
        """Let waiting threads end without checking anything out (the test is over), and wait for them."""
        self.stopped = True
        self.go.set()
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Worker]:
    running = Worker()
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(checkout_tasks.checkout_purchase, "delay", running.delay)
    yield running
    running.stop()


# --- what staff do ----------------------------------------------------------------------------------------


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def sign_in_with_microsoft(page: Page, name: str) -> None:
    """Through the sandbox's account picker, as test_microsoft_sign_in.py does."""
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Microsoft").click()
    expect(page).to_have_url(re.compile(r"^https://127\.0\.0\.1:\d+/.+/oauth2/v2\.0/authorize"))
    page.get_by_role("radio", name=re.compile(name)).check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {name.split()[0]}")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def expect_message(page: Page, text: str) -> None:
    """The page tells the person how their action went (a message, or the htmx answer's notice)."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def open_fabrikam(page: Page) -> None:
    nav(page, "Customers")
    page.get_by_label("Company, domain or tenant id").fill("Fabrikam")
    page.locator("#results").get_by_role("link", name="Fabrikam Inc").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fabrikam Inc")


def refresh_until_listed(page: Page, order_id: str, timeout: float = 20) -> None:
    """Press "Refresh from Partner Center" until the reservation bought by `order_id` is listed: Partner
    Center lists it once the order is completed (seconds after checkout in the test sandbox)."""
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=order_id))
    deadline = time.monotonic() + timeout
    while True:
        with page.expect_navigation():
            page.get_by_role("button", name="Refresh from Partner Center").click()
        expect_message(page, "Reservations of Fabrikam Inc read from Partner Center")
        if row.count() or time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)
    expect(row).to_have_count(1)


def test_a_reservation_goes_from_the_catalog_through_approval_to_the_customers_reservations(
    page: Page, personas, fabrikam, available, worker
):
    # 1. Sales finds the SKU in Fabrikam's catalog and asks for it.
    sign_in(page, "sales")
    open_fabrikam(page)
    page.get_by_role("link", name="Browse catalog").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reservation catalog")
    page.locator("#results").get_by_role("link", name=available.title).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(available.title)

    form = page.get_by_test_id("add-line")
    offer = form.get_by_label("Term and billing")
    offer.select_option(index=0)
    term = offer.locator("option:checked").inner_text().split(",")[0]
    form.get_by_label("Quantity").fill("2")
    form.get_by_label("Scope").select_option(label="Shared")
    form.get_by_role("button", name="Add to purchase request").click()

    expect(page).to_have_url(re.compile(r"/purchases/\d+/$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Purchase request PR-\d{6}$"))
    reference = heading.inner_text().removeprefix("Purchase request ")
    expect_message(page, f"Added 2 x {available.title} to {reference}.")
    expect(page.get_by_test_id("state-badge")).to_have_text("Draft")
    line = page.get_by_test_id("lines").locator("tbody tr").first
    expect(line).to_contain_text(available.title)
    expect(line).to_contain_text(term)
    expect(line.get_by_test_id("unit-price")).to_have_text(re.compile(r"^\d[\d,]*\.\d\d USD$"))
    total = page.get_by_test_id("quoted-total")
    expect(total).to_have_text(re.compile(r"^\d[\d,]*\.\d\d USD$"))
    quoted = total.inner_text()
    expect(page.get_by_test_id("cart-expiry")).to_have_text(re.compile(r"expires .+ \(in [67] days\)"))

    page.get_by_label("Note for the approver (optional)").fill("For the new web tier.")
    page.get_by_role("button", name="Send for approval").click()
    expect_message(page, "Sent for approval. Approvers have been told.")
    expect(page.get_by_test_id("state-badge")).to_have_text("Awaiting approval")
    sign_out(page)

    # 2. The approver finds it in the queue and approves it.
    sign_in(page, "approver")
    nav(page, "Purchases")
    page.get_by_role("link", name="Requests awaiting approval").click()
    queued = page.get_by_test_id("queue").get_by_role("row").filter(has_text=reference)
    expect(queued).to_contain_text("Fabrikam Inc")
    expect(queued).to_contain_text(quoted)
    expect(queued).to_contain_text("you can approve it")
    queued.get_by_role("link", name=reference).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Purchase request {reference}")
    expect(page.get_by_test_id("note")).to_have_text("For the new web tier.")
    page.get_by_label("Comment (optional)").fill(COMMENT)
    page.get_by_role("button", name=f"Approve ({quoted})").click()
    expect_message(page, "Approved. The portal is checking it out now.")
    state = page.get_by_test_id("purchase-state")
    expect(state.get_by_test_id("state-badge")).to_have_text("Approved")
    expect(state).to_contain_text("Approved: the portal is about to check the cart out.")
    approvals = page.get_by_test_id("approvals")
    expect(approvals).to_contain_text("by Approver")
    expect(approvals).to_contain_text(COMMENT)

    # 3. The worker checks it out; the page, polling, shows it ordered without being reloaded by hand.
    worker.go.set()
    expect(page.get_by_test_id("state-badge")).to_have_text("Ordered", timeout=15_000)
    assert not worker.errors, worker.errors
    expect(page.get_by_test_id("purchase-state")).to_contain_text("Bought: Partner Center took the order.")
    order_link = page.get_by_test_id("orders").get_by_role("link")
    expect(order_link).to_have_count(1)
    order_id = order_link.inner_text()
    expect(page.get_by_test_id("line-outcome")).to_have_text(order_id)

    # 4. The order page: its status, its line, the request it came from and who approved it.
    order_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order_id}")
    expect(page.get_by_test_id("order-status").locator("dd strong").first).to_have_text(
        re.compile(r"^(Pending|Completed)$")
    )
    order_line = page.get_by_test_id("order-status").locator("tbody tr")
    expect(order_line).to_have_count(1)
    expect(order_line).to_contain_text(available.sku_id)
    expect(order_line).to_contain_text(term)
    expect(order_line.locator("td").nth(3)).to_have_text("2")
    expect(page.get_by_test_id("purchase-request-link")).to_have_text(f"purchase request {reference}")
    expect(page.get_by_test_id("approval")).to_contain_text(re.compile(r"Approved by\s*Approver"))
    sign_out(page)

    # 5. An admin with her own Microsoft session reads Fabrikam's reservations from Partner Center.
    sign_in_with_microsoft(page, "Adele Vance")
    open_fabrikam(page)
    page.get_by_test_id("customer-follow-up").get_by_role("link", name="Reservations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reservations of Fabrikam Inc")
    refresh_until_listed(page, order_id)
    reservation = page.get_by_role("row").filter(has=page.get_by_role("link", name=order_id))
    expect(reservation).to_contain_text(available.title)
    days_left = reservation.get_by_test_id("days-left")
    expect(days_left).to_have_text(re.compile(r"^\d+ days left$"))
    years = int(term.split()[0])  # "1 year", "3 years"
    assert 365 * years - 2 <= int(days_left.inner_text().split()[0]) <= 366 * years, days_left.inner_text()
    expect(reservation.locator("time")).to_have_text(re.compile(r"\d"))
    expect(reservation.get_by_role("link", name=f"purchase request {reference}")).to_be_visible()

    # Its order, read again from Partner Center, is completed now.
    reservation.get_by_role("link", name=order_id).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order_id}")
    page.get_by_test_id("refresh-order").get_by_role("button", name="Refresh from Partner Center").click()
    expect_message(page, f"Order {order_id} read from Partner Center: Completed.")
    expect(page.get_by_test_id("order-status").locator("dd strong").first).to_have_text("Completed")
