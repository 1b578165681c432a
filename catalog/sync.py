"""Copying a market's reservation catalog from Partner Center into a mirror (no Celery here: catalog.tasks).

Partner Center serves the catalog as one product list, one SKU list per product, and one availability list
per SKU: 200,000 SKUs are 200,000 calls. So:

- Calls go out from a pool of `concurrency` threads that do nothing but HTTP, paced across the threads to
  `calls_per_minute` (Pacer). Every database write happens in the calling thread (Django's connections are
  per thread), one transaction per product, while the pool already reads the next product.
- A full sync writes the next generation beside the published one and publishes it in one update when
  every product is written (see catalog.models). It can stop anywhere (a deadline, a fault, a dead
  worker) and the next run of the same generation skips the products already written.
- A refresh works on the published generation: new products and SKUs are added (their availabilities
  read), vanished ones deleted, changed fields updated, one product per transaction. SKUs that did not
  change keep their rows, so it costs one call per product plus one per new SKU.
- Throttling, 5xx and unreachable Partner Center are recorded and raised again, the run left resumable;
  the task retries it. A 404 on a product or SKU (gone meanwhile) skips it. Any other refusal (4xx) ends
  the run and is recorded; whatever was published stays published.
- Each run owns the mirror through `sync_progress_at`: it is rewritten with every product, and a write
  that finds another value stops the run (SyncTakenOver): a run that beat believed dead and handed to
  another worker can never write beside its successor.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import transaction
from django.db.models import F, Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import rows
from catalog.mirrors import is_blocked
from catalog.models import Availability, Mirror, Product, Sku
from partnercenter import catalog as pc_catalog
from partnercenter import models as pc
from partnercenter.enums import TargetView
from partnercenter.errors import NotFound, PartnerCenterError, ServerError, Throttled, TransportError
from partnercenter.transport import Transport
from portal import markets

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Partner Center failures that pass with time: the run is left to be resumed (the task retries it).
RESUMABLE_ERRORS = (Throttled, ServerError, TransportError)

# Products whose SKU lists are asked for ahead of the one being written: enough to keep the pool busy
# while this thread writes, few enough that a run stopping at its deadline wastes at most these calls.
LOOKAHEAD = 3
SKU_BATCH = 500
AVAILABILITY_BATCH = 1000
DELETE_CHUNK = 2000

# The Sku columns a refresh compares and updates (everything catalog.rows reads from Partner Center).
SKU_FIELDS = (
    "title",
    "description",
    "minimum_quantity",
    "maximum_quantity",
    "billing_cycles",
    "prerequisites",
    "inventory_variables",
    "provisioning_variables",
    "dynamic_attributes",
    "arm_sku_name",
    "size_name",
    "cores",
    "ram_gb",
    "region",
    "arm_region_name",
    "category",
    "inventory_check",
)
PRODUCT_FIELDS = ("title", "description", "family", "family_name", "raw")
# The Availability columns copied from its product and SKU (catalog.rows.availability_rows).
COPIED_FIELDS = (
    "family",
    "product_title",
    "title",
    "arm_sku_name",
    "size_name",
    "cores",
    "ram_gb",
    "region",
    "arm_region_name",
    "search_text",
)


class SyncTakenOver(Exception):
    """Another run owns the mirror now (this one was believed dead): this run stops without writing."""


@dataclass
class SyncOutcome:
    """What one run did. A full sync may take several runs; `complete` is True for the one that publishes."""

    kind: str
    complete: bool = False  # a full sync published its generation; a refresh went through every product
    stopped_at_deadline: bool = False  # left resumable, to be continued by the next run
    error: str = ""  # in plain words, when Partner Center refused and the run ended
    generation: int = 0  # the published generation after the run
    products_listed: int = 0
    products_written: int = 0  # new products written (full sync: all of them), with their SKUs
    products_updated: int = 0  # refresh: products whose own fields or SKUs changed
    products_removed: int = 0
    products_skipped: int = 0  # gone between the lists (404)
    skus_written: int = 0
    skus_updated: int = 0
    skus_removed: int = 0
    skus_skipped: int = 0  # gone between the lists (404)
    availabilities_written: int = 0  # rows
    calls: int = 0  # Partner Center calls of this run
    paced_seconds: float = 0.0  # time the threads spent waiting for the pacer
    seconds: float = 0.0


class Pacer:
    """Holds calls to at most `calls_per_minute`, evenly spaced, across every thread that shares it.

    Each call gets the next free start slot, `60 / calls_per_minute` seconds after the previous one's;
    in any minute at most `calls_per_minute` calls start. 0 means no pacing.
    """

    def __init__(
        self,
        calls_per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.calls_per_minute = max(0, calls_per_minute)
        self.interval = 60.0 / self.calls_per_minute if self.calls_per_minute else 0.0
        self.calls = 0
        self.waited = 0.0
        # The smallest distance between two consecutive start slots handed out (None before two calls).
        self.min_gap: float | None = None
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_start: float | None = None

    def wait(self) -> float:
        """Block until the next call may start; returns how long this call waited."""
        with self._lock:
            now = self._clock()
            start = now
            if self._last_start is not None:
                start = max(now, self._last_start + self.interval)
                gap = start - self._last_start
                self.min_gap = gap if self.min_gap is None else min(self.min_gap, gap)
            self._last_start = start
            self.calls += 1
            self.waited += start - now
        if start > now:
            self._sleep(start - now)
        return start - now


class _Stopped(Exception):
    """The run is stopping: calls not yet sent are not sent."""


class _Calls:
    """The transport as the run's threads see it: every call paced, counted, and refused once stopping.

    It offers the one method partnercenter.catalog's functions use, `request`.
    """

    def __init__(self, transport: Transport, pacer: Pacer) -> None:
        self._transport = transport
        self._pacer = pacer
        self._lock = threading.Lock()
        self._unrecorded = 0
        self.total = 0
        self.stopping = threading.Event()
        self.failure: BaseException | None = None  # the call that stopped the others

    def fail(self, error: BaseException) -> None:
        with self._lock:
            if self.failure is None:
                self.failure = error
        self.stopping.set()

    def request(self, *args: Any, **kwargs: Any) -> Any:
        if self.stopping.is_set():
            raise _Stopped
        self._pacer.wait()
        if self.stopping.is_set():
            raise _Stopped
        with self._lock:
            self.total += 1
            self._unrecorded += 1
        return self._transport.request(*args, **kwargs)

    def unrecorded(self) -> int:
        with self._lock:
            return self._unrecorded

    def give_back(self, count: int) -> None:
        with self._lock:
            self._unrecorded += count

    def take_unrecorded(self) -> int:
        """Calls made since the last time they were added to the mirror's count."""
        with self._lock:
            count, self._unrecorded = self._unrecorded, 0
            return count


