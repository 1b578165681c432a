"""Catalog search benchmark: the server time of the browse page over one market's mirror of 200,000
availabilities.

It creates a scratch database (Django's test database: `test_<name>` on PostgreSQL, a file in a temporary
folder on SQLite), fills one mirror (US, Azure plan) from the sandbox's own catalog generator, turned into
rows by catalog.rows as a sync would (no Partner Center call; it reports how long that took), signs a Sales
user in, then times GETs of a customer's browse page through Django's test client with a fixed, realistic
mix of searches: no filter, a region, a family in a region, a range of cores, words ("d4s", "east us 3
years"), a series and a term, sorts, a deep page, a size, a miss. Each is timed as a full page and as the
htmx results fragment the filters ask for. The scratch database is dropped at the end, unless --keep: then
it stays, and the next run with --keep reuses its mirror when it holds the same number of availabilities (a
fill takes minutes; the rows and planner statistics are those the fill left). Another number of
availabilities, or a run without --keep, fills it anew. On SQLite the scratch file is PORTAL_DATA_DIR's
test.sqlite3, which the test suite also uses: give the benchmark a PORTAL_DATA_DIR of its own to keep it.

Run: .venv/bin/python benchmarks/catalog_search.py [--availabilities 200000] [--requests 320] [--per-query]
     [--keep]
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/catalog_search.py
It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Development settings need no production secrets; the scratch database lives apart from any real one.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
SCRATCH = tempfile.TemporaryDirectory(prefix="catalog-search-bench-")  # removed when the script ends
os.environ.setdefault("PORTAL_DATA_DIR", SCRATCH.name)

import django

django.setup()

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import setup_databases, setup_test_environment, teardown_databases
from django.urls import reverse
from django.utils import timezone

from benchmarks.scratch import database_version
from catalog import search
from catalog.models import AZURE_PLAN_SCOPE, Mirror, Product
from portal.models import Customer, CustomerSubscription
from portal.roles import Role
from tests.catalog_factory import fill_generation, publish

CUSTOMER_ID = "8c6d2d5e-1f0a-4c1e-9d53-0c6f2e9d1a11"
PLAN_ID = "3c2b1a09-8f7e-4d6c-b5a4-392817160504"
TABLES = ("catalog_product", "catalog_sku", "catalog_availability")


def filled(availabilities: int) -> Mirror | None:
    """The mirror a kept scratch database already holds, if it has that many availabilities; else None,
    with the scratch database emptied of any other."""
    mirror = Mirror.objects.filter(country="US", scope=AZURE_PLAN_SCOPE, generation=1).first()
    if mirror is not None and mirror.availabilities == availabilities:
        return mirror
    Mirror.objects.all().delete()
    return None


def fill(availabilities: int) -> tuple[Mirror, float]:
    """One published mirror of the US market; returns it and the seconds the rows took to write."""
    mirror = Mirror.objects.create(country="US", scope=AZURE_PLAN_SCOPE)
    started = time.perf_counter()
    fill_generation(mirror, 1, size=availabilities)
    elapsed = time.perf_counter() - started
    publish(mirror, 1)
    # A live table has planner statistics (autovacuum, which also sets PostgreSQL's visibility map for
    # index-only scans); a freshly filled one has neither yet.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")
    return mirror, elapsed


def searches(mirror: Mirror) -> list[tuple[str, dict[str, str]]]:
    dsv5 = Product.objects.get(mirror=mirror, generation=mirror.generation, title__contains="Dsv5").product_id
    return [
        ("no filter", {}),
        ("region", {"region": "westeurope"}),
        ("family + region", {"family": "SqlDatabases", "region": "eastus"}),
        ("cores 16-32", {"cores_min": "16", "cores_max": "32"}),
        ("text d4s", {"q": "d4s"}),
        ("text east us 3 years", {"q": "east us 3 years"}),
        ("series + term", {"product": dsv5, "term": "3"}),
        ("sort cores desc", {"sort": "-cores"}),
        ("page 200", {"page": "200"}),
        ("a miss", {"q": "no-such-size"}),
        ("memory >= 64, desc", {"ram_min": "64", "sort": "-memory"}),
        ("size", {"size": "Standard_E8s_v5"}),
        ("region+cores+text", {"region": "westus2", "cores_min": "16", "q": "esv5"}),
        ("sort region", {"sort": "region"}),
        ("text benchmark 0042", {"q": "benchmark series 0042"}),
        ("1 year, term desc", {"term": "1", "sort": "-term"}),
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(
    client: Client, url: str, params: list[tuple[str, dict[str, str]]], requests: int, headers: dict[str, Any]
) -> dict[str, list[float]]:
    for _label, query in params:  # warm caches (the facets) and connections
        client.get(url, query, headers=headers)
    times: dict[str, list[float]] = {label: [] for label, _query in params}
    for n in range(requests):
        label, query = params[n % len(params)]
        started = time.perf_counter()
        response = client.get(url, query, headers=headers)
        times[label].append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"the browse page answered {response.status_code} for {query}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--availabilities", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=320)
    parser.add_argument("--per-query", action="store_true", help="also print each search's figures")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the scratch database at the end, and reuse a kept one with as many availabilities",
    )
    args = parser.parse_args()

    setup_test_environment()
    # No test here rolls back to the database's first content: nothing to serialize (a kept one is large).
    old_config = setup_databases(verbosity=0, interactive=False, keepdb=args.keep, serialized_aliases=set())
    try:
        vendor = connection.vendor
        version = database_version()
        mirror = filled(args.availabilities) if args.keep else None
        if mirror is None:
            print(f"{vendor} {version}: filling one mirror with {args.availabilities:,} availabilities ...")
            mirror, seconds = fill(args.availabilities)
            print(
                f"  rows written: {seconds:.1f} s for {mirror.products:,} products, {mirror.skus:,} SKUs, "
                f"{mirror.availabilities:,} availabilities"
            )
        else:
            print(f"{vendor} {version}: the kept mirror of {mirror.availabilities:,} availabilities")
        if vendor == "sqlite":
            # Migration 0004 skips the trigram index where SQLite lacks it; say which path was measured.
            fts = "trigram index (FTS5)" if search.fts_available(connection.alias) else "LIKE scan, no FTS5"
            print(f"  free-text words: {fts}")
        now = timezone.now()
        customer, _created = Customer.objects.get_or_create(
            id=CUSTOMER_ID,
            defaults={
                "company_name": "Bench Customer",
                "country": "US",
                "listed_at": now,
                "details_read_at": now,
            },
        )
        CustomerSubscription.objects.get_or_create(
            id=PLAN_ID,
            defaults={
                "customer": customer,
                "kind": CustomerSubscription.Kind.AZURE_PLAN,
                "name": "Azure plan",
                "registration": CustomerSubscription.Registration.REGISTERED,
            },
        )
        users = get_user_model().objects
        user = users.filter(username="bench-sales").first() or users.create_user(
            "bench-sales", password=uuid.uuid4().hex
        )
        user.groups.add(Group.objects.get(name=Role.SALES.value))
        client = Client()
        client.force_login(user)
        url = reverse("catalog-browse", args=[CUSTOMER_ID, PLAN_ID])
        params = searches(mirror)
        print(f"browse page, {args.requests} requests over {len(params)} searches, server time:")
        htmx = {"HX-Request": "true", "HX-Target": "results"}
        for label, headers in (("full page", {}), ("htmx results", htmx)):
            times = timed(client, url, params, args.requests, headers)
            flat = [t for values in times.values() for t in values]
            median, p95 = statistics.median(flat), percentile(flat, 0.95)
            print(f"  {label:<13} median {median:6.2f} ms   p95 {p95:6.2f} ms   max {max(flat):6.2f} ms")
            if args.per_query:
                for query, values in times.items():
                    print(
                        f"    {query:<22} median {statistics.median(values):6.2f} ms   "
                        f"p95 {percentile(values, 0.95):6.2f} ms"
                    )
    finally:
        teardown_databases(old_config, verbosity=0, keepdb=args.keep)


if __name__ == "__main__":
    main()
