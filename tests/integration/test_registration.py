"""The registration watcher against the sandbox: each step is one call of `advance`, as a worker makes it.

The sandbox keeps a registration Registering for 2 s of its own clock, which the tests move forward;
"the next check comes" is played by making the row due, as time passing would. The sandbox's statistics say
what really reached Partner Center.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal import registration
from portal.models import AuditEntry, CustomerSubscription, Notification, RegistrationRequest
from portal.registration_tasks import sweep_registrations
from tests.integration.conftest import mirror_customer

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

State = RegistrationRequest.State
Registration = CustomerSubscription.Registration

# Routes as the sandbox's statistics name them, and as its fault rules match them.
REGISTER = "POST /v1/customers/{customer_id}/subscriptions/{subscription_id}/registrations"
STATUS = "GET /v1/customers/{customer_id}/subscriptions/{subscription_id}/registrationstatus"
REGISTER_PATH = r"^/v1/customers/[^/]+/subscriptions/[^/]+/registrations$"
STATUS_PATH = r"^/v1/customers/[^/]+/subscriptions/[^/]+/registrationstatus$"
REGISTRATION_DELAY = 2  # seconds of the sandbox clock (tests/conftest.py starts it so)


@pytest.fixture
def sales(personas):
    user = personas["sales"]
    user.email = "megan@contoso-partner.example"
    user.save()
    return user


@pytest.fixture
def northwind_plan(partner_center) -> CustomerSubscription:
    """Northwind Traders (US): its Azure plan is NotRegistered in the sandbox."""
    return mirror_customer("Northwind Traders").subscriptions.get(kind=CustomerSubscription.Kind.AZURE_PLAN)


def calls(sandbox, route: str) -> int:
    return sandbox.stats()["requests"].get(route, 0)


def next_check(found: RegistrationRequest) -> RegistrationRequest:
    """The request's next check comes: its time is now, and the watcher runs."""
    RegistrationRequest.objects.filter(pk=found.pk).update(next_check_at=timezone.now())
    return registration.advance(found.pk)


def submitted(plan: CustomerSubscription, user) -> RegistrationRequest:
    """A request the watcher has sent to Partner Center (the first step)."""
    found = registration.advance(registration.request_registration(plan, user).pk)
    assert found.state == State.REGISTERING, found.last_error
    return found


def test_a_registration_goes_from_pending_through_registering_to_registered(
    partner_center, northwind_plan, sales, mailoutbox, django_capture_on_commit_callbacks
):
    found = registration.request_registration(northwind_plan, sales)
    assert found.state == State.PENDING

    found = registration.advance(found.pk)
    assert (found.state, found.attempts) == (State.REGISTERING, 1)
    assert calls(partner_center, REGISTER) == 1
    assert timezone.now() + timedelta(seconds=2) < found.next_check_at < timezone.now() + timedelta(seconds=4)
    northwind_plan.refresh_from_db()
    assert northwind_plan.registration == Registration.REGISTERING

    # Not due yet: the watcher does not call Partner Center before the time it set itself.
    status_calls = calls(partner_center, STATUS)
    assert registration.advance(found.pk).attempts == 1
    assert calls(partner_center, STATUS) == status_calls

    found = next_check(found)  # still within the sandbox's delay
    assert (found.state, found.attempts) == (State.REGISTERING, 2)
    assert found.next_check_at > timezone.now() + timedelta(seconds=4)  # checks space out

    partner_center.advance_clock(REGISTRATION_DELAY + 1)
    with django_capture_on_commit_callbacks(execute=True):
        found = next_check(found)
    assert found.state == State.REGISTERED
    assert found.finished_at is not None and found.next_check_at is None
    assert calls(partner_center, STATUS) == status_calls + 2
    northwind_plan.refresh_from_db()
    assert northwind_plan.registration == Registration.REGISTERED

    customer_url = reverse("customer", args=[northwind_plan.customer_id])
    notification = Notification.objects.get(recipient=sales)
    assert notification.kind == "registration-complete"
    assert notification.message == (
        "Registration complete: Azure plan of Northwind Traders can now buy reservations."
    )
    assert notification.link == customer_url
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["megan@contoso-partner.example"]
    assert customer_url in mailoutbox[0].body

    steps = list(AuditEntry.objects.filter(action="subscription-registration").order_by("id"))
    assert [(e.actor_name, e.outcome, e.message) for e in steps] == [
        ("sales", "success", "Registration requested."),
        ("worker", "success", "Sent to Partner Center; waiting for it to finish."),
        ("worker", "success", "Registered for reservation purchases."),
    ]
    assert steps[0].correlation_id == ""  # nothing was asked of Partner Center yet
    assert all(len(e.correlation_id) == 36 for e in steps[1:])
    assert steps[2].correlation_id == found.correlation_id


