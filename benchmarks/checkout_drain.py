"""Checkout drain benchmark: 200 purchase requests approved at once, checked out by real Celery workers
against the sandbox with throttling on.

What it measures: the time from the first approval until every request is final (ordered, failed or
expired); the Partner Center calls the sandbox counted meanwhile (per route, with the 429s it answered, read
from its access log); the checkout calls per cart; and, request by request, that nothing was bought twice
or lost: the orders the sandbox made from each request's cart (its stats, per cart) must equal the order
groups that succeeded and the local Order rows of that request.

How: it starts its own sandbox (a data dir in a temporary folder, throttling off while the world is set up)
and a scratch database (Django's test database: `test_<name>_checkout_drain` on PostgreSQL, a file in a
temporary folder on SQLite). It copies sandbox customers with a Registered Azure plan into the portal, and
builds the requests through the domain functions (orders.carts.start_request / add_line / submit): 1 to 3
lines each, different SKUs (VM sizes of up to 16 vCPUs that the inventory check does not restrict, and
SQL, Cosmos DB, App Service, storage, ... reservations), small quantities, and never more reserved vCPUs
per customer and region than the sandbox's quota of 1000 leaves after the customer's past orders. Then it
turns throttling on (500 requests a minute per partner tenant, Partner Center's own figure, or
`--rate-limit`), waits for the set-up's calls to leave the sandbox's one-minute window, starts `--workers`
Celery worker processes (pool solo, DEBUG off as in production), approves every request in a tight loop
(approval sends the checkout when it commits) and sends beat's checkout sweep every 30 s, as beat would.
The broker is Redis when REDIS_URL is set or `--redis [URL]` is given (default redis://127.0.0.1:6379/2;
its `portal` queue is purged before and after), else the embedded filesystem broker in the temporary
folder. Workers, sandbox and scratch database are stopped and removed at the end, whatever happens.

SQLite: the workers and this script write one file. The portal begins SQLite transactions IMMEDIATE
(portal/settings.py), so a writer waits for the lock (up to 20 s) instead of failing with "database is
locked"; the script still counts and retries an approval that meets the lock, and the worker figures count
the lock errors, so a regression shows. PostgreSQL is what production runs.

Partner Center calls of the set-up are not measured: the sandbox's stats are read before and after the
drain. A checkout the sandbox throttled never reaches its cart, so the per-cart counts leave it out; the
429 figures come from the sandbox's access log. `--logs DIR` keeps the worker and sandbox logs.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/checkout_drain.py
         --redis [--requests 200] [--workers 2] [--rate-limit 500] [--timeout 900] [--logs DIR]
     .venv/bin/python benchmarks/checkout_drain.py --requests 20        # SQLite, embedded broker
It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_REDIS = "redis://127.0.0.1:6379/2"  # db 1 is the tests'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="purchase requests to build and approve")
    parser.add_argument("--workers", type=int, default=None, help="Celery worker processes (default 2)")
    parser.add_argument(
        "--rate-limit", type=int, default=500, help="sandbox requests a minute per partner tenant (drain)"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds the drain may take at most")
    parser.add_argument("--sweep-every", type=float, default=30, help="seconds between checkout sweeps")
    parser.add_argument("--customers", type=int, default=8, help="sandbox customers the requests go to")
    parser.add_argument("--seed", type=int, default=7, help="seed of the lines picked")
    parser.add_argument(
        "--logs", type=Path, help="copy the worker and sandbox logs to this folder at the end"
    )
    parser.add_argument(
        "--redis",
        nargs="?",
        const=DEFAULT_REDIS,
        default=None,
        metavar="URL",
        help=f"Celery on Redis (default URL {DEFAULT_REDIS}); REDIS_URL set does the same",
    )
    return parser.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None and ARGS.redis:
    os.environ["REDIS_URL"] = ARGS.redis
# Development settings need no production secrets; the scratch database lives apart from any real one.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
SCRATCH = tempfile.TemporaryDirectory(prefix="checkout-drain-bench-")  # removed when the script ends
os.environ["PORTAL_DATA_DIR"] = SCRATCH.name  # also the embedded broker's folder, shared with the workers

import django

django.setup()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import OperationalError, connection
from django.db.models import Count
from django.test.utils import setup_databases, setup_test_environment, teardown_databases
from django.utils import timezone

from benchmarks.scratch import database_version, own_test_database
from catalog.rows import term_months
from orders import approvals, carts, checkout_tasks
from orders.carts import LineChoice
from orders.models import Order, PurchaseRequest
from orders.transitions import PurchaseError
from partnercenter import catalog as pc_catalog
from partnercenter import customers as pc_customers
from partnercenter import orders as pc_orders
from partnercenter.catalog import AZURE_PLAN
from partnercenter.enums import BillingCycle, TargetView
from partnercenter.errors import PartnerCenterError
from partnercenter.models import InventoryTarget
from portal import celery_app, markets
from portal import partner_center as portal_partner_center
from portal.customers import refresh_customer, sync_customers
from portal.models import Customer, CustomerSubscription
from portal.roles import Role
from tests.integration.conftest import Worker
from tests.sandbox_process import Sandbox, start_sandbox

State = PurchaseRequest.State
FINAL = (State.ORDERED, State.FAILED, State.EXPIRED)
SANDBOX_QUOTA = 1000  # reserved VM vCPUs per subscription and region (sandbox/README.md: QuotaNotAvailable)
BIGGEST_VM = 72  # vCPUs of the largest VM size the sandbox sells, for a past order whose size is unknown
SMALL_VM = 16  # the largest VM size the requests buy
SETUP_RATE_LIMIT = 10_000_000
PARTNER_CENTER_PREFIX = "/v1/"
ACCESS_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})')
ID_SEGMENT = re.compile(r"^(?=.*\d)[0-9A-Za-z-]{8,}$")


# --- the world: customers, SKUs, past orders ----------------------------------------------------------


@dataclass(frozen=True)
class SkuChoice:
    product_id: str
    sku_id: str
    term_months: int
    region: str
    cores: int  # 0: not a VM (no vCPU quota)


@dataclass
class Buyer:
    customer: Customer
    plan: CustomerSubscription
    skus: list[SkuChoice]
    quota_left: dict[str, int] = field(default_factory=dict)  # vCPUs still free per region

    def room(self, region: str) -> int:
        return self.quota_left.setdefault(region, self.quota_left.get("*", SANDBOX_QUOTA))


def buyers(count: int) -> list[Buyer]:
    """The first `count` sandbox customers in a market that can buy reservations, with a Registered Azure
    plan, copied into the portal; each with the SKUs it can buy and the vCPU quota its past orders leave."""
    pc = portal_partner_center.transport()
    found: list[Buyer] = []
    catalogs: dict[str, tuple[list[SkuChoice], set[str]]] = {}
    for listed in pc_customers.list_customers(pc):
        if len(found) >= count:
            break
        customer = refresh_customer(pc, str(listed.id))
        try:
            markets.ensure_can_buy(customer)
        except markets.MarketBlocked:
            continue
        plan = customer.subscriptions.filter(
            kind=CustomerSubscription.Kind.AZURE_PLAN,
            registration=CustomerSubscription.Registration.REGISTERED,
        ).first()
        if plan is None:
            continue
        if customer.country not in catalogs:
            catalogs[customer.country] = market_skus(customer.country)
        skus, vm_products = catalogs[customer.country]
        restricted = restricted_skus(customer, plan, vm_products)
        usable = [
            s
            for s in skus
            if (s.product_id, s.sku_id) not in restricted and s.cores <= SMALL_VM and s.term_months
        ]
        buyer = Buyer(customer=customer, plan=plan, skus=usable)
        for region, cores in past_vm_cores(customer, skus).items():
            buyer.quota_left[region] = SANDBOX_QUOTA - cores
        found.append(buyer)
    return found


def market_skus(country: str) -> tuple[list[SkuChoice], set[str]]:
    """Every reservation SKU of a market's Azure plan catalog, and the ids of its VM products."""
    pc = portal_partner_center.transport()
    vm_products = {
        p.id
        for p in pc_catalog.list_products(
            pc, country=country, target_view=TargetView.AZURE_RESERVATIONS_VM, reservation_scope=AZURE_PLAN
        )
    }
    skus = []
    products = pc_catalog.list_products(
        pc, country=country, target_view=TargetView.AZURE_RESERVATIONS, reservation_scope=AZURE_PLAN
    )
    for product in products:
        for sku in pc_catalog.list_skus(pc, product.id, country=country, reservation_scope=AZURE_PLAN):
            skus.append(sku_choice(product.id, sku, vm=product.id in vm_products))
    return skus, {str(p) for p in vm_products}