@dataclass
class _Fetch:
    """One product on its way: its SKU list, then the availabilities of the SKUs that need reading."""

    product: pc.Product
    sku_list: Future[list[pc.Sku]]
    expanded: bool = False
    gone: bool = False
    skus: list[pc.Sku] = field(default_factory=list)
    availabilities: dict[str, Future[list[pc.Availability]]] = field(default_factory=dict)

    def cancel(self) -> None:
        self.sku_list.cancel()
        for future in self.availabilities.values():
            future.cancel()


@dataclass
class _Fetched:
    """A product as read: every SKU listed, the availabilities read, and the SKUs found gone (404)."""

    product: pc.Product
    gone: bool
    skus: list[pc.Sku]
    availabilities: dict[str, list[pc.Availability]]
    missing: set[str]

    @property
    def present_skus(self) -> list[pc.Sku]:
        return [sku for sku in self.skus if sku.id not in self.missing]


def full_sync(
    transport: Transport,
    mirror: Mirror,
    *,
    deadline: float | None = None,
    concurrency: int | None = None,
    calls_per_minute: int | None = None,
    pacer: Pacer | None = None,
) -> SyncOutcome:
    """Copy the mirror's catalog in full into a new generation and publish it, or continue such a copy.

    `deadline` (a time.monotonic() value): stop after the product being written when it passes, leaving
    the copy to be continued; at least one product is written per run. `concurrency` and
    `calls_per_minute` default to the CATALOG_SYNC_* settings; `pacer` shares a Pacer with the caller.
    Raises the Partner Center error after recording it when the run may be resumed later
    (RESUMABLE_ERRORS), portal.markets.MarketBlocked for a blocked market.
    """
    with _Run(transport, mirror, Mirror.SyncKind.FULL, deadline, concurrency, calls_per_minute, pacer) as run:
        return run.execute(run.full)


