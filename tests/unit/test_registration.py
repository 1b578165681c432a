"""Asking for a registration: what is refused on the server, what is recorded, and what the watcher is given.

Nothing here reaches Partner Center (tests/integration/test_registration.py does, against the sandbox).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from partnercenter.config import PartnerCenterConfig
from portal import partner_center, registration
from portal.markets import MarketBlocked
from portal.models import AuditEntry, Customer, CustomerSubscription, RegistrationRequest
from portal.registration_tasks import advance_registration, sweep_registrations

pytestmark = pytest.mark.django_db

NORTHWIND_ID = "5b6c7d8e-9fa0-4b1c-8d2e-3f4a5b6c7d8e"
COHO_ID = "a0b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3"
PLAN_ID = "6c7d8e9f-a0b1-4c2d-9e3f-4a5b6c7d8e9f"
COHO_PLAN_ID = "7d8e9fa0-b1c2-4d3e-8f4a-5b6c7d8e9fa0"

Registration = CustomerSubscription.Registration
State = RegistrationRequest.State


def make_customer(customer_id: str = NORTHWIND_ID, name: str = "Northwind Traders", country: str = "US"):
    now = timezone.now()
    return Customer.objects.create(
        id=customer_id,
        company_name=name,
        domain=f"{name.split()[0].lower()}.onmicrosoft.com",
        country=country,
        listed_at=now,
        details_read_at=now,
        subscriptions_read_at=now,
    )


def make_subscription(
    customer: Customer,
    subscription_id: str = PLAN_ID,
    *,
    kind: str = CustomerSubscription.Kind.AZURE_PLAN,
    registration: str = Registration.NOT_REGISTERED,
) -> CustomerSubscription:
    return CustomerSubscription.objects.create(
        id=subscription_id,
        customer=customer,
        kind=kind,
        name="Azure plan",
        status="active",
        registration=registration,
    )


@pytest.fixture
def plan(db) -> CustomerSubscription:
    """Northwind Traders (US) and its Azure plan, not registered yet."""
    return make_subscription(make_customer())


@pytest.fixture
def coho_plan(db) -> CustomerSubscription:
    """Coho Winery is in Brazil, where reservations cannot be bought."""
    return make_subscription(make_customer(COHO_ID, "Coho Winery", "BR"), COHO_PLAN_ID)


def test_a_request_is_recorded_pending_with_a_two_hour_deadline_and_audited(plan, personas):
    before = timezone.now()
    found = registration.request_registration(plan, personas["sales"])
    assert found.state == State.PENDING
    assert found.requested_by == personas["sales"]
    assert before + timedelta(hours=2) <= found.deadline <= timezone.now() + timedelta(hours=2)
    entry = AuditEntry.objects.get(action="subscription-registration")
    assert (entry.actor, entry.outcome, entry.object_id) == (personas["sales"], "success", PLAN_ID)
    assert entry.message == "Registration requested."
    assert "Northwind Traders" in entry.object_repr


def test_the_watcher_is_handed_the_request_when_it_commits(
    plan, personas, django_capture_on_commit_callbacks
):
    # On commit, not at once: a worker handed the id earlier could not see the row yet.
    with django_capture_on_commit_callbacks() as callbacks:
        registration.request_registration(plan, personas["sales"])
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        registration.request_registration(plan, personas["sales"])  # the open one: nothing new to watch
    assert callbacks == []


def test_asking_twice_returns_the_open_request_instead_of_starting_another(plan, personas):
    first = registration.request_registration(plan, personas["sales"])
    second = registration.request_registration(plan, personas["support"])
    assert second.pk == first.pk
    assert RegistrationRequest.objects.count() == 1
    assert AuditEntry.objects.filter(action="subscription-registration").count() == 1


def test_the_database_refuses_a_second_open_request_for_a_subscription(plan, personas):
    # What makes two simultaneous clicks harmless: request_registration relies on it.
    registration.request_registration(plan, personas["sales"])
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationRequest.objects.create(
            subscription=plan, requested_by=personas["sales"], deadline=timezone.now()
        )


def test_a_finished_request_does_not_stop_a_new_one(plan, personas):
    old = registration.request_registration(plan, personas["sales"])
    RegistrationRequest.objects.filter(pk=old.pk).update(state=State.FAILED, finished_at=timezone.now())
    new = registration.request_registration(plan, personas["sales"])
    assert new.pk != old.pk
    assert registration.latest_request(plan) == new


def test_a_blocked_market_is_refused_and_the_refusal_audited(coho_plan, personas):
    with pytest.raises(MarketBlocked) as refused:
        registration.request_registration(coho_plan, personas["sales"])
    assert "Brazil" in refused.value.user_message
    assert not RegistrationRequest.objects.exists()
    entry = AuditEntry.objects.get(action="subscription-registration")
    assert entry.outcome == "refused"
    assert "Brazil" in entry.message


def test_a_customer_whose_country_is_not_known_yet_is_refused(db, personas):
    subscription = make_subscription(make_customer(country=""))
    with pytest.raises(MarketBlocked) as refused:
        registration.request_registration(subscription, personas["sales"])
    assert "not known yet" in refused.value.user_message
    assert not RegistrationRequest.objects.exists()


def test_an_already_registered_subscription_is_refused(db, personas):
    subscription = make_subscription(make_customer(), registration=Registration.REGISTERED)
    with pytest.raises(registration.RegistrationRefused) as refused:
        registration.request_registration(subscription, personas["support"])
    assert refused.value.user_message == "This subscription is already registered for reservation purchases."
    assert not RegistrationRequest.objects.exists()


def test_only_azure_plans_and_legacy_azure_subscriptions_can_be_registered(db, personas):
    customer = make_customer()
    legacy = make_subscription(customer, kind=CustomerSubscription.Kind.LEGACY)
    assert registration.request_registration(legacy, personas["sales"]).state == State.PENDING
    other = make_subscription(customer, "8e9fa0b1-c2d3-4e4f-9a5b-6c7d8e9fa0b1", kind="office")
    with pytest.raises(registration.RegistrationRefused):
        registration.request_registration(other, personas["sales"])


@pytest.mark.parametrize(
    ("checks", "low", "high"), [(1, 2.4, 3.6), (2, 4.8, 7.2), (5, 38.4, 57.6), (20, 240, 360)]
)
def test_checks_space_out_from_seconds_to_five_minutes(checks, low, high):
    for rand in (0.0, 0.5, 0.999):
        delay = registration.next_check_delay(checks, rand).total_seconds()
        assert low <= delay <= high


def test_finished_registrations_never_move_again():
    assert registration.ALLOWED[State.REGISTERED] == frozenset()
    assert registration.ALLOWED[State.FAILED] == frozenset()
    assert State.REGISTERED not in registration.ALLOWED[State.PENDING]  # sent before it is registered


def test_the_sweep_takes_only_open_requests_whose_check_is_overdue(plan, personas):
    now = timezone.now()
    overdue = registration.request_registration(plan, personas["sales"])
    RegistrationRequest.objects.filter(pk=overdue.pk).update(next_check_at=now - timedelta(minutes=1))
    other = make_subscription(plan.customer, "9fa0b1c2-d3e4-4f5a-8b6c-7d8e9fa0b1c2")
    on_time = registration.request_registration(other, personas["sales"])  # its own message is on its way
    RegistrationRequest.objects.filter(pk=on_time.pk).update(next_check_at=now - timedelta(seconds=5))
    finished = make_subscription(plan.customer, "a0b1c2d3-e4f5-4a6b-9c7d-8e9fa0b1c2d3")
    done = registration.request_registration(finished, personas["sales"])
    RegistrationRequest.objects.filter(pk=done.pk).update(
        state=State.FAILED, next_check_at=now - timedelta(hours=1)
    )
    assert list(registration.due_registrations()) == [overdue]


def test_without_partner_center_the_watcher_changes_nothing(plan, personas, settings, caplog):
    settings.PARTNER_CENTER = PartnerCenterConfig()
    found = registration.request_registration(plan, personas["sales"])
    with pytest.raises(partner_center.NotConfigured):
        registration.advance(found.pk)
    assert advance_registration(found.pk) == "not configured"
    assert sweep_registrations() == 0
    found.refresh_from_db()
    assert (found.state, found.attempts) == (State.PENDING, 0)
    assert "Partner Center is not configured" in caplog.text