def sku_choice(product_id: str, sku: Any, *, vm: bool) -> SkuChoice:
    attributes = {str(k).lower(): str(v) for k, v in (sku.dynamic_attributes or {}).items()}
    cores = int(attributes.get("cores") or 0) if vm else 0
    return SkuChoice(
        product_id=product_id,
        sku_id=str(sku.id),
        term_months=term_months(attributes.get("duration")) or 0,
        region=attributes.get("armregionname") or "global",
        cores=cores or (BIGGEST_VM if vm else 0),
    )


def restricted_skus(
    customer: Customer, plan: CustomerSubscription, vm_products: set[str]
) -> set[tuple[str, str]]:
    """The VM SKUs Partner Center's inventory check says cannot be supplied to this customer and plan."""
    pc = portal_partner_center.transport()
    restricted = set()
    for product_id in sorted(vm_products):
        items = pc_catalog.check_inventory(
            pc,
            country=customer.country,
            targets=[InventoryTarget(product_id)],
            customer_id=customer.pk,
            azure_subscription_id=plan.pk,
        )
        restricted |= {(str(i.product_id), str(i.sku_id)) for i in items if i.is_restricted}
    return restricted


def past_vm_cores(customer: Customer, skus: list[SkuChoice]) -> dict[str, int]:
    """vCPUs the customer's past orders already reserve, per region ("*": an order whose SKU is unknown,
    counted against every region)."""
    pc = portal_partner_center.transport()
    by_id = {(s.product_id, s.sku_id): s for s in skus}
    used: Counter[str] = Counter()
    for order in pc_orders.list_orders(pc, customer.pk):
        for item in order.line_items:
            parts = (item.offer_id or "").split(":")
            sku = by_id.get((parts[0], parts[1])) if len(parts) >= 2 else None
            if sku is None and len(parts) >= 2:
                try:
                    fresh = pc_catalog.get_sku(
                        pc, parts[0], parts[1], country=customer.country, reservation_scope=AZURE_PLAN
                    )
                    sku = sku_choice(parts[0], fresh, vm="cores" in str(fresh.dynamic_attributes).lower())
                except PartnerCenterError:
                    sku = None
            quantity = item.quantity or 1
            if sku is None:
                used["*"] += BIGGEST_VM * quantity
            elif sku.cores:
                used[sku.region] += sku.cores * quantity
    if used["*"]:
        return {region: cores + used["*"] for region, cores in used.items()} | {"*": used["*"]}
    return dict(used)