def refresh(
    transport: Transport,
    mirror: Mirror,
    *,
    deadline: float | None = None,
    concurrency: int | None = None,
    calls_per_minute: int | None = None,
    pacer: Pacer | None = None,
) -> SyncOutcome:
    """Bring the published copy up to date cheaply: products and SKU lists read again, availabilities only
    for new SKUs. A mirror never copied gets a full sync instead. Arguments as full_sync's; a refresh cut
    short by its deadline is simply run again (what it already did costs one call per product)."""
    mirror.refresh_from_db()
    if mirror.generation == 0:
        return full_sync(
            transport,
            mirror,
            deadline=deadline,
            concurrency=concurrency,
            calls_per_minute=calls_per_minute,
            pacer=pacer,
        )
    kind = Mirror.SyncKind.REFRESH
    with _Run(transport, mirror, kind, deadline, concurrency, calls_per_minute, pacer) as run:
        return run.execute(run.refresh)


def run(transport: Transport, mirror: Mirror, kind: str, **options: Any) -> SyncOutcome:
    """full_sync or refresh, by Mirror.SyncKind value; `options` as theirs."""
    engine = full_sync if kind == Mirror.SyncKind.FULL else refresh
    return engine(transport, mirror, **options)


class _Run:
    def __init__(
        self,
        transport: Transport,
        mirror: Mirror,
        kind: str,
        deadline: float | None,
        concurrency: int | None,
        calls_per_minute: int | None,
        pacer: Pacer | None,
    ) -> None:
        self.mirror = mirror
        self.kind = kind
        self.deadline = deadline
        self.concurrency = max(1, concurrency or settings.CATALOG_SYNC_CONCURRENCY)
        if pacer is None:
            per_minute = (
                settings.CATALOG_SYNC_CALLS_PER_MINUTE if calls_per_minute is None else calls_per_minute
            )
            pacer = Pacer(per_minute)
        self.pacer = pacer
        self._waited_before = pacer.waited
        self.calls = _Calls(transport, pacer)
        self.client = cast(Transport, self.calls)  # what partnercenter.catalog's functions are given
        self.pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"catalog-sync-{mirror.pk}")
        self.outcome = SyncOutcome(kind=kind)
        self.started = time.monotonic()
        self.token: datetime | None = None  # this run's sync_progress_at (see the module docstring)
        self.generation = 0  # where this run writes

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.calls.stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)

    # --- the run's frame: start, errors, counts ---------------------------------------------------------

    def execute(self, body: Callable[[], None]) -> SyncOutcome:
        mirror = self.mirror
        if is_blocked(mirror):
            verdict = markets.verdict(mirror.country)
            Mirror.objects.filter(pk=mirror.pk).update(
                sync_state=Mirror.SyncState.IDLE, last_error=verdict.explanation, last_error_at=timezone.now()
            )
            mirror.refresh_from_db()
            raise markets.MarketBlocked(verdict)
        self._begin()
        try:
            body()
        except SyncTakenOver:
            logger.warning("catalog sync of %s: another run took the mirror over; this one stops", mirror)
            raise
        except RESUMABLE_ERRORS as exc:
            logger.warning("catalog sync of %s stopped, to be continued: %s", mirror, exc)
            message = _("The copy stopped and will continue where it stopped: %(reason)s") % {
                "reason": exc.user_message
            }
            self._record(last_error=message, last_error_at=timezone.now())
            raise
        except PartnerCenterError as exc:
            # A refusal: the same calls would get the same answer. The run ends; what is published stays.
            logger.error("catalog sync of %s refused by Partner Center: %s", mirror, exc)
            message = _("Partner Center refused the copy: %(reason)s") % {"reason": exc.user_message}
            if isinstance(exc, _EmptyListing):
                message = exc.user_message
            self.outcome.error = message
            self._record(last_error=message, last_error_at=timezone.now(), sync_state=Mirror.SyncState.IDLE)
        except BaseException:  # a bug, the database, the task's time limit: recorded, left to be resumed
            logger.exception("catalog sync of %s stopped", mirror)
            message = _("The copy stopped on an error in the portal; it will continue where it stopped.")
            try:
                self._record(last_error=message, last_error_at=timezone.now())
            except Exception:  # the database may be what failed: the original error is the one to raise
                logger.exception("catalog sync of %s: the error could not be recorded", mirror)
            raise
        finally:
            self._stop_calls()
            self.outcome.calls = self.calls.total
            self.outcome.paced_seconds = self.pacer.waited - self._waited_before
            self.outcome.seconds = time.monotonic() - self.started
            mirror.refresh_from_db()
            self.outcome.generation = mirror.generation
        return self.outcome

    def _stop_calls(self) -> None:
        # Calls not yet sent are dropped; calls under way end on their own (the transport's timeouts), and
        # are still counted on the mirror.
        self.calls.stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.calls.unrecorded():
            try:
                self._record()
            except Exception:  # the database may be what failed; the count is not worth another error
                logger.exception("catalog sync of %s: the last calls could not be counted", self.mirror)

    def _begin(self) -> None:
        """Take the mirror: RUNNING, this run's token, and for a new full copy its generation number."""
        mirror = self.mirror
        mirror.refresh_from_db()
        now = timezone.now()
        fields: dict[str, Any] = {
            "sync_state": Mirror.SyncState.RUNNING,
            "sync_kind": self.kind,
            "sync_progress_at": now,
        }
        continuing = mirror.sync_kind == self.kind and mirror.sync_started_at is not None
        if self.kind == Mirror.SyncKind.FULL:
            if mirror.building_generation:
                self.generation = mirror.building_generation
            else:
                # Rows of abandoned generations would collide with the new one's numbers.
                _delete_generations(mirror, keep=mirror.generation)
                self.generation = mirror.generation + 1
                fields["building_generation"] = self.generation
                continuing = False
        else:
            self.generation = mirror.generation
            continuing = continuing and mirror.is_syncing
        if not continuing:
            fields.update(sync_started_at=now, sync_calls=0, sync_products_done=0, sync_products_total=0)
        Mirror.objects.filter(pk=mirror.pk).update(**fields)
        self.token = now
        logger.info(
            "catalog sync of %s: %s, generation %d, %d calls at a time, %s",
            mirror,
            self.kind,
            self.generation,
            self.concurrency,
            f"{self.pacer.calls_per_minute} calls a minute" if self.pacer.calls_per_minute else "unpaced",
        )

    def _owned(self) -> QuerySet[Mirror]:
        return Mirror.objects.filter(pk=self.mirror.pk, sync_progress_at=self.token)

    def _record(self, **fields: Any) -> None:
        """Update the mirror if this run still owns it, adding the calls made since the last update."""
        calls = self.calls.take_unrecorded()
        self._owned().update(sync_calls=F("sync_calls") + calls, **fields)

    @contextmanager
    def _step(self, products: int = 1) -> Iterator[None]:
        """One product's transaction: the writes inside it, and the mirror's progress (`products` more
        done, the calls made so far) in the same commit. Raises SyncTakenOver, rolling the writes back, if
        another run owns the mirror now."""
        now = timezone.now()
        calls = self.calls.take_unrecorded()
        try:
            with transaction.atomic():
                updated = self._owned().update(
                    sync_progress_at=now,
                    sync_products_done=F("sync_products_done") + products,
                    sync_calls=F("sync_calls") + calls,
                )
                if not updated:
                    raise SyncTakenOver(str(self.mirror))
                yield
        except BaseException:
            self.calls.give_back(calls)  # rolled back with the rest: counted with the next update
            raise
        # Only once it is committed is the new value what the database holds.
        self.token = now

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    # --- Partner Center calls, in the pool ----------------------------------------------------------------

    def _submit(self, read: Callable[..., Iterator[T]], *args: Any, **kwargs: Any) -> Future[list[T]]:
        mirror = self.mirror
        kwargs.update(country=mirror.country, reservation_scope=mirror.scope or None)
        future = self.pool.submit(lambda: list(read(self.client, *args, **kwargs)))
        future.add_done_callback(self._stop_on_failure)
        return future

    def _stop_on_failure(self, future: Future[Any]) -> None:
        # In the pool's thread, as soon as a call fails for good: the calls still queued would be wasted
        # (the product is not written, the next run reads it again), so none is sent.
        if future.cancelled():
            return
        error = future.exception()
        if error is not None and not isinstance(error, NotFound | _Stopped):
            self.calls.fail(error)

    def _result(self, future: Future[T]) -> T:
        """A call's result; for a call dropped because another failed, that other call's error."""
        try:
            return future.result()
        except _Stopped:
            if self.calls.failure is not None:
                raise self.calls.failure from None
            raise

    def _products(self) -> list[pc.Product]:
        listed = self._result(
            self._submit(pc_catalog.list_products, target_view=TargetView.AZURE_RESERVATIONS)
        )
        unique = {product.id: product for product in reversed(listed) if product.id}
        products = [unique[pid] for pid in dict.fromkeys(p.id for p in listed if p.id)]
        self.outcome.products_listed = len(products)
        return products

    def _expand(self, fetch: _Fetch, wanted: Callable[[pc.Product, list[pc.Sku]], list[pc.Sku]]) -> None:
        """Once its SKU list is in, queue the availability calls of the SKUs `wanted` returns."""
        if fetch.expanded:
            return
        fetch.expanded = True
        try:
            listed = self._result(fetch.sku_list)
        except NotFound:
            fetch.gone = True
            return
        seen: dict[str, pc.Sku] = {}
        for sku in listed:
            if sku.id and sku.id not in seen:
                seen[sku.id] = sku
        fetch.skus = list(seen.values())
        product_id = cast(str, fetch.product.id)
        for sku in wanted(fetch.product, fetch.skus):
            fetch.availabilities[cast(str, sku.id)] = self._submit(
                pc_catalog.list_availabilities, product_id, sku.id
            )

    def _collect(self, fetch: _Fetch) -> _Fetched:
        read: dict[str, list[pc.Availability]] = {}
        missing: set[str] = set()
        for sku_id, future in fetch.availabilities.items():
            try:
                read[sku_id] = self._result(future)
            except NotFound:  # the SKU (or its product) went between the lists
                missing.add(sku_id)
        return _Fetched(fetch.product, fetch.gone, fetch.skus, read, missing)

    def _fetched(
        self,
        products: Sequence[pc.Product],
        wanted: Callable[[pc.Product, list[pc.Sku]], list[pc.Sku]],
    ) -> Iterator[_Fetched]:
        """The products read in order, while the pool reads ahead. When the deadline passes, the products
        whose availability calls are under way are finished and the rest are not started."""
        pending: deque[_Fetch] = deque()
        next_index = 0
        yielded = 0

        def top_up() -> None:
            nonlocal next_index
            while len(pending) < LOOKAHEAD and next_index < len(products):
                # Past the deadline, only a run that has not written anything yet starts a product: every
                # run moves the copy forward by at least one.
                if self._past_deadline() and (yielded or pending):
                    return
                product = products[next_index]
                next_index += 1
                pending.append(_Fetch(product, self._submit(pc_catalog.list_skus, product.id)))

        try:
            top_up()
            while pending:
                self._expand(pending[0], wanted)
                if len(pending) > 1 and not self._past_deadline():
                    # Queued behind this product's calls, so the pool keeps busy while this one is written.
                    self._expand(pending[1], wanted)
                fetched = self._collect(pending.popleft())
                yield fetched
                yielded += 1
                if self._past_deadline():
                    while pending and pending[0].expanded:  # their calls are made: use them
                        yield self._collect(pending.popleft())
                    if pending or next_index < len(products):
                        self.outcome.stopped_at_deadline = True
                        return
                top_up()
        finally:
            for fetch in pending:
                fetch.cancel()

    # --- full sync ----------------------------------------------------------------------------------------

    def full(self) -> None:
        mirror = self.mirror
        products = self._products()
        if not products and mirror.products:
            raise _EmptyListing(mirror)
        written = set(
            Product.objects.filter(mirror=mirror, generation=self.generation).values_list(
                "product_id", flat=True
            )
        )
        todo = [p for p in products if p.id not in written]
        if written:
            logger.info("catalog sync of %s: continuing, %d products already written", mirror, len(written))
        self._record(sync_products_total=len(products), sync_products_done=len(products) - len(todo))
        for fetched in self._fetched(todo, lambda _product, skus: skus):
            if fetched.gone or (fetched.skus and not fetched.present_skus):
                self._skip(fetched)
                continue
            with self._step():
                self._write_product(fetched, rows.product_row(mirror, self.generation, fetched.product))
            self.outcome.products_written += 1
        if self.outcome.stopped_at_deadline:
            self._record()
            logger.info("catalog sync of %s: deadline reached, to be continued", mirror)
            return
        self._publish()

    def _skip(self, fetched: _Fetched) -> None:
        logger.info("catalog sync of %s: product %s is gone, skipped", self.mirror, fetched.product.id)
        self.outcome.products_skipped += 1
        with self._step():
            pass  # nothing to write: counted as done

    def _write_product(self, fetched: _Fetched, product: Product) -> None:
        """Inside a transaction: a product (new or existing) gets its SKUs and their availabilities."""
        if product.pk is None:
            product.save()
        sku_rows = []
        availability_rows = []
        keys: set[tuple[str, str, str, str, str]] = set()
        for sku in fetched.present_skus:
            if sku.id not in fetched.availabilities:
                continue  # a refresh reads only new SKUs
            sku_row = rows.sku_row(product, sku)
            sku_rows.append(sku_row)
            for row in rows.all_availability_rows(product, sku_row, fetched.availabilities[sku_row.sku_id]):
                key = (row.sku_id, row.availability_id, row.term_duration, row.billing_plan, row.product_id)
                if key not in keys:  # the unique constraint's columns: a repeated item is one row
                    keys.add(key)
                    availability_rows.append(row)
        Sku.objects.bulk_create(sku_rows, batch_size=SKU_BATCH)
        Availability.objects.bulk_create(availability_rows, batch_size=AVAILABILITY_BATCH)
        self.outcome.skus_written += len(sku_rows)
        self.outcome.skus_skipped += len(fetched.missing)
        self.outcome.availabilities_written += len(availability_rows)

    def _publish(self) -> None:
        mirror = self.mirror
        generation = self.generation
        counts = self._complete(generation=generation, building_generation=0, full_synced_at=True)
        logger.info("catalog sync of %s: generation %d published (%s)", mirror, generation, counts)
        # Outside the transaction, a chunk at a time: pages read the new generation already.
        _delete_generations(mirror, keep=generation)

    def _complete(self, *, full_synced_at: bool = False, **fields: Any) -> dict[str, int]:
        """Mark the run complete, with the published generation's counts, in one conditional update: a run
        another worker took over meanwhile changes nothing and stops. Returns the counts."""
        mirror = self.mirror
        now = timezone.now()
        with transaction.atomic():
            counts = _counts(mirror, fields.get("generation", self.generation))
            calls = self.calls.take_unrecorded()
            done = self._owned().update(
                sync_state=Mirror.SyncState.IDLE,
                synced_at=now,
                last_error="",
                last_error_at=None,
                sync_progress_at=now,
                sync_calls=F("sync_calls") + calls,
                last_run_calls=F("sync_calls") + calls,
                last_run_seconds=_seconds_since(mirror, now),
                **({"full_synced_at": now} if full_synced_at else {}),
                **fields,
                **counts,
            )
            if not done:
                raise SyncTakenOver(str(mirror))
        self.token = now
        self.outcome.complete = True
        return counts

    # --- refresh ------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        mirror = self.mirror
        generation = self.generation
        products = self._products()
        if not products and mirror.products:
            raise _EmptyListing(mirror)
        existing = {p.product_id: p for p in Product.objects.filter(mirror=mirror, generation=generation)}
        existing_skus: dict[str, dict[str, Sku]] = {}

        def wanted(product: pc.Product, skus: list[pc.Sku]) -> list[pc.Sku]:
            row = existing.get(cast(str, product.id))
            if row is None:
                return skus
            have = {s.sku_id: s for s in Sku.objects.filter(product_row=row)}
            existing_skus[row.product_id] = have
            return [sku for sku in skus if sku.id not in have]

        self._record(sync_products_total=len(products), sync_products_done=0)
        for fetched in self._fetched(products, wanted):
            row = existing.get(cast(str, fetched.product.id))
            if row is None:
                if fetched.gone or (fetched.skus and not fetched.present_skus):
                    self._skip(fetched)
                    continue
                with self._step():
                    self._write_product(fetched, rows.product_row(mirror, generation, fetched.product))
                self.outcome.products_written += 1
            elif fetched.gone:
                with self._step():
                    _delete_product(row)
                self.outcome.products_removed += 1
            else:
                with self._step():
                    self._refresh_product(row, fetched, existing_skus.pop(row.product_id, {}))
        if self.outcome.stopped_at_deadline:
            self._record()
            return
        listed = {p.id for p in products}
        for product_id, row in existing.items():
            if product_id not in listed:
                with self._step(products=0):
                    _delete_product(row)
                self.outcome.products_removed += 1
        self._complete()
        done = self.outcome
        logger.info(
            "catalog refresh of %s: products %d new, %d changed, %d gone; SKUs %d new, %d changed, %d gone",
            mirror,
            done.products_written,
            done.products_updated,
            done.products_removed,
            done.skus_written,
            done.skus_updated,
            done.skus_removed,
        )

    def _refresh_product(self, row: Product, fetched: _Fetched, have: dict[str, Sku]) -> None:
        """Inside a transaction: one listed product brought up to date."""
        fresh = rows.product_row(self.mirror, self.generation, fetched.product)
        product_changed = _changed(row, fresh, PRODUCT_FIELDS)
        if product_changed:
            row.save(update_fields=PRODUCT_FIELDS)
        listed = {sku.id for sku in fetched.present_skus}
        vanished = [sku for sku_id, sku in have.items() if sku_id not in listed]
        if vanished:
            Availability.objects.filter(sku_row__in=vanished).delete()
            Sku.objects.filter(pk__in=[sku.pk for sku in vanished]).delete()
        updated = 0
        for sku in fetched.present_skus:
            current = have.get(cast(str, sku.id))
            if current is None:
                continue
            sku_changed = _changed(current, rows.sku_row(row, sku), SKU_FIELDS)
            if sku_changed:
                current.save(update_fields=SKU_FIELDS)
                updated += 1
            if sku_changed or product_changed:
                Availability.objects.filter(sku_row=current).update(**_copied(row, current))
        before = self.outcome.skus_written
        self._write_product(fetched, row)
        if product_changed or vanished or updated or self.outcome.skus_written > before:
            self.outcome.products_updated += 1
        self.outcome.skus_updated += updated
        self.outcome.skus_removed += len(vanished)


