"""The catalog sync's pacing, and the mirror rules pages and beat rely on (no Partner Center needed)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import mirrors
from catalog.models import AZURE_PLAN_SCOPE, LEGACY_SCOPE, Mirror
from catalog.sync import Pacer
from portal.models import Customer, CustomerSubscription


class FrozenClock:
    """A clock that moves only when someone sleeps: the pacer's waits are then exact."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_the_pacer_spaces_calls_evenly_at_the_rate_asked():
    clock = FrozenClock()
    pacer = Pacer(120, clock=clock, sleep=clock.sleep)  # one call every half second

    waits = [pacer.wait() for _ in range(5)]

    assert waits == [0.0, 0.5, 0.5, 0.5, 0.5]
    assert clock.now == 1002.0  # five calls started within two seconds: 120 a minute, no more
    assert pacer.calls == 5 and pacer.min_gap == 0.5


def test_the_pacer_does_not_hold_calls_that_come_slower_than_the_rate():
    clock = FrozenClock()
    pacer = Pacer(60, clock=clock, sleep=clock.sleep)
    pacer.wait()
    clock.sleep(5)  # the call took five seconds
    assert pacer.wait() == 0.0


def test_one_pacer_shared_by_threads_gives_each_call_its_own_slot():
    # The clock never moves and sleeping does nothing: each call's wait is exactly its slot in the queue.
    # A limiter per thread would hand several threads the same slot.
    pacer = Pacer(600, clock=lambda: 0.0, sleep=lambda _seconds: None)
    waits: list[float] = []
    lock = threading.Lock()

    def caller() -> None:
        for _ in range(10):
            wait = pacer.wait()
            with lock:
                waits.append(round(wait, 6))

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(waits) == [round(n * 0.1, 6) for n in range(40)]


def test_an_unpaced_pacer_never_waits():
    pacer = Pacer(0, clock=lambda: 0.0, sleep=lambda _seconds: pytest.fail("slept"))
    assert [pacer.wait() for _ in range(3)] == [0.0, 0.0, 0.0]


# --- mirrors ----------------------------------------------------------------------------------------------


@pytest.fixture
def customer(db: None) -> Customer:
    return Customer.objects.create(
        id="8c6d2d5e-1f0a-4c1e-9d53-0c6f2e9d1a11",
        company_name="Contoso",
        country="US",
        listed_at=timezone.now(),
    )


def test_an_azure_plan_buys_from_the_azure_plan_catalog_and_a_legacy_subscription_from_the_other(customer):
    plan = CustomerSubscription.objects.create(
        id="a1", customer=customer, kind=CustomerSubscription.Kind.AZURE_PLAN, name="Azure plan"
    )
    legacy = CustomerSubscription.objects.create(
        id="b2", customer=customer, kind=CustomerSubscription.Kind.LEGACY, name="Microsoft Azure"
    )
    assert mirrors.scope_for(plan) == AZURE_PLAN_SCOPE == "AzurePlan"
    assert mirrors.scope_for(legacy) == LEGACY_SCOPE == ""


def test_one_mirror_per_market_and_scope(db):
    first = mirrors.mirror_for("us", AZURE_PLAN_SCOPE)
    assert first.country == "US" and not first.is_ready
    assert mirrors.mirror_for("US ", AZURE_PLAN_SCOPE) == first
    assert mirrors.mirror_for("US", LEGACY_SCOPE) != first
    with pytest.raises(ValueError):
        mirrors.mirror_for("US", "Everything")


def test_a_sync_is_queued_once_however_often_it_is_asked_for(db, django_capture_on_commit_callbacks):
    mirror = mirrors.mirror_for("US", AZURE_PLAN_SCOPE)
    with django_capture_on_commit_callbacks() as sent:
        assert mirrors.request_sync(mirror) is True
        assert mirrors.request_sync(Mirror.objects.get(pk=mirror.pk)) is False
        mirrors.ensure_synced(Mirror.objects.get(pk=mirror.pk))

    assert len(sent) == 1  # one message for the worker, sent after commit
    mirror.refresh_from_db()
    assert mirror.sync_state == Mirror.SyncState.QUEUED and mirror.sync_kind == Mirror.SyncKind.FULL


def test_a_refresh_of_a_mirror_never_copied_is_a_full_copy(db, django_capture_on_commit_callbacks):
    mirror = mirrors.mirror_for("FR", LEGACY_SCOPE)
    with django_capture_on_commit_callbacks():
        assert mirrors.request_sync(mirror, Mirror.SyncKind.REFRESH)
    assert Mirror.objects.get(pk=mirror.pk).sync_kind == Mirror.SyncKind.FULL


def test_what_is_due_follows_the_settings(db, settings):
    settings.CATALOG_REFRESH_HOURS = 24
    settings.CATALOG_FULL_SYNC_DAYS = 7
    now = timezone.now()
    mirror = mirrors.mirror_for("US", AZURE_PLAN_SCOPE)
    assert mirrors.due_kind(mirror, now) == Mirror.SyncKind.FULL  # never copied

    mirror.generation = 1
    mirror.synced_at = mirror.full_synced_at = now - timedelta(hours=2)
    assert mirrors.due_kind(mirror, now) is None and not mirrors.is_stale(mirror, now)

    mirror.synced_at = now - timedelta(hours=25)
    assert mirrors.due_kind(mirror, now) == Mirror.SyncKind.REFRESH and mirrors.is_stale(mirror, now)

    mirror.full_synced_at = now - timedelta(days=8)
    assert mirrors.due_kind(mirror, now) == Mirror.SyncKind.FULL

    mirror.last_error, mirror.last_error_at = "Partner Center had an error.", now - timedelta(minutes=5)
    assert mirrors.due_kind(mirror, now) is None  # not asked again on every round after a failure
    mirror.last_error_at = now - mirrors.RETRY_AFTER_ERROR - timedelta(minutes=1)
    assert mirrors.due_kind(mirror, now) == Mirror.SyncKind.FULL


def test_a_full_copy_left_half_way_is_due_to_be_continued(db):
    now = timezone.now()
    mirror = Mirror(country="US", generation=1, building_generation=2, synced_at=now, full_synced_at=now)
    assert mirrors.due_kind(mirror, now) == Mirror.SyncKind.FULL


def test_a_blocked_market_is_never_queued(db, django_capture_on_commit_callbacks):
    mirror = mirrors.mirror_for("BR", AZURE_PLAN_SCOPE)  # reservations cannot be bought in Brazil
    with django_capture_on_commit_callbacks() as sent:
        assert mirrors.request_sync(mirror) is False
        mirrors.ensure_synced(mirror)
    assert sent == [] and mirrors.due_kind(mirror) is None
    assert Mirror.objects.get(pk=mirror.pk).sync_state == Mirror.SyncState.IDLE
