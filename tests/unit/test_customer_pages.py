"""A customer's page, read from the portal's copy; who may open the customer pages; malformed addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnercenter.config import PartnerCenterConfig
from portal.models import AuditEntry, AzureSubscription, Customer, CustomerSubscription, RegistrationRequest

pytestmark = pytest.mark.django_db

FABRIKAM_ID = "8c6d2d5e-1f0a-4c1e-9d53-0c6f2e9d1a11"
COHO_ID = "a0b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3"
PLAN_ID = "3c2b1a09-8f7e-4d6c-b5a4-392817160504"
LEGACY_ID = "4d3c2b1a-0f9e-4d7c-a6b5-4a3928171605"
UNKNOWN_ID = "99999999-9999-4999-8999-999999999999"

PERSONAS_WITH_ACCESS = ["sales", "approver", "support", "admin"]


@pytest.fixture(autouse=True)
def _no_partner_center(settings):
    # Pages here must work from the portal's copy alone; a call to Partner Center would fail loudly.
    settings.PARTNER_CENTER = PartnerCenterConfig()


def read_customer(customer_id: str, name: str, country: str) -> Customer:
    now = timezone.now()
    return Customer.objects.create(
        id=customer_id,
        company_name=name,
        domain=f"{name.split()[0].lower()}.onmicrosoft.com",
        country=country,
        relationship="reseller",
        listed_at=now,
        details_read_at=now,
        subscriptions_read_at=now,
    )


@pytest.fixture
def fabrikam(db) -> Customer:
    customer = read_customer(FABRIKAM_ID, "Fabrikam Inc", "US")
    plan = CustomerSubscription.objects.create(
        id=PLAN_ID,
        customer=customer,
        kind=CustomerSubscription.Kind.AZURE_PLAN,
        name="Azure plan",
        status="active",
        registration=CustomerSubscription.Registration.REGISTERED,
    )
    CustomerSubscription.objects.create(
        id=LEGACY_ID,
        customer=customer,
        kind=CustomerSubscription.Kind.LEGACY,
        name="Microsoft Azure",
        status="suspended",
        registration=CustomerSubscription.Registration.NOT_REGISTERED,
    )
    AzureSubscription.objects.create(
        id="11111111-aaaa-4bbb-8ccc-000000000001", plan=plan, name="Production", status="active"
    )
    AzureSubscription.objects.create(
        id="11111111-aaaa-4bbb-8ccc-000000000002", plan=plan, name="Development", status="active"
    )
    return customer


def page_of(client, customer_id: str) -> str:
    response = client.get(reverse("customer", args=[customer_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_profile_and_that_the_customer_can_buy(client, personas, fabrikam):
    client.force_login(personas["sales"])
    html = page_of(client, FABRIKAM_ID)
    assert "Fabrikam Inc" in html and "fabrikam.onmicrosoft.com" in html and FABRIKAM_ID in html
    assert "United States of America (US)" in html and "reseller" in html
    assert 'data-verdict="available"' in html
    assert "Azure reservations can be bought in United States of America." in html


def test_subscriptions_are_grouped_with_the_azure_subscriptions_under_each_plan(client, personas, fabrikam):
    client.force_login(personas["support"])
    html = page_of(client, FABRIKAM_ID)
    plans = html[html.index('data-testid="azure-plans"') : html.index('data-testid="legacy"')]
    legacy = html[html.index('data-testid="legacy"') :]
    assert PLAN_ID in plans and "Production" in plans and "Development" in plans and "Registered" in plans
    assert LEGACY_ID in legacy and "Suspended" in legacy and "Not registered" in legacy
    assert "Production" not in legacy


def test_a_blocked_market_is_explained_in_plain_words(client, personas):
    read_customer(COHO_ID, "Coho Winery", "BR")
    client.force_login(personas["sales"])
    html = page_of(client, COHO_ID)
    assert 'data-verdict="blocked"' in html
    assert "Azure reservations cannot be bought in Brazil, the customer&#x27;s market." in html
    assert "nothing can be bought for this customer" in html
    assert "This customer has no Azure plan." in html


def test_a_customer_whose_country_is_unknown_is_told_to_refresh(client, personas):
    customer = read_customer(COHO_ID, "Coho Winery", "")
    client.force_login(personas["sales"])
    html = page_of(client, customer.pk)
    assert 'data-verdict="unknown"' in html
    assert "refresh the customer from Partner Center" in html
    assert reverse("customer-refresh", args=[COHO_ID]) in html


def queries_to_open(client, customer_id: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("customer", args=[customer_id]))
    assert response.status_code == 200
    return len(queries), response


def test_the_page_shows_each_subscriptions_latest_registration_without_a_query_per_subscription(
    client, personas, fabrikam
):
    user = personas["sales"]
    client.force_login(user)
    plan = CustomerSubscription.objects.get(pk=PLAN_ID)
    old = RegistrationRequest.objects.create(
        subscription=plan, requested_by=user, state="failed", deadline=timezone.now()
    )
    RegistrationRequest.objects.filter(pk=old.pk).update(requested_at=timezone.now() - timedelta(days=2))
    newest = RegistrationRequest.objects.create(
        subscription=plan, requested_by=user, state="registered", deadline=timezone.now()
    )
    queries_for_two, response = queries_to_open(client, FABRIKAM_ID)
    plans = {sub.pk: sub for sub in response.context["plans"]}
    assert plans[PLAN_ID].latest_registration == newest
    assert response.context["legacy"][0].latest_registration is None
    assert response.context["customer"] == fabrikam and response.context["verdict"].can_buy

    for n in range(5):
        more = CustomerSubscription.objects.create(
            id=f"5e4d3c2b-0000-4000-8000-00000000000{n}",
            customer=fabrikam,
            kind=CustomerSubscription.Kind.AZURE_PLAN,
            name=f"Azure plan {n}",
        )
        RegistrationRequest.objects.create(subscription=more, requested_by=user, deadline=timezone.now())
        AzureSubscription.objects.create(id=f"6f5e4d3c-0000-4000-8000-00000000000{n}", plan=more)
    queries_for_seven, response = queries_to_open(client, FABRIKAM_ID)
    assert len(response.context["plans"]) == 6
    assert queries_for_seven == queries_for_two


def test_a_customer_never_read_and_no_partner_center_shows_the_copy_and_says_why(client, personas):
    Customer.objects.create(id=COHO_ID, company_name="Coho Winery", listed_at=timezone.now())
    client.force_login(personas["sales"])
    html = page_of(client, COHO_ID)
    assert "Coho Winery" in html
    assert "Partner Center is not configured for this portal." in html
    assert 'data-verdict="unknown"' in html


def test_an_unknown_customer_without_partner_center_is_not_a_crash(client, personas):
    client.force_login(personas["sales"])
    response = client.get(reverse("customer", args=[UNKNOWN_ID]))
    assert response.status_code == 503
    assert "Partner Center is not configured for this portal." in response.content.decode()


def test_refreshing_without_partner_center_says_so(client, personas, fabrikam):
    client.force_login(personas["sales"])
    response = client.post(reverse("customer-refresh", args=[FABRIKAM_ID]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("customer", args=[FABRIKAM_ID])
    assert "Partner Center is not configured for this portal." in response.content.decode()


def test_a_customer_id_is_found_whatever_its_case(client, personas, fabrikam):
    client.force_login(personas["sales"])
    assert "Fabrikam Inc" in page_of(client, FABRIKAM_ID.upper())


# --- malformed addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-a-guid",
        "8c6d2d5e1f0a4c1e9d530c6f2e9d1a11",  # no dashes
        "8c6d2d5e-1f0a-4c1e-9d53-0c6f2e9d1a1",  # one digit short
        "8c6d2d5e-1f0a-4c1e-9d53-0c6f2e9d1a11x",
        "{8c6d2d5e-1f0a-4c1e-9d53-0c6f2e9d1a11}",
        "zzzzzzzz-1f0a-4c1e-9d53-0c6f2e9d1a11",
        "%27%20OR%201%3D1",
        "x" * 500,
    ],
)
def test_a_malformed_customer_id_gets_the_400_page(client, personas, bad_id):
    client.force_login(personas["sales"])
    for response in (
        client.get(f"/customers/{bad_id}/"),
        client.post(f"/customers/{bad_id}/refresh/"),
    ):
        assert response.status_code == 400
        html = response.content.decode()
        assert "This address is not valid" in html
        assert "The customer id in this address is malformed" in html
    assert not AuditEntry.objects.filter(action="customer-refresh").exists()


def test_refresh_needs_a_post(client, personas, fabrikam):
    client.force_login(personas["sales"])
    assert client.get(reverse("customer-refresh", args=[FABRIKAM_ID])).status_code == 405


def test_refresh_needs_the_csrf_token(personas, fabrikam):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas["sales"])
    assert strict.post(reverse("customer-refresh", args=[FABRIKAM_ID])).status_code == 403


# --- who may open them ----------------------------------------------------------------------------------

URLS = [
    ("get", "customers", []),
    ("get", "customer", [FABRIKAM_ID]),
    ("post", "customer-refresh", [FABRIKAM_ID]),
]


@pytest.mark.parametrize(("method", "name", "args"), URLS)
@pytest.mark.parametrize("persona", PERSONAS_WITH_ACCESS)
def test_every_role_may_look_up_customers(client, personas, fabrikam, persona, method, name, args):
    client.force_login(personas[persona])
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == (302 if method == "post" else 200)


@pytest.mark.parametrize(("method", "name", "args"), URLS)
def test_an_account_without_a_role_is_refused_every_customer_page(
    client, personas, fabrikam, method, name, args
):
    client.force_login(personas["outsider"])
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 403
    assert "Fabrikam" not in response.content.decode()


@pytest.mark.parametrize(("method", "name", "args"), URLS)
def test_strangers_are_sent_to_sign_in(client, fabrikam, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