def pick_lines(buyer: Buyer, rng: random.Random) -> list[tuple[SkuChoice, int]]:
    """1 to 3 distinct SKUs with small quantities, within the vCPU quota left per region."""
    lines: list[tuple[SkuChoice, int]] = []
    wanted = rng.choice((1, 1, 2, 2, 2, 3))
    for _attempt in range(30):
        if len(lines) >= wanted:
            break
        sku = rng.choice(buyer.skus)
        if any(sku == taken for taken, _q in lines):
            continue
        quantity = rng.randint(1, 3) if sku.cores else rng.randint(1, 2)
        if sku.cores:
            if sku.cores * quantity > buyer.room(sku.region):
                continue
            buyer.quota_left[sku.region] -= sku.cores * quantity
        lines.append((sku, quantity))
    return lines


# --- building the requests ------------------------------------------------------------------------------


def staff() -> tuple[list[Any], Any]:
    User = get_user_model()
    sales = []
    for n in range(3):
        user = User.objects.create_user(f"bench-sales-{n}", password=secrets.token_urlsafe(16))
        user.groups.add(Group.objects.get(name=Role.SALES.value))
        sales.append(user)
    approver = User.objects.create_user("bench-approver", password=secrets.token_urlsafe(16))
    approver.groups.add(Group.objects.get(name=Role.APPROVER.value))
    return sales, approver