class _EmptyListing(PartnerCenterError):
    """Partner Center listed no products for a market whose copy has some: not believed, not applied."""

    def __init__(self, mirror: Mirror) -> None:
        super().__init__(f"no products listed for {mirror}, whose copy has {mirror.products}")

    @property
    def user_message(self) -> str:
        return _("Partner Center listed no products for this market; the copy was kept as it was.")


def _changed(current: Model, fresh: Model, fields: Sequence[str]) -> bool:
    """Copy `fields` from fresh onto current; True when any of them differed."""
    changed = False
    for name in fields:
        value = getattr(fresh, name)
        if getattr(current, name) != value:
            setattr(current, name, value)
            changed = True
    return changed


def _copied(product: Product, sku: Sku) -> dict[str, Any]:
    """The Availability columns copied from a product and a SKU, as catalog.rows computes them."""
    template = rows.availability_rows(product, sku, pc.Availability())[0]
    return {name: getattr(template, name) for name in COPIED_FIELDS}


def _counts(mirror: Mirror, generation: int) -> dict[str, int]:
    return {
        "products": Product.objects.filter(mirror=mirror, generation=generation).count(),
        "skus": Sku.objects.filter(mirror=mirror, generation=generation).count(),
        "availabilities": Availability.objects.filter(mirror=mirror, generation=generation).count(),
    }


def _seconds_since(mirror: Mirror, now: datetime) -> float | None:
    started = Mirror.objects.filter(pk=mirror.pk).values_list("sync_started_at", flat=True).first()
    return (now - started).total_seconds() if started else None


def _delete_product(product: Product) -> None:
    Availability.objects.filter(sku_row__product_row=product).delete()
    Sku.objects.filter(product_row=product).delete()
    product.delete()


def _delete_generations(mirror: Mirror, *, keep: int) -> int:
    """Delete the mirror's rows of every generation but `keep`, children first, a chunk per statement, so
    no page ever waits on one long delete. Returns the rows deleted."""
    deleted = 0
    for model in (Availability, Sku, Product):
        stale = model.objects.filter(mirror=mirror).exclude(generation=keep)
        while chunk := list(stale.values_list("pk", flat=True)[:DELETE_CHUNK]):
            deleted += model.objects.filter(pk__in=chunk).delete()[0]
    return deleted