def test_the_watcher_rides_out_a_burst_of_429(partner_center, northwind_plan, sales):
    found = submitted(northwind_plan, sales)
    partner_center.faults(
        {"method": "GET", "path": STATUS_PATH, "kind": "throttle", "count": 3, "retry_after": 1}
    )
    partner_center.advance_clock(REGISTRATION_DELAY + 1)
    status_calls = calls(partner_center, STATUS)
    found = next_check(found)
    assert found.state == State.REGISTERED
    assert calls(partner_center, STATUS) == status_calls + 4  # three refused, then the answer
    assert found.last_error == ""


def test_a_long_throttle_is_waited_out_in_the_background_and_shown(
    client, partner_center, northwind_plan, sales
):
    found = submitted(northwind_plan, sales)
    # Longer than the client waits within one call: it hands the wait to the watcher.
    partner_center.faults(
        {"method": "GET", "path": STATUS_PATH, "kind": "throttle", "count": 1, "retry_after": 120}
    )
    partner_center.advance_clock(REGISTRATION_DELAY + 1)
    found = next_check(found)
    assert found.state == State.REGISTERING
    assert found.next_check_at >= timezone.now() + timedelta(seconds=119)  # as Partner Center asked
    assert found.last_error.startswith("Partner Center is limiting requests. The portal will try again")
    assert found.correlation_id and found.correlation_id in found.last_error

    client.force_login(sales)
    html = client.get(reverse("registration-status", args=[found.pk])).content.decode()
    assert "Partner Center is limiting requests" in html
    assert 'hx-trigger="every 2s"' in html

    assert next_check(found).state == State.REGISTERED


def test_a_failing_partner_center_is_retried_later(partner_center, northwind_plan, sales):
    found = registration.request_registration(northwind_plan, sales)
    partner_center.faults(
        {
            "method": "POST",
            "path": REGISTER_PATH,
            "kind": "error",
            "status": 503,
            "retry_after": 90,
            "count": 1,
        }
    )
    found = registration.advance(found.pk)
    assert (found.state, found.attempts) == (State.PENDING, 1)
    assert found.next_check_at >= timezone.now() + timedelta(seconds=89)
    assert found.last_error.startswith("Partner Center could not be reached or had an error.")
    assert len(found.correlation_id) == 36
    assert not AuditEntry.objects.filter(action="subscription-registration", outcome="failure").exists()

    found = next_check(found)
    assert (found.state, found.attempts, found.last_error) == (State.REGISTERING, 2, "")


