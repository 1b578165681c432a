"""Copying a market's reservation catalog from the sandbox into a mirror (catalog.sync, catalog.tasks).

The sandbox's markets list 400 availabilities per scope, one per SKU, in 12 products. What pages see is
the published generation: `shown(mirror)` reads it as they do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from catalog import mirrors, sync
from catalog.models import AZURE_PLAN_SCOPE, LEGACY_SCOPE, Availability, Mirror, Product, Sku
from catalog.tasks import schedule_syncs, sync_mirror
from partnercenter import AppTokenProvider, ServerError, Throttled, Transport
from partnercenter import catalog as pc_catalog
from partnercenter.enums import TargetView
from partnercenter.tls import PinnedSession, verify_for
from portal.markets import MarketBlocked
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PRODUCTS = 12
SKUS = 400
PRODUCTS_ROUTE = "GET /v1/products"
SKUS_ROUTE = "GET /v1/products/{product_id}/skus"
AVAILABILITIES_ROUTE = "GET /v1/products/{product_id}/skus/{sku_id}/availabilities"


@pytest.fixture(autouse=True)
def unhurried(partner_center: Sandbox, settings: Any) -> None:
    # A copy makes ~413 calls: above the sandbox's 500 a minute after two, and 50 s each if paced.
    partner_center.admin("PUT", "settings", {"rate_limit": 100_000})
    settings.CATALOG_SYNC_CALLS_PER_MINUTE = 0


@pytest.fixture
def pc(partner_center: Sandbox) -> Iterator[Transport]:
    """A transport to the freshly reset sandbox whose retries do not sleep."""
    with Transport.from_config(partner_center.config, sleep=lambda _seconds: None) as transport:
        yield transport


def requests_to(sandbox: Sandbox, route: str) -> int:
    return sandbox.stats()["requests"].get(route, 0)


def shown(mirror: Mirror) -> set[tuple[str, str, str, str]]:
    """The catalog as pages see it: the rows of the published generation."""
    mirror.refresh_from_db()
    published = Availability.objects.filter(mirror=mirror, generation=mirror.generation)
    return set(published.values_list("product_id", "sku_id", "availability_id", "title"))


def listed_order(pc: Transport, scope: str = AZURE_PLAN_SCOPE) -> list[str]:
    products = pc_catalog.list_products(
        pc, country="US", target_view=TargetView.AZURE_RESERVATIONS, reservation_scope=scope or None
    )
    return [str(p.id) for p in products]


def test_a_full_sync_copies_the_market_as_partner_center_lists_it(pc, partner_center):
    mirror = mirrors.mirror_for("US", AZURE_PLAN_SCOPE)

    outcome = sync.full_sync(pc, mirror)

    assert outcome.complete and outcome.calls == 1 + PRODUCTS + SKUS
    assert requests_to(partner_center, AVAILABILITIES_ROUTE) == SKUS  # each SKU read once
    mirror.refresh_from_db()
    assert mirror.is_ready and mirror.generation == 1 and mirror.sync_state == Mirror.SyncState.IDLE
    assert (mirror.products, mirror.skus, mirror.availabilities) == (PRODUCTS, SKUS, SKUS)
    assert mirror.synced_at == mirror.full_synced_at and mirror.last_error == ""
    assert mirror.last_run_calls == outcome.calls and mirror.sync_products_done == PRODUCTS

    # The sandbox's own listing, read through the client as a person would page through it.
    expected = set()
    for product in pc_catalog.list_products(
        pc, country="US", target_view=TargetView.AZURE_RESERVATIONS, reservation_scope=AZURE_PLAN_SCOPE
    ):
        for sku in pc_catalog.list_skus(pc, product.id, country="US", reservation_scope=AZURE_PLAN_SCOPE):
            for availability in pc_catalog.list_availabilities(
                pc, product.id, sku.id, country="US", reservation_scope=AZURE_PLAN_SCOPE
            ):
                expected.add((product.id, sku.id, availability.id, sku.title))
    assert shown(mirror) == expected
    d4s = Availability.objects.get(
        mirror=mirror, arm_sku_name="Standard_D4s_v5", region="US East", term_months=12
    )
    assert d4s.catalog_item_id == f"{d4s.product_id}:{d4s.sku_id}:{d4s.availability_id}"
    assert d4s.billing_plan == "one_time" and d4s.is_purchasable and d4s.cores == 4


def test_legacy_subscriptions_get_their_own_availabilities(pc):
    plan = mirrors.mirror_for("US", AZURE_PLAN_SCOPE)
    legacy = mirrors.mirror_for("US", LEGACY_SCOPE)
    sync.full_sync(pc, plan)
    sync.full_sync(pc, legacy)

    plan_rows, legacy_rows = shown(plan), shown(legacy)
    assert {row[:2] for row in plan_rows} == {row[:2] for row in legacy_rows}  # the same SKUs ...
    assert not {row[2] for row in plan_rows} & {row[2] for row in legacy_rows}  # ... bought differently


def test_a_sync_cut_short_by_faults_finishes_on_retry_and_pages_keep_the_old_copy_meanwhile(
    pc, partner_center
):
    mirror = mirrors.mirror_for("US", AZURE_PLAN_SCOPE)
    sync.full_sync(pc, mirror)
    before = shown(mirror)
    order = listed_order(pc)
    sixth_sku = Sku.objects.filter(mirror=mirror, product_id=order[5]).order_by("sku_id").first().sku_id
    partner_center.faults(
        # Throttled for longer than the transport waits: handed to the task to retry later.
        {
            "method": "GET",
            "path": f"^/v1/products/{order[2]}/skus/[^/]+/availabilities$",
            "kind": "throttle",
            "retry_after": 120,
            "count": 1,
        },
        # One SKU failing every one of the transport's four attempts.
        {
            "method": "GET",
            "path": f"^/v1/products/{order[5]}/skus/{sixth_sku}/availabilities$",
            "kind": "error",
            "status": 503,
            "count": 4,
        },
    )

    with pytest.raises(Throttled) as throttled:
        sync.full_sync(pc, mirror)
    assert throttled.value.retry_after == 120
    mirror.refresh_from_db()
    assert mirror.building_generation == 2 and mirror.generation == 1
    assert mirror.last_error.startswith(
        "The copy stopped and will continue where it stopped: Partner Center is"
    )
    assert Product.objects.filter(mirror=mirror, generation=2).count() == 2  # the two before the third
    assert shown(mirror) == before  # pages still show the whole previous copy

    with pytest.raises(ServerError):
        sync.full_sync(pc, mirror)
    assert Product.objects.filter(mirror=mirror, generation=2).count() == 5
    assert shown(mirror) == before

    last = sync.full_sync(pc, mirror)

    assert last.complete and last.products_written == PRODUCTS - 5  # what was written is not read again
    mirror.refresh_from_db()
    assert mirror.generation == 2 and mirror.building_generation == 0 and mirror.last_error == ""
    assert shown(mirror) == before  # the same catalog, no row twice (a set of the rows would hide that):
    assert Availability.objects.filter(mirror=mirror).count() == SKUS  # ... and the old generation deleted
    assert Sku.objects.filter(mirror=mirror).count() == SKUS
    assert Product.objects.filter(mirror=mirror).count() == PRODUCTS


def test_a_product_or_sku_gone_between_the_lists_is_left_out_not_fatal(pc, partner_center):
    order = listed_order(pc, LEGACY_SCOPE)
    gone_product, kept = order[3], order[7]
    gone_sku = next(pc_catalog.list_skus(pc, kept, country="US")).id
    partner_center.faults(
        {"path": f"^/v1/products/{gone_product}/skus$", "kind": "error", "status": 404, "code": "400013"},
        {
            "path": f"^/v1/products/{kept}/skus/{gone_sku}/availabilities$",
            "kind": "error",
            "status": 404,
            "code": "400018",
        },
    )
    mirror = mirrors.mirror_for("US", LEGACY_SCOPE)

    outcome = sync.full_sync(pc, mirror)

    assert outcome.complete and (outcome.products_skipped, outcome.skus_skipped) == (1, 1)
    mirror.refresh_from_db()
    assert mirror.products == PRODUCTS - 1 and mirror.last_error == ""
    assert not Product.objects.filter(mirror=mirror, product_id=gone_product).exists()
    assert Product.objects.filter(mirror=mirror, product_id=kept).exists()
    assert not Sku.objects.filter(mirror=mirror, product_id=kept, sku_id=gone_sku).exists()
    assert mirror.skus == mirror.availabilities == outcome.skus_written


def test_a_refusal_ends_the_run_and_keeps_the_copy_published(pc, partner_center):
    mirror = mirrors.mirror_for("US", AZURE_PLAN_SCOPE)
    sync.full_sync(pc, mirror)
    before = shown(mirror)
    partner_center.faults(
        {"path": "^/v1/products/[^/]+/skus$", "kind": "error", "status": 403, "code": "400030", "count": 1}
    )

    outcome = sync.full_sync(pc, mirror)  # not raised: trying again at once would get the same answer

    assert not outcome.complete
    assert outcome.error.startswith(
        "Partner Center refused the copy: This customer segment is not allowed here. (Reference: "
    )
    mirror.refresh_from_db()
    assert mirror.sync_state == Mirror.SyncState.IDLE and mirror.generation == 1
    assert mirror.last_error == outcome.error and mirror.last_error_at is not None
    assert shown(mirror) == before


def test_a_sync_stopped_at_its_deadline_continues_without_reading_again_what_it_wrote(pc, partner_center):
    mirror = mirrors.mirror_for("US", LEGACY_SCOPE)

    first = sync.full_sync(pc, mirror, deadline=time.monotonic())  # passed already: one product, then stop

    assert first.stopped_at_deadline and not first.complete and first.products_written == 1
    mirror.refresh_from_db()
    assert not mirror.is_ready and mirror.building_generation == 1  # nothing shown of a partial copy
    assert (mirror.sync_products_done, mirror.sync_products_total) == (1, PRODUCTS)

    second = sync.full_sync(pc, mirror)

    assert second.complete and second.products_written == PRODUCTS - 1
    mirror.refresh_from_db()
    assert mirror.is_ready and mirror.availabilities == SKUS
    assert mirror.last_run_calls == first.calls + second.calls
    # Over both runs each product's SKUs and each SKU's availabilities were read exactly once.
    stats = partner_center.stats()["requests"]
    assert (stats[PRODUCTS_ROUTE], stats[SKUS_ROUTE], stats[AVAILABILITIES_ROUTE]) == (2, PRODUCTS, SKUS)


def test_a_refresh_brings_back_what_changed_and_reads_only_the_new_skus(pc, partner_center):
    mirror = mirrors.mirror_for("US", AZURE_PLAN_SCOPE)
    sync.full_sync(pc, mirror)
    before = shown(mirror)
    titles_before = dict(Product.objects.filter(mirror=mirror).values_list("product_id", "title"))
    # Local edits standing for changes at Partner Center since the copy:
    skus = Sku.objects.filter(mirror=mirror).order_by("product_id", "sku_id")
    new_at_partner_center, renamed = skus[0], skus[1]
    new_at_partner_center.delete()  # a SKU Partner Center has and the copy has not
    Sku.objects.filter(pk=renamed.pk).update(title="Old title")  # a SKU whose title changed
    Availability.objects.filter(sku_row=renamed).update(title="Old title")
    retitled = Product.objects.filter(mirror=mirror).exclude(product_id=renamed.product_id).first()
    Product.objects.filter(pk=retitled.pk).update(title="Old product title")
    Availability.objects.filter(mirror=mirror, product_id=retitled.product_id).update(product_title="Old")
    withdrawn = Product.objects.create(
        mirror=mirror, generation=1, product_id="WITHDRAWN001", title="Withdrawn"
    )
    Sku.objects.create(
        mirror=mirror, generation=1, product_row=withdrawn, product_id="WITHDRAWN001", sku_id="0001"
    )
    vanished_sku = Sku.objects.create(
        mirror=mirror,
        generation=1,
        product_row=renamed.product_row,
        product_id=renamed.product_id,
        sku_id="ZZZZ",
    )
    Availability.objects.create(
        mirror=mirror,
        generation=1,
        sku_row=vanished_sku,
        product_id=vanished_sku.product_id,
        sku_id="ZZZZ",
        availability_id="GONE",
        catalog_item_id="x:ZZZZ:GONE",
        product_title="p",
        title="A SKU no longer sold",
        search_text="a sku no longer sold",
    )
    synced_before = Mirror.objects.get(pk=mirror.pk).full_synced_at
    availability_reads = requests_to(partner_center, AVAILABILITIES_ROUTE)

    outcome = sync.refresh(pc, mirror)

    assert outcome.complete and outcome.calls == 1 + PRODUCTS + 1  # lists, and the one new SKU
    assert requests_to(partner_center, AVAILABILITIES_ROUTE) == availability_reads + 1
    assert (outcome.skus_written, outcome.skus_updated, outcome.skus_removed) == (1, 1, 1)
    assert outcome.products_removed == 1
    assert shown(mirror) == before
    assert dict(Product.objects.filter(mirror=mirror).values_list("product_id", "title")) == titles_before
    assert not Availability.objects.filter(mirror=mirror, product_title="Old").exists()
    mirror.refresh_from_db()
    assert mirror.generation == 1 and (mirror.products, mirror.skus, mirror.availabilities) == (
        PRODUCTS,
        SKUS,
        SKUS,
    )
    assert mirror.full_synced_at == synced_before and mirror.synced_at > synced_before


class CountingSession(PinnedSession):
    """The HTTP session, counting the requests in flight at once (instrumentation, not a fake)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def request(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            return super().request(*args, **kwargs)
        finally:
            with self.lock:
                self.in_flight -= 1


def test_no_more_calls_are_in_flight_than_the_concurrency_allows(partner_center):
    config = partner_center.config
    session = CountingSession(verify_for(config.ca_bundle), timeout=config.timeouts)
    # Slow answers, so that calls overlap as much as the sync lets them.
    partner_center.faults(
        {"method": "GET", "path": "/availabilities$", "kind": "latency", "latency_ms": 100, "count": 40}
    )

    with Transport(config.api_url, token=AppTokenProvider(config), session=session) as transport:
        outcome = sync.full_sync(transport, mirrors.mirror_for("US", AZURE_PLAN_SCOPE), concurrency=3)

    assert outcome.complete
    assert session.peak == 3


def test_pacing_gives_every_call_of_the_run_its_own_slot(pc, partner_center):
    mirror = mirrors.mirror_for("US", AZURE_PLAN_SCOPE)
    sync.full_sync(pc, mirror)
    calls_before = partner_center.stats()["total_requests"]
    pacer = sync.Pacer(600)  # a call every 0.1 s, so this refresh's 13 calls take at least 1.2 s

    outcome = sync.refresh(pc, mirror, pacer=pacer, concurrency=4)

    made = partner_center.stats()["total_requests"] - calls_before - 1  # the stats call itself
    assert outcome.complete and outcome.calls == pacer.calls == made == 1 + PRODUCTS
    assert pacer.min_gap is not None and pacer.min_gap >= 0.1 - 1e-9  # the 4 threads shared one pace
    assert outcome.paced_seconds > 0


def test_a_market_where_reservations_cannot_be_bought_is_never_copied(
    pc, partner_center, django_capture_on_commit_callbacks
):
    mirror = mirrors.mirror_for("BR", AZURE_PLAN_SCOPE)
    with django_capture_on_commit_callbacks() as sent:
        assert mirrors.request_sync(mirror) is False
        mirrors.ensure_synced(mirror)
        assert schedule_syncs() == 0
    assert sent == []

    with pytest.raises(MarketBlocked):
        sync.full_sync(pc, mirror)

    assert requests_to(partner_center, PRODUCTS_ROUTE) == 0
    mirror.refresh_from_db()
    assert not mirror.is_ready and mirror.sync_state == Mirror.SyncState.IDLE
    assert "cannot be bought in Brazil" in mirror.last_error


def test_a_page_asking_for_a_market_never_copied_gets_it_copied_by_the_task(
    partner_center, tasks_run_in_process, django_capture_on_commit_callbacks
):
    mirror = mirrors.mirror_for("GB", AZURE_PLAN_SCOPE)

    with django_capture_on_commit_callbacks(execute=True):
        mirrors.ensure_synced(mirror)

    mirror.refresh_from_db()
    assert mirror.is_ready and mirror.sync_state == Mirror.SyncState.IDLE
    assert mirror.availabilities == SKUS and mirror.last_error == ""


def test_the_task_continues_past_its_time_slice_and_retries_throttling_no_sooner_than_asked(
    partner_center, tasks_run_in_process, django_capture_on_commit_callbacks, caplog
):
    mirror = mirrors.mirror_for("US", AZURE_PLAN_SCOPE)
    with Transport.from_config(partner_center.config) as transport:
        third = listed_order(transport)[2]
    partner_center.faults(
        {
            "method": "GET",
            "path": f"^/v1/products/{third}/skus/[^/]+/availabilities$",
            "kind": "throttle",
            "retry_after": 120,
            "count": 1,
        }
    )
    Mirror.objects.filter(pk=mirror.pk).update(sync_state=Mirror.SyncState.QUEUED, sync_kind="full")

    with caplog.at_level(logging.INFO, logger="catalog"), django_capture_on_commit_callbacks(execute=True):
        # No time at all per message: each writes one product, then sends the next message.
        sync_mirror.delay(mirror.pk, Mirror.SyncKind.FULL, 0)

    mirror.refresh_from_db()
    assert mirror.is_ready and mirror.sync_state == Mirror.SyncState.IDLE and mirror.availabilities == SKUS
    assert "will try again in 120 s" in caplog.text
    stats = partner_center.stats()["requests"]
    # One product list per message (12 products, and the throttled one's retry), one list of SKUs per
    # product (and the throttled product's again), each SKU's availabilities once, but for the throttled
    # call and those the 3 other threads had under way when it came back (no more are sent after it),
    # read again by the retry.
    assert stats[PRODUCTS_ROUTE] == 1 + PRODUCTS + 1
    assert stats[SKUS_ROUTE] == PRODUCTS + 1
    assert SKUS + 1 <= stats[AVAILABILITIES_ROUTE] <= SKUS + 1 + 2 * 3


def test_beat_hands_a_sync_whose_worker_died_to_another_and_refreshes_stale_copies(
    pc, partner_center, tasks_run_in_process, django_capture_on_commit_callbacks
):
    stale = mirrors.mirror_for("US", LEGACY_SCOPE)
    sync.full_sync(pc, stale)
    long_ago = timezone.now() - timedelta(days=2)
    Mirror.objects.filter(pk=stale.pk).update(synced_at=long_ago)
    orphan = mirrors.mirror_for("US", AZURE_PLAN_SCOPE)
    sync.full_sync(pc, orphan, deadline=time.monotonic())  # one product written, then the worker died:
    Mirror.objects.filter(pk=orphan.pk).update(
        sync_state=Mirror.SyncState.RUNNING, sync_progress_at=timezone.now() - timedelta(minutes=20)
    )
    busy = mirrors.mirror_for("GB", AZURE_PLAN_SCOPE)  # a live sync elsewhere is left alone
    Mirror.objects.filter(pk=busy.pk).update(
        sync_state=Mirror.SyncState.RUNNING, sync_progress_at=timezone.now()
    )
    skus_read = requests_to(partner_center, SKUS_ROUTE)

    with django_capture_on_commit_callbacks(execute=True):
        assert schedule_syncs() == 2

    orphan.refresh_from_db()
    assert orphan.is_ready and orphan.availabilities == SKUS and orphan.sync_state == Mirror.SyncState.IDLE
    stale.refresh_from_db()
    assert stale.synced_at > long_ago and stale.full_synced_at < stale.synced_at  # a refresh, not a copy
    # The orphan's 11 remaining products and the refresh's 12: the product written before is not read again.
    assert requests_to(partner_center, SKUS_ROUTE) - skus_read == PRODUCTS - 1 + PRODUCTS
    busy.refresh_from_db()
    assert busy.sync_state == Mirror.SyncState.RUNNING and not busy.is_ready