def build_requests(
    count: int, people: list[Any], world: list[Buyer], seed: int
) -> tuple[list[int], Counter[str]]:
    """`count` requests sent for approval, round robin over the customers; their ids, and why any was not."""
    pc = portal_partner_center.transport()
    rng = random.Random(seed)
    built: list[int] = []
    refused: Counter[str] = Counter()
    for n in range(count):
        buyer = world[n % len(world)]
        by = people[n % len(people)]
        purchase = carts.start_request(buyer.customer, buyer.plan, by=by)
        try:
            for sku, quantity in pick_lines(buyer, rng):
                choice = LineChoice(
                    product_id=sku.product_id,
                    sku_id=sku.sku_id,
                    term_months=sku.term_months,
                    billing_plan=BillingCycle.ONE_TIME.value,
                    quantity=quantity,
                    scope=rng.choice(("shared", "single")),
                )
                carts.add_line(purchase, choice, by=by, transport=pc)
            carts.submit(purchase, by=by, transport=pc)
        except PurchaseError as exc:
            refused[exc.user_message[:100]] += 1
            continue
        built.append(purchase.pk)
    return built, refused


# --- measuring ------------------------------------------------------------------------------------------


def states(request_ids: list[int]) -> Counter[str]:
    rows = PurchaseRequest.objects.filter(pk__in=request_ids).values_list("state").annotate(n=Count("id"))
    return Counter(dict(rows.order_by()))