def test_a_refusal_from_partner_center_fails_the_registration_with_its_reason(
    partner_center, northwind_plan, sales, mailoutbox, django_capture_on_commit_callbacks
):
    found = registration.request_registration(northwind_plan, sales)
    partner_center.faults(
        {"method": "POST", "path": REGISTER_PATH, "kind": "error", "status": 400, "code": "800013"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        found = registration.advance(found.pk)
    assert found.state == State.FAILED
    assert found.last_error.startswith("This subscription is not enabled for reservation purchases.")
    assert found.correlation_id in found.last_error  # staff can quote it to Microsoft
    entry = AuditEntry.objects.get(action="subscription-registration", outcome="failure")
    assert entry.correlation_id == found.correlation_id
    assert Notification.objects.get(recipient=sales).kind == "registration-failed"
    assert "not enabled for reservation purchases" in mailoutbox[0].body
    # Finished: the watcher never calls again for it.
    register_calls = calls(partner_center, REGISTER)
    assert next_check(found).state == State.FAILED
    assert calls(partner_center, REGISTER) == register_calls


def test_a_registration_not_done_by_the_deadline_fails_in_plain_words(partner_center, northwind_plan, sales):
    found = submitted(northwind_plan, sales)
    RegistrationRequest.objects.filter(pk=found.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    found = next_check(found)  # the sandbox still says Registering
    assert found.state == State.FAILED
    assert found.last_error.startswith("Partner Center had not finished the registration after 2 hours.")
    assert Notification.objects.get(recipient=sales).kind == "registration-failed"


def test_after_a_worker_restart_the_sweep_picks_up_a_registration_nobody_watches(
    partner_center, northwind_plan, sales, tasks_run_in_process
):
    found = submitted(northwind_plan, sales)
    # The worker that sent it died with the follow-up message: nothing is queued, and the check is late.
    RegistrationRequest.objects.filter(pk=found.pk).update(
        next_check_at=timezone.now() - timedelta(minutes=10)
    )
    partner_center.advance_clock(REGISTRATION_DELAY + 1)
    assert sweep_registrations() == 1
    found.refresh_from_db()
    assert found.state == State.REGISTERED


def test_the_sweep_leaves_alone_a_step_another_worker_is_taking(
    partner_center, northwind_plan, sales, tasks_run_in_process
):
    found = registration.request_registration(northwind_plan, sales)
    # Claimed a moment ago by a worker now calling Partner Center: its lease has not run out.
    RegistrationRequest.objects.filter(pk=found.pk).update(
        attempts=1, next_check_at=timezone.now() + registration.LEASE - timedelta(seconds=1)
    )
    assert sweep_registrations() == 0
    assert registration.advance(found.pk).state == State.PENDING
    assert calls(partner_center, REGISTER) == 0


@pytest.mark.django_db(transaction=True)
def test_workers_racing_on_one_step_make_one_partner_center_call(
    partner_center, northwind_plan, sales, tasks_run_in_process
):
    # Created directly: the race is between workers, whoever queued them.
    found = RegistrationRequest.objects.create(
        subscription=northwind_plan,
        requested_by=sales,
        deadline=timezone.now() + registration.DEADLINE,
        next_check_at=timezone.now(),
    )
    racers = 4
    start = threading.Barrier(racers)
    errors: list[BaseException] = []

    def race() -> None:
        try:
            start.wait(timeout=10)
            registration.advance(found.pk)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert calls(partner_center, REGISTER) == 1
    found.refresh_from_db()
    assert (found.state, found.attempts) == (State.REGISTERING, 1)
    assert AuditEntry.objects.filter(action="subscription-registration", outcome="success").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_make_one_request_and_one_partner_center_call(
    partner_center, northwind_plan, sales, tasks_run_in_process
):
    clicks = 6
    start = threading.Barrier(clicks)
    found: list[int] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            start.wait(timeout=10)
            found.append(registration.request_registration(northwind_plan, sales).pk)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert RegistrationRequest.objects.count() == 1
    assert set(found) == {RegistrationRequest.objects.get().pk}
    assert calls(partner_center, REGISTER) == 1


def test_a_crafted_post_for_a_blocked_market_never_reaches_partner_center(client, partner_center, personas):
    coho = mirror_customer("Coho Winery")  # Brazil
    plan = coho.subscriptions.get(kind=CustomerSubscription.Kind.AZURE_PLAN)
    assert plan.registration == Registration.REGISTERED  # the seed; forge a state that would show the button
    CustomerSubscription.objects.filter(pk=plan.pk).update(registration=Registration.NOT_REGISTERED)
    client.force_login(personas["sales"])
    response = client.post(reverse("subscription-register", args=[coho.pk, plan.pk]), follow=True)
    assert "Azure reservations cannot be bought in Brazil" in response.content.decode()
    assert not RegistrationRequest.objects.exists()
    assert calls(partner_center, REGISTER) == 0
