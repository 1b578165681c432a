"""The whole path with a real Celery worker: the button's request is queued on commit, the worker sends it to
the sandbox, queues its own follow-up checks, and finishes the registration with a notification."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal import celery_app
from portal.models import AuditEntry, CustomerSubscription, Notification, RegistrationRequest
from tests.integration.conftest import mirror_customer, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

State = RegistrationRequest.State


@pytest.fixture
def portal_worker(start_worker, partner_center, settings):
    """A worker on the tests' own broker and default queue (where the portal sends its tasks), talking to
    the sandbox."""
    # Whatever earlier test runs left queued there is not this test's to run.
    celery_app.control.purge()
    worker = start_worker(
        redis_url=settings.REDIS_URL or None,
        env={**partner_center.env, "PORTAL_DATA_DIR": str(settings.DATA_DIR)},
        queues=[settings.CELERY_TASK_DEFAULT_QUEUE],
    )
    yield worker
    celery_app.control.purge()


def test_a_worker_takes_a_registration_from_the_button_to_registered(
    client, partner_center, personas, portal_worker
):
    northwind = mirror_customer("Northwind Traders")
    plan = northwind.subscriptions.get(kind=CustomerSubscription.Kind.AZURE_PLAN)
    client.force_login(personas["sales"])
    assert client.post(reverse("subscription-register", args=[northwind.pk, plan.pk])).status_code == 302

    found = RegistrationRequest.objects.get()
    done = wait_for(lambda: RegistrationRequest.objects.get().state == State.REGISTERED, timeout=60)
    assert done, "the registration never completed; the worker's log:\n" + portal_worker.output()
    found.refresh_from_db()
    assert found.attempts >= 2  # sent, then checked by a follow-up the worker queued itself
    plan.refresh_from_db()
    assert plan.registration == CustomerSubscription.Registration.REGISTERED
    assert Notification.objects.get(recipient=personas["sales"]).kind == "registration-complete"
    assert AuditEntry.objects.filter(action="subscription-registration", actor_name="worker").count() == 2
    assert "portal.registration_tasks.advance_registration[" in portal_worker.output()
    assert (
        partner_center.stats()["requests"][
            "POST /v1/customers/{customer_id}/subscriptions/{subscription_id}/registrations"
        ]
        == 1
    )
