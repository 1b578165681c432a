"""The "Register for reservations" button and the live status: who may press it, what a crafted request
gets, and what the fragment shows in each state. The portal's copy only: nothing reaches Partner Center."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from partnercenter.config import PartnerCenterConfig
from portal.models import AuditEntry, RegistrationRequest
from tests.unit.test_registration import (
    COHO_ID,
    COHO_PLAN_ID,
    NORTHWIND_ID,
    PLAN_ID,
    Registration,
    State,
    make_customer,
    make_subscription,
)

pytestmark = pytest.mark.django_db

OTHER_ID = "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"
OTHER_PLAN_ID = "1f2a3b4c-5d6e-4f7a-9b8c-0d1e2f3a4b5c"
BUTTON = "Register for reservations"


@pytest.fixture(autouse=True)
def _no_partner_center(settings):
    # Asking for a registration only records it: a call to Partner Center here would fail loudly.
    settings.PARTNER_CENTER = PartnerCenterConfig()


@pytest.fixture
def plan(db):
    return make_subscription(make_customer())


def register_url(customer_id: str = NORTHWIND_ID, subscription_id: str = PLAN_ID) -> str:
    return reverse("subscription-register", args=[customer_id, subscription_id])


def customer_page(client, customer_id: str = NORTHWIND_ID) -> str:
    response = client.get(reverse("customer", args=[customer_id]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("persona", ["sales", "support", "admin"])
def test_sales_support_and_admins_register_and_land_back_on_the_customer_page(
    client, personas, plan, persona
):
    client.force_login(personas[persona])
    response = client.post(register_url())
    assert response.status_code == 302
    assert response["Location"] == reverse("customer", args=[NORTHWIND_ID])
    found = RegistrationRequest.objects.get()
    assert (found.subscription_id, found.state, found.requested_by) == (
        PLAN_ID,
        State.PENDING,
        personas[persona],
    )
    html = customer_page(client)
    assert "Registration of Azure plan requested." in html
    assert "Waiting to be sent" in html


@pytest.mark.parametrize("persona", ["approver", "outsider"])
def test_approvers_and_accounts_without_a_role_may_not_register(client, personas, plan, persona):
    client.force_login(personas[persona])
    assert client.post(register_url()).status_code == 403
    assert not RegistrationRequest.objects.exists()


def test_strangers_are_sent_to_sign_in(client, plan):
    response = client.post(register_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not RegistrationRequest.objects.exists()


def test_registering_needs_a_post(client, personas, plan):
    client.force_login(personas["sales"])
    assert client.get(register_url()).status_code == 405
    assert not RegistrationRequest.objects.exists()


def test_a_crafted_post_for_a_blocked_market_is_refused_with_the_reason(client, personas, db):
    make_subscription(make_customer(COHO_ID, "Coho Winery", "BR"), COHO_PLAN_ID)
    client.force_login(personas["sales"])
    response = client.post(register_url(COHO_ID, COHO_PLAN_ID), follow=True)
    assert response.redirect_chain == [(reverse("customer", args=[COHO_ID]), 302)]
    assert "Azure reservations cannot be bought in Brazil" in response.content.decode()
    assert not RegistrationRequest.objects.exists()
    assert AuditEntry.objects.get(action="subscription-registration").outcome == "refused"


def test_an_already_registered_subscription_is_refused_with_the_reason(client, personas, db):
    make_subscription(make_customer(), registration=Registration.REGISTERED)
    client.force_login(personas["support"])
    html = client.post(register_url(), follow=True).content.decode()
    assert "already registered for reservation purchases" in html
    assert not RegistrationRequest.objects.exists()


def test_another_customers_subscription_in_the_address_is_not_found(client, personas, plan):
    # A tampered form: a customer the user is looking at, with the subscription of another one.
    other = make_customer(OTHER_ID, "Contoso", "US")
    make_subscription(other, OTHER_PLAN_ID)
    client.force_login(personas["sales"])
    assert client.post(register_url(NORTHWIND_ID, OTHER_PLAN_ID)).status_code == 404
    assert client.post(register_url(OTHER_ID, PLAN_ID)).status_code == 404
    assert not RegistrationRequest.objects.exists()


def test_an_unknown_subscription_is_not_found(client, personas, plan):
    client.force_login(personas["sales"])
    response = client.post(register_url(NORTHWIND_ID, "99999999-9999-4999-8999-999999999999"))
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


@pytest.mark.parametrize(
    ("customer_id", "subscription_id"),
    [
        ("not-a-guid", PLAN_ID),
        (NORTHWIND_ID, "6c7d8e9f-a0b1-4c2d-9e3f"),
        (NORTHWIND_ID, "6c7d8e9fa0b14c2d9e3f4a5b6c7d8e9f"),  # a GUID, but not in the form Partner Center uses
        (NORTHWIND_ID, f"{PLAN_ID}'--"),
    ],
)
def test_a_malformed_id_gets_the_bad_request_page(client, personas, plan, customer_id, subscription_id):
    client.force_login(personas["sales"])
    response = client.post(register_url(customer_id, subscription_id))
    assert response.status_code == 400
    assert "is not a valid GUID" in response.content.decode()
    assert not RegistrationRequest.objects.exists()


def test_the_ids_are_read_in_any_case(client, personas, plan):
    client.force_login(personas["sales"])
    assert client.post(register_url(NORTHWIND_ID.upper(), PLAN_ID.upper())).status_code == 302
    assert RegistrationRequest.objects.get().subscription_id == PLAN_ID


def test_a_double_post_makes_one_request(client, personas, plan):
    client.force_login(personas["sales"])
    assert client.post(register_url()).status_code == 302
    assert client.post(register_url()).status_code == 302
    assert RegistrationRequest.objects.count() == 1
    assert AuditEntry.objects.filter(action="subscription-registration", outcome="success").count() == 1


# --- the fragment ------------------------------------------------------------------------------------------


def test_with_htmx_the_answer_is_the_fragment_which_starts_polling(client, personas, plan):
    client.force_login(personas["sales"])
    response = client.post(register_url(), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    found = RegistrationRequest.objects.get()
    assert html.lstrip().startswith(f'<div class="registration" id="registration-{PLAN_ID}"')
    assert f'hx-get="{reverse("registration-status", args=[found.pk])}"' in html
    assert 'hx-trigger="every 2s"' in html
    assert "Waiting to be sent" in html
    assert BUTTON not in html  # no second registration while one is open


def test_with_htmx_a_refusal_is_shown_in_the_fragment(client, personas, db):
    make_subscription(make_customer(COHO_ID, "Coho Winery", "BR"), COHO_PLAN_ID)
    client.force_login(personas["sales"])
    response = client.post(register_url(COHO_ID, COHO_PLAN_ID), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"><small>Azure reservations cannot be bought in Brazil' in html
    assert BUTTON not in html
    assert not RegistrationRequest.objects.exists()


def test_the_button_is_a_form_that_works_without_javascript(client, personas, plan):
    client.force_login(personas["sales"])
    html = customer_page(client)
    url = register_url()
    assert f'<form method="post" action="{url}"' in html
    assert f'hx-post="{url}" hx-target="#registration-{PLAN_ID}" hx-swap="outerHTML"' in html
    assert BUTTON in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_an_approver_sees_the_status_without_the_button(client, personas, plan):
    client.force_login(personas["approver"])
    html = customer_page(client)
    assert ">Not registered</span>" in html
    assert BUTTON not in html


def test_no_button_for_a_registered_subscription_or_a_blocked_market(client, personas, db):
    make_subscription(make_customer(), registration=Registration.REGISTERED)
    make_subscription(make_customer(COHO_ID, "Coho Winery", "BR"), COHO_PLAN_ID)
    client.force_login(personas["admin"])
    assert BUTTON not in customer_page(client, NORTHWIND_ID)
    assert BUTTON not in customer_page(client, COHO_ID)


def status_of(client, found: RegistrationRequest):
    return client.get(reverse("registration-status", args=[found.pk]), headers={"HX-Request": "true"})


def test_polling_reads_the_row_and_stops_once_registered(client, personas, plan):
    client.force_login(personas["approver"])  # anyone who sees customers sees the status
    found = RegistrationRequest.objects.create(
        subscription=plan, requested_by=personas["sales"], deadline=timezone.now(), state=State.REGISTERING
    )
    response = status_of(client, found)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert ">Registering</span>" in html
    assert 'hx-trigger="every 2s"' in html

    RegistrationRequest.objects.filter(pk=found.pk).update(state=State.REGISTERED)
    plan.registration = Registration.REGISTERED
    plan.save()
    html = status_of(client, found).content.decode()
    assert ">Registered</span>" in html
    assert "hx-trigger" not in html
    assert "hx-get" not in html


def test_a_failed_registration_shows_the_reason_and_a_way_to_try_again(client, personas, plan):
    client.force_login(personas["support"])
    found = RegistrationRequest.objects.create(
        subscription=plan,
        requested_by=personas["sales"],
        deadline=timezone.now(),
        state=State.FAILED,
        last_error="This subscription is not active. (Reference: 0f8fad5b-d9cb-469f-a165-70867728950e)",
    )
    html = status_of(client, found).content.decode()
    assert "The last registration failed: This subscription is not active." in html
    assert "Try again" in html
    assert "hx-trigger" not in html
    assert client.post(register_url()).status_code == 302
    assert RegistrationRequest.objects.filter(state=State.PENDING).count() == 1


def test_a_retry_in_progress_is_shown_honestly(client, personas, plan):
    client.force_login(personas["sales"])
    found = RegistrationRequest.objects.create(
        subscription=plan,
        requested_by=personas["sales"],
        deadline=timezone.now(),
        state=State.REGISTERING,
        last_error="Partner Center is limiting requests. The portal will try again automatically.",
    )
    html = status_of(client, found).content.decode()
    assert "Partner Center is limiting requests. The portal will try again automatically." in html
    assert 'hx-trigger="every 2s"' in html


@pytest.mark.parametrize(("persona", "expected"), [("approver", 200), ("outsider", 403)])
def test_the_status_needs_the_right_to_see_customers(client, personas, plan, persona, expected):
    found = RegistrationRequest.objects.create(
        subscription=plan, requested_by=personas["sales"], deadline=timezone.now()
    )
    client.force_login(personas[persona])
    assert status_of(client, found).status_code == expected


def test_the_status_of_an_unknown_request_is_not_found(client, personas, db):
    client.force_login(personas["sales"])
    assert client.get(reverse("registration-status", args=[424242])).status_code == 404