def sandbox_calls(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {
        route: after.get(route, 0) - before.get(route, 0)
        for route in sorted(after)
        if after.get(route, 0) - before.get(route, 0)
    }


def route_of(path: str) -> str:
    path = path.split("?", 1)[0]
    return "/".join("{id}" if ID_SEGMENT.match(part) else part for part in path.split("/"))


def access_log(sandbox: Sandbox, offset: int) -> tuple[Counter[str], Counter[str]]:
    """Statuses the sandbox answered after `offset` of its access log, and the 429s per route."""
    with sandbox.log.open("rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    statuses: Counter[str] = Counter()
    throttled: Counter[str] = Counter()
    for method, path, status in ACCESS_LINE.findall(text):
        if not path.startswith(PARTNER_CENTER_PREFIX):
            continue
        statuses[status] += 1
        if status == "429":
            throttled[f"{method} {route_of(path)}"] += 1
    return statuses, throttled


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def worker_log_figures(logs: list[str]) -> dict[str, Any]:
    """What the workers' logs say: tasks received, checkout results, failed tasks, throttling, errors."""
    text = "\n".join(logs)
    tasks = Counter(re.findall(r"Task ([\w.]+)\[[^\]]+\] received", text))
    results = Counter(
        re.findall(
            r"Task orders\.checkout_tasks\.checkout_purchase\[[^\]]+\] succeeded in [\d.]+s: '(\w+)'", text
        )
    )
    failed = Counter(
        f"{name.rsplit('.', 1)[-1]}: {error}"
        for name, error in re.findall(r"Task ([\w.]+)\[[^\]]+\] raised unexpected: (\w+)", text)
    )
    # Error lines, told apart by their text (without the time stamp and task id).
    errors = Counter(
        re.sub(r"\[[0-9a-f-]{36}\]", "[...]", line.split("] ", 1)[-1])[:200]
        for line in text.splitlines()
        if re.match(r"\[[^\]]+: (ERROR|CRITICAL)/", line)
    )
    return {
        "tasks": tasks,
        "checkout results": results,
        "failed": failed,
        "pc 429 seen": len(re.findall(r" -> 429 in ", text)),
        "pc retries": len(re.findall(r": retrying in [\d.]+ s", text)),
        "locked": len(re.findall(r"OperationalError: database is locked", text)),
        "errors": errors,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class Audit:
    by_state: Counter[str]
    doubled: list[str]
    lost: list[str]
    mismatched: list[str]
    expected: int
    local: int
    sandbox: int


def exactly_once(request_ids: list[int], checkouts: dict[str, dict[str, int]]) -> Audit:
    """Request by request: the sandbox's orders from its cart, the order groups that succeeded, local rows."""
    audit = Audit(Counter(), [], [], [], 0, 0, 0)
    for purchase in PurchaseRequest.objects.filter(pk__in=request_ids).prefetch_related("lines"):
        lines = list(purchase.lines.all())
        groups = {line.order_group for line in lines}
        failed_groups = {line.order_group for line in lines if line.order_error_code}
        expected = len(groups - failed_groups) if purchase.state == State.ORDERED else 0
        made = checkouts.get(purchase.cart_id, {}).get("orders", 0)
        local = Order.objects.filter(purchase_request=purchase).count()
        audit.by_state[purchase.state] += 1
        audit.expected += expected
        audit.local += local
        audit.sandbox += made
        label = f"{purchase.reference} ({purchase.state}, cart {purchase.cart_id})"
        if made > len(groups) or (purchase.state == State.ORDERED and made > expected):
            audit.doubled.append(f"{label}: sandbox made {made} order(s), {expected} expected")
        if made > local:
            audit.lost.append(f"{label}: sandbox made {made} order(s), {local} recorded here")
        elif purchase.state not in FINAL:
            audit.lost.append(f"{label}: approved and never final ({purchase.last_error[:120]})")
        if purchase.state in FINAL and not made == local == expected:
            audit.mismatched.append(f"{label}: sandbox {made}, local {local}, expected {expected}")
    return audit


# --- the run --------------------------------------------------------------------------------------------


def wait_until_ready(workers: list[Worker], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(" ready." in w.output() for w in workers):
            return
        for w in workers:
            if w.process.poll() is not None:
                raise RuntimeError(f"a worker exited with {w.process.returncode}:\n{w.output()[-3000:]}")
        time.sleep(0.5)
    raise RuntimeError(f"the workers were not ready within {timeout:.0f} s")


def purge_broker() -> int:
    try:
        return celery_app.control.purge() or 0
    except Exception as exc:  # a figure, not a failure
        print(f"  (broker not purged: {exc})")
        return 0


def forget_queues(redis_url: str, queues: list[str]) -> None:
    """Remove the bindings of the workers' own queues (Worker gives each one), which kombu leaves in Redis."""
    import redis

    if not queues:
        return
    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(*(f"_kombu.{kind}.{q}" for q in queues for kind in ("binding", "binding_permanent")))
    finally:
        client.close()


def drain(args: argparse.Namespace, sandbox: Sandbox, scratch: Path) -> None:
    settings.PARTNER_CENTER = sandbox.config  # the portal pointed at it, as the tests do
    redis_url = settings.REDIS_URL or None
    workers_wanted = args.workers or 2

    started = time.perf_counter()
    people, approver = staff()
    # A running portal has its customer list: without one, the first worker would copy it at start.
    sync_customers(portal_partner_center.transport())
    world = buyers(args.customers)
    if not world:
        raise SystemExit("the sandbox has no customer with a Registered Azure plan in a market that can buy")
    request_ids, refused = build_requests(args.requests, people, world, args.seed)
    setup_seconds = time.perf_counter() - started
    lines = sum(PurchaseRequest.objects.get(pk=pk).lines.count() for pk in request_ids)
    print(
        f"  set-up            {setup_seconds:9.1f} s   {len(request_ids)} requests sent for approval "
        f"({lines} lines) for {len(world)} customers: "
        + ", ".join(f"{b.customer.company_name} ({b.customer.country})" for b in world)
    )
    for reason, n in refused.items():
        print(f"  not sent          {n:9}   {reason}")

    # Throttling on, and the set-up's calls out of the sandbox's one-minute window before anything counts.
    sandbox.admin("PUT", "settings", {"rate_limit": args.rate_limit})
    setup_done = time.monotonic()
    purged = purge_broker() if redis_url else 0
    env = {
        **sandbox.env,
        "PORTAL_DATA_DIR": SCRATCH.name,
        "DJANGO_DEBUG": "false",  # as a production worker: DEBUG keeps every query's SQL in memory
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    }
    workers = []
    try:
        for n in range(workers_wanted):
            log_dir = scratch / f"worker-{n}"
            log_dir.mkdir()
            workers.append(Worker(log_dir, redis_url, env=env, queues=[settings.CELERY_TASK_DEFAULT_QUEUE]))
        wait_until_ready(workers)
        time.sleep(max(0.0, 61 - (time.monotonic() - setup_done)))
        before = sandbox.stats()
        log_offset = sandbox.log.stat().st_size
        broker = (
            f"Redis {redis_url}" + (f" ({purged} stale message(s) purged)" if purged else "")
            if redis_url
            else "embedded filesystem broker"
        )
        print(
            f"drain: {len(request_ids)} requests, {workers_wanted} worker(s) (pool solo), {broker}, rate "
            f"limit {args.rate_limit}/min, sweep every {args.sweep_every:.0f} s, timeout {args.timeout:.0f} s"
        )

        # Approved at once.
        first_approval = time.monotonic()
        approved_at = timezone.now()
        approve_errors: Counter[str] = Counter()
        locked_retries = 0
        approved: list[int] = []
        for pk in request_ids:
            for _try in range(5):
                try:
                    approvals.approve(PurchaseRequest(pk=pk), by=approver, comment="bench")
                except OperationalError as exc:  # SQLite: a worker holds the write lock
                    locked_retries += 1
                    last_error = f"{type(exc).__name__}: {exc} (5 tries)"
                    continue
                except PurchaseError as exc:
                    approve_errors[exc.user_message[:100]] += 1
                else:
                    approved.append(pk)
                break
            else:
                approve_errors[last_error] += 1
        approve_seconds = time.monotonic() - first_approval
        print(
            f"  approvals         {approve_seconds:9.2f} s   for {len(approved)} (checkouts sent on commit)"
        )
        if locked_retries:
            print(
                f"  approvals retried {locked_retries:9}   after 'database is locked' (a worker was writing)"
            )
        for reason, n in approve_errors.items():
            print(f"  not approved      {n:9}   {reason}")

        # Until every request is final, or the timeout; beat's sweep every 30 s.
        deadline = first_approval + args.timeout
        next_sweep = first_approval + args.sweep_every
        next_report = first_approval + 15
        sweeps = 0
        current = states(approved)
        while time.monotonic() < deadline:
            current = states(approved)
            if not sum(n for s, n in current.items() if s not in FINAL):
                break
            now = time.monotonic()
            if now >= next_sweep:
                checkout_tasks.sweep_checkouts.delay()
                sweeps += 1
                next_sweep += args.sweep_every
            if now >= next_report:
                print(
                    f"  ... {now - first_approval:6.0f} s   "
                    + ", ".join(f"{s} {n}" for s, n in sorted(current.items()))
                )
                next_report += 15
            dead = [w for w in workers if w.process.poll() is not None]
            if dead:
                print(f"  {len(dead)} worker(s) exited early (code {dead[0].process.returncode})")
                break
            time.sleep(0.5)
        drain_seconds = time.monotonic() - first_approval
        timed_out = sum(n for s, n in states(approved).items() if s not in FINAL)
        after = sandbox.stats()
        statuses, throttled = access_log(sandbox, log_offset)
        peaks = [peak_rss_mb(w.process.pid) for w in workers]
    finally:
        for worker in workers:
            worker.stop()
        if redis_url:
            purge_broker()  # the follow-ups still queued (order reconciles, retries): nothing is left behind
            forget_queues(redis_url, [w.queue for w in workers])
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for n, worker in enumerate(workers):
                shutil.copy(worker.log, args.logs / f"worker-{n}.log")
            shutil.copy(sandbox.log, args.logs / "sandbox.log")

    calls = sandbox_calls(before["requests"], after["requests"])
    pc_calls = {r: n for r, n in calls.items() if r.split(" ", 1)[-1].startswith(PARTNER_CENTER_PREFIX)}
    other = {r: n for r, n in calls.items() if r not in pc_calls and "/_sandbox/" not in r}
    pc_total = sum(pc_calls.values())
    status = "all final" if not timed_out else f"TIMED OUT with {timed_out} not final"
    print(f"  time to drain     {drain_seconds:9.1f} s   ({status}; {sweeps} sweep(s) sent)")
    finals = sorted(
        (r.state_changed_at - approved_at).total_seconds()
        for r in PurchaseRequest.objects.filter(pk__in=approved, state__in=FINAL)
    )
    if finals:
        print(
            f"  final after       p50 {percentile(finals, 0.5):6.1f} s   p90 {percentile(finals, 0.9):6.1f} "
            f"s   max {finals[-1]:6.1f} s   (from the first approval)"
        )
    print(
        f"  PC calls (sandbox){pc_total:9,}   {pc_total / max(drain_seconds, 1e-9) * 60:,.0f}/min over the "
        "drain; answers: " + ", ".join(f"{s}: {n:,}" for s, n in sorted(statuses.items()))
    )
    for route, n in sorted(pc_calls.items(), key=lambda kv: -kv[1]):
        print(f"    {n:7,}  {route}")
    for route, n in sorted(other.items()):
        print(f"    {n:7,}  {route}   (sign-in, not Partner Center)")
    if throttled:
        print("  429 per route     " + ", ".join(f"{r}: {n:,}" for r, n in throttled.most_common()))
    checkouts: dict[str, dict[str, int]] = after["checkouts"]
    carts_of = dict(PurchaseRequest.objects.filter(pk__in=approved).values_list("cart_id", "pk"))
    per_cart = Counter(checkouts.get(cart, {}).get("calls", 0) for cart in carts_of)
    attempts = Counter(
        PurchaseRequest.objects.filter(pk__in=approved).values_list("checkout_attempts", flat=True)
    )
    print(
        "  checkout calls    per cart: "
        + ", ".join(f"{calls} call(s): {n}" for calls, n in sorted(per_cart.items()))
        + f"   (total {sum(c * n for c, n in per_cart.items()):,})"
    )
    print(
        "  attempts          per request (claims): "
        + ", ".join(f"{a}: {n}" for a, n in sorted(attempts.items()))
    )

    audit = exactly_once(approved, checkouts)
    new_orders = after["orders"] - before["orders"]
    from_checkout = Order.objects.filter(source=Order.Source.CHECKOUT).count()
    print("  final states      " + ", ".join(f"{s}: {n}" for s, n in sorted(audit.by_state.items())))
    print(
        f"  orders            expected {audit.expected}, made by the sandbox from these carts "
        f"{audit.sandbox}, recorded here {audit.local}; the sandbox's new orders in all {new_orders}, local "
        f"rows from checkout {from_checkout}"
    )
    print(f"  doubled           {len(audit.doubled):9}")
    print(f"  lost              {len(audit.lost):9}   (ordered there and not here, or never final)")
    for line in (audit.doubled + audit.lost + audit.mismatched)[:20]:
        print(f"    {line}")
    if audit.mismatched:
        print(f"  mismatched        {len(audit.mismatched):9}   (sandbox, local and expected disagree)")

    figures = worker_log_figures([w.output() for w in workers])
    print("worker logs (until the workers stopped, a little after the drain):")
    print(
        "  tasks received    "
        + ", ".join(f"{name.rsplit('.', 1)[-1]}: {n}" for name, n in figures["tasks"].most_common())
    )
    print(
        "  checkout results  "
        + (", ".join(f"{r}: {n}" for r, n in figures["checkout results"].most_common()) or "-")
        + "   (a message that found its request taken returns the state it found)"
    )
    if figures["failed"]:
        print("  tasks failed      " + ", ".join(f"{k}: {n}" for k, n in figures["failed"].most_common()))
    print(
        f"  throttling        {figures['pc 429 seen']} answers 429 seen, {figures['pc retries']} transport "
        f"retries; {figures['locked']} 'database is locked'; {sum(figures['errors'].values())} error line(s)"
    )
    for line, n in figures["errors"].most_common(6):
        print(f"    {n:5} x {line}")
    shown = [f"{p:.0f} MB" for p in peaks if p is not None]
    if shown:
        print(f"  worker peak RSS   {', '.join(shown)}")


def main() -> None:
    args = ARGS or parse_args()
    # One log line per Partner Center call of the set-up would be most of the output.
    for name in ("partnercenter", "catalog", "orders", "portal", "kombu"):
        logging.getLogger(name).setLevel(logging.ERROR if name == "kombu" else logging.WARNING)
    # DEBUG off as in production: in DEBUG, Django keeps the SQL of the last 9,000 queries.
    setup_test_environment(debug=False)
    own_test_database("checkout_drain")
    old_config = setup_databases(verbosity=0, interactive=False)
    scratch = Path(SCRATCH.name)
    sandbox = None
    try:
        vendor = connection.vendor
        version = database_version()
        print(f"{vendor} {version}: checkout drain of {args.requests} purchase requests ...")
        sandbox = start_sandbox(scratch / "sandbox", "--rate-limit", str(SETUP_RATE_LIMIT), "--log-requests")
        drain(args, sandbox, scratch)
    finally:
        if sandbox is not None:
            sandbox.stop()
        connection.close()
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
