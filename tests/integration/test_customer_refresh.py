"""Reading one customer in full from Partner Center (the sandbox): its country, hence whether it can buy,
its Azure plans and legacy subscriptions with their registration state, and the Azure subscriptions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.urls import reverse

from partnercenter import NotFound, Transport, subscriptions
from partnercenter import customers as pc_customers
from portal import customer_tasks, customers
from portal.markets import verdict
from portal.models import AuditEntry, AzureSubscription, Customer, CustomerSubscription
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

GET_CUSTOMER = "GET /v1/customers/{customer_id}"
CUSTOMER_PATH = r"^/v1/customers/[^/]+$"
UNKNOWN_ID = "99999999-9999-4999-8999-999999999999"
Kind = CustomerSubscription.Kind


@pytest.fixture
def pc(partner_center: Sandbox) -> Iterator[Transport]:
    with Transport.from_config(partner_center.config, sleep=lambda _seconds: None) as transport:
        yield transport


@pytest.fixture
def listed(pc) -> dict[str, str]:
    """The customer list copied into the portal; the ids of the customers README.md describes, by name."""
    customers.sync_customers(pc)
    return dict(Customer.objects.values_list("company_name", "id"))


@pytest.fixture(autouse=True)
def _no_faults_left_behind(sandbox: Sandbox) -> Iterator[None]:
    yield
    sandbox.admin("DELETE", "faults")


def test_fabrikam_is_in_the_us_can_buy_and_has_a_registered_azure_plan_with_two_azure_subscriptions(
    pc, listed
):
    fabrikam = customers.refresh_customer(pc, listed["Fabrikam Inc"])

    assert fabrikam.country == "US" and fabrikam.relationship == "reseller"
    assert fabrikam.details_read_at is not None and fabrikam.subscriptions_read_at is not None
    assert verdict(fabrikam.country).can_buy
    (plan,) = fabrikam.subscriptions.all()  # Microsoft 365 and the reservations bought are not kept
    assert plan.kind == Kind.AZURE_PLAN and plan.name == "Azure plan" and plan.status == "active"
    assert plan.registration == CustomerSubscription.Registration.REGISTERED
    assert plan.registration_read_at is not None
    azure = list(plan.azure_subscriptions.order_by("name"))
    assert [a.name for a in azure] == ["Microsoft Azure", "Production"]
    assert all(a.status == "active" and len(a.pk) == 36 for a in azure)


def test_reservations_already_bought_are_not_taken_for_subscriptions(pc, listed):
    listed_by_partner_center = list(subscriptions.list_subscriptions(pc, listed["Fabrikam Inc"]))
    benefits = [s for s in listed_by_partner_center if s.billing_type == "benefit"]
    assert benefits, "the sandbox lists Fabrikam's earlier reservations as subscriptions"

    fabrikam = customers.refresh_customer(pc, listed["Fabrikam Inc"])

    kept = set(fabrikam.subscriptions.values_list("id", flat=True))
    assert kept.isdisjoint(s.id for s in benefits)


def test_azure_plans_and_legacy_subscriptions_are_told_apart(pc, listed):
    adventure_works = customers.refresh_customer(pc, listed["Adventure Works Cycles"])
    wide_world = customers.refresh_customer(pc, listed["Wide World Importers"])

    assert sorted(adventure_works.subscriptions.values_list("kind", flat=True)) == [
        Kind.AZURE_PLAN,
        Kind.LEGACY,
    ]
    legacy = adventure_works.subscriptions.get(kind=Kind.LEGACY)
    assert legacy.offer_id == "MS-AZR-0145P" and legacy.registration == "Registered"
    assert not legacy.azure_subscriptions.exists()  # a legacy subscription is itself the Azure subscription
    assert adventure_works.subscriptions.get(kind=Kind.AZURE_PLAN).azure_subscriptions.count() == 2
    assert list(wide_world.subscriptions.values_list("kind", "registration")) == [
        (Kind.LEGACY, "NotRegistered")
    ]
    assert wide_world.country == "DE"


def test_subscriptions_partner_center_no_longer_lists_are_removed(pc, listed):
    fabrikam = customers.refresh_customer(pc, listed["Fabrikam Inc"])
    plan = fabrikam.subscriptions.get()
    AzureSubscription.objects.create(id="0badc0de-0000-4000-8000-000000000001", plan=plan, name="Cancelled")
    CustomerSubscription.objects.create(
        id="0badc0de-0000-4000-8000-000000000002", customer=fabrikam, kind=Kind.LEGACY, name="Cancelled"
    )

    customers.refresh_customer(pc, fabrikam.pk)

    assert list(fabrikam.subscriptions.values_list("id", flat=True)) == [plan.pk]
    assert plan.azure_subscriptions.count() == 2


def test_a_customer_missing_from_the_copy_is_added_when_read(pc):
    found = next(pc_customers.list_customers(pc, name_starts_with="Northwind Traders"))
    northwind = customers.refresh_customer(pc, found.id.upper())
    assert Customer.objects.get(pk=found.id) == northwind
    assert northwind.company_name == "Northwind Traders" and northwind.country == "US"
    assert [c.pk for c in customers.search("northwind traders", 1)] == [found.id]


def test_an_unknown_customer_raises_not_found_and_writes_nothing(pc):
    with pytest.raises(NotFound):
        customers.refresh_customer(pc, UNKNOWN_ID)
    assert not Customer.objects.exists()


def test_a_registration_status_that_cannot_be_read_leaves_it_unknown(pc, partner_center, listed):
    partner_center.faults(
        {"method": "GET", "path": "/registrationstatus$", "kind": "error", "status": 403, "code": "20002"}
    )
    fabrikam = customers.refresh_customer(pc, listed["Fabrikam Inc"])
    plan = fabrikam.subscriptions.get()
    assert plan.registration == CustomerSubscription.Registration.UNKNOWN
    assert plan.registration_read_at is None
    assert plan.azure_subscriptions.count() == 2


# --- the pages ------------------------------------------------------------------------------------------


def test_opening_a_customer_never_read_reads_it_and_shows_a_blocked_market_by_name(client, personas, listed):
    client.force_login(personas["sales"])
    response = client.get(reverse("customer", args=[listed["Coho Winery"]]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-verdict="blocked"' in html
    assert "Azure reservations cannot be bought in Brazil" in html
    assert "Brazil (BR)" in html
    assert Customer.objects.get(pk=listed["Coho Winery"]).country == "BR"
    listing = client.get(reverse("customers"), {"q": "coho winery"}).content.decode()
    assert "blocked (Brazil)" in listing


def test_refreshing_a_customer_is_audited_with_its_correlation_id(client, personas, listed):
    client.force_login(personas["support"])
    response = client.post(reverse("customer-refresh", args=[listed["Fabrikam Inc"]]), follow=True)

    html = response.content.decode()
    assert response.redirect_chain == [(reverse("customer", args=[listed["Fabrikam Inc"]]), 302)]
    assert "Fabrikam Inc was refreshed from Partner Center." in html
    assert "Registered" in html and "Production" in html
    entry = AuditEntry.objects.get(action="customer-refresh")
    assert entry.outcome == "success" and entry.actor == personas["support"]
    assert entry.object_id == listed["Fabrikam Inc"] and entry.object_repr == "Fabrikam Inc"
    assert len(entry.correlation_id) == 36


def test_a_burst_of_429_on_the_customer_call_is_ridden_out(client, personas, partner_center, listed):
    partner_center.faults(
        {"method": "GET", "path": CUSTOMER_PATH, "kind": "throttle", "retry_after": 0, "count": 2}
    )
    client.force_login(personas["sales"])
    html = client.post(
        reverse("customer-refresh", args=[listed["Fabrikam Inc"]]), follow=True
    ).content.decode()

    assert "Fabrikam Inc was refreshed from Partner Center." in html
    assert partner_center.stats()["requests"][GET_CUSTOMER] == 3
    assert AuditEntry.objects.get(action="customer-refresh").outcome == "success"


def test_a_throttled_refresh_is_explained_and_audited_as_a_failure(client, personas, partner_center, listed):
    # Longer than the client waits on its own: it hands the 429 back at once.
    partner_center.faults({"method": "GET", "path": CUSTOMER_PATH, "kind": "throttle", "retry_after": 600})
    client.force_login(personas["sales"])
    html = client.post(
        reverse("customer-refresh", args=[listed["Fabrikam Inc"]]), follow=True
    ).content.decode()

    assert "The customer could not be refreshed from Partner Center" in html
    assert "Partner Center is limiting the number of requests. Try again in a minute." in html
    entry = AuditEntry.objects.get(action="customer-refresh")
    assert entry.outcome == "failure" and len(entry.correlation_id) == 36
    assert entry.correlation_id in html  # quoted as the reference for support


def test_an_unknown_customer_gets_the_404_page(client, personas, partner_center):
    client.force_login(personas["sales"])
    response = client.get(reverse("customer", args=[UNKNOWN_ID]))
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()
    assert client.post(reverse("customer-refresh", args=[UNKNOWN_ID])).status_code == 404
    assert not AuditEntry.objects.filter(action="customer-refresh").exists()


# --- the tasks ------------------------------------------------------------------------------------------


def test_a_throttled_refresh_task_is_tried_again_and_completes(partner_center, listed):
    partner_center.faults(
        {"method": "GET", "path": CUSTOMER_PATH, "kind": "throttle", "retry_after": 600, "count": 1}
    )
    result = customer_tasks.refresh_customer.apply(args=[listed["Fabrikam Inc"]])

    assert result.successful()
    assert partner_center.stats()["requests"][GET_CUSTOMER] == 2
    assert Customer.objects.get(pk=listed["Fabrikam Inc"]).country == "US"


def test_a_refused_refresh_task_is_not_tried_again(partner_center):
    result = customer_tasks.refresh_customer.apply(args=[UNKNOWN_ID])

    assert result.failed() and isinstance(result.result, NotFound)
    assert partner_center.stats()["requests"][GET_CUSTOMER] == 1


def test_filling_in_details_reads_a_few_customers_never_read_and_no_others(partner_center, listed):
    customers.refresh_customer(Transport.from_config(partner_center.config), listed["Fabrikam Inc"])

    result = customer_tasks.fill_customer_details.apply(kwargs={"limit": 5})

    assert result.successful() and result.result == 5
    assert Customer.objects.filter(details_read_at__isnull=False).count() == 6
    assert partner_center.stats()["requests"][GET_CUSTOMER] == 6
    assert Customer.objects.exclude(country="").count() == 6


def test_customers_partner_center_refuses_do_not_block_the_others(partner_center, listed):
    # Two customers Partner Center no longer knows were listed before everyone else.
    for n, gone in enumerate(
        ("00000000-0000-4000-8000-00000000aaa1", "00000000-0000-4000-8000-00000000aaa2")
    ):
        Customer.objects.create(
            id=gone,
            company_name=f"Gone {n}",
            listed_at=Customer.objects.order_by("listed_at").first().listed_at - timedelta(days=1),
        )

    first = customer_tasks.fill_customer_details.apply(kwargs={"limit": 2})
    second = customer_tasks.fill_customer_details.apply(kwargs={"limit": 2})

    assert first.successful() and first.result == 0  # both refused, and sent to the back of the queue
    assert second.successful() and second.result == 2  # the next run reads two others
    assert Customer.objects.filter(details_read_at__isnull=False).count() == 2
    assert Customer.objects.filter(details_failed_at__isnull=False).count() == 2
