"""Customer search benchmark: the server time of the customer list page over 20,000 customers.

It creates a scratch database (Django's test database: `test_<name>` on PostgreSQL, a file in a temporary
folder on SQLite), copies in 20,000 made-up customers through the sync's own upsert (and reports how long
that took), signs a Sales user in, then times GETs of the customer list through Django's test client with a
fixed, realistic mix of searches: name prefixes, domain fragments, a whole tenant id and its first block,
a miss, an empty search and a second page. Each search is timed as a full page and as the htmx fragment the
search box asks for while typing. The scratch database is dropped at the end.

Run: .venv/bin/python benchmarks/customer_search.py [--customers 20000] [--requests 300]
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/customer_search.py
It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
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
SCRATCH = tempfile.TemporaryDirectory(prefix="customer-search-bench-")  # removed when the script ends
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

import partnercenter
from benchmarks.scratch import database_version
from portal import customers
from portal.models import Customer
from portal.roles import Role

PREFIXES = (
    "Contoso", "Fabrikam", "Northwind", "Adventure Works", "Tailspin", "Wide World", "Litware", "Woodgrove",
    "Alpine", "Coho", "Fourth Coffee", "Lucerne", "Relecloud", "Trey", "Margie's", "Proseware",
    "Blue Yonder", "Humongous", "Wingtip", "Southridge", "Graphic Design", "City Power", "Consolidated",
    "A. Datum", "First Up", "Munson's", "Nod", "VanArsdel", "Bellows", "Best For You", "Olympia", "Boxwood",
    "Lamna", "Tasmanian",
)  # fmt: skip
TRADES = (
    "Traders", "Cycles", "Toys", "Importers", "Bank", "Ski House", "Winery", "Publishing", "Research",
    "Travel", "Airlines", "Insurance", "Video", "Institute", "Light", "Messenger", "Corporation",
    "Consultants", "Pickles", "Publishers", "College", "Organics", "Éditions", "Dental", "Healthcare",
    "Pharmaceuticals", "Fiber", "Health", "Logistics", "Energy", "Foods",
)  # fmt: skip
PLACES = (
    "Seattle", "London", "Paris", "München", "Toronto", "Sydney", "Tokyo", "Amsterdam", "Mumbai", "Madrid",
    "Milano", "Stockholm", "Zürich", "Dublin", "Oslo", "Warszawa", "Auckland", "Singapore", "Seoul",
    "Ciudad de México", "Johannesburg", "Dubai", "São Paulo",
)  # fmt: skip
COUNTRIES = ("US", "GB", "FR", "DE", "CA", "AU", "JP", "NL", "IN", "ES", "IT", "SE", "CH", "IE", "BR", "CN")


def slug(text: str) -> str:
    return "".join(ch for ch in text.lower().encode("ascii", "ignore").decode() if ch.isalnum())


def made_up_customers(count: int) -> list[partnercenter.Customer]:
    """Deterministic customers as Partner Center's list would give them (seed 42)."""
    rng = random.Random(42)
    listed = []
    for n in range(count):
        name = f"{rng.choice(PREFIXES)} {rng.choice(TRADES)} {rng.choice(PLACES)}"
        if rng.random() < 0.3:
            name += f" {rng.randint(2, 99)}"
        tenant = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        domain = f"{slug(name)[:24]}{n}.onmicrosoft.com"
        listed.append(
            partnercenter.Customer.from_json(
                {
                    "id": tenant,
                    "companyProfile": {"tenantId": tenant, "domain": domain, "companyName": name},
                    "relationshipToPartner": "reseller",
                }
            )
        )
    return listed


def fill(count: int) -> float:
    """Copy the customers in as the sync does, a page of 500 at a time; returns the seconds it took."""
    listed = made_up_customers(count)
    started = time.perf_counter()
    now = timezone.now()
    for first in range(0, count, customers.LIST_PAGE_SIZE):
        customers._upsert_listed(listed[first : first + customers.LIST_PAGE_SIZE], listed_at=now)
    elapsed = time.perf_counter() - started
    # Most customers have had their details read by the background job: give them a country.
    rng = random.Random(7)
    rows = list(Customer.objects.only("id", "country"))
    for row in rows:
        row.country = rng.choice(COUNTRIES) if rng.random() < 0.8 else ""
    Customer.objects.bulk_update(rows, ["country"], batch_size=2000)
    # A live table has planner statistics (autovacuum on PostgreSQL); a freshly filled one has none yet.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return elapsed


def searches() -> list[dict[str, str]]:
    some = Customer.objects.order_by("id")[1234]
    return [
        {"q": "fab"},
        {"q": "contoso"},
        {"q": "north"},
        {"q": "wingtip toys"},
        {"q": "pharma"},
        {"q": "zürich"},
        {"q": "winery1"},  # a domain fragment
        {"q": "onmicrosoft.com"},  # matches every customer
        {"q": some.pk},
        {"q": some.pk[:8].upper()},
        {"q": "no-such-customer-anywhere"},
        {},
        {"q": "contoso", "page": "2"},
        {"page": "2"},
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(
    client: Client, params: list[dict[str, str]], requests: int, headers: dict[str, Any]
) -> list[float]:
    url = reverse("customers")
    for query in params:  # warm caches and connections
        client.get(url, query, headers=headers)
    times = []
    for n in range(requests):
        started = time.perf_counter()
        response = client.get(url, params[n % len(params)], headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"the list answered {response.status_code} for {params[n % len(params)]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        vendor = connection.vendor
        version = database_version()
        print(f"{vendor} {version}: copying in {args.customers:,} customers ...")
        seconds = fill(args.customers)
        print(f"  sync upsert: {seconds:.2f} s for {args.customers:,} customers in pages of 500")
        user = get_user_model().objects.create_user("bench-sales", password=uuid.uuid4().hex)
        user.groups.add(Group.objects.get(name=Role.SALES.value))
        client = Client()
        client.force_login(user)
        params = searches()
        print(f"customer list, {args.requests} requests over {len(params)} searches, server time:")
        for label, headers in (("full page", {}), ("htmx results", {"HX-Request": "true"})):
            times = timed(client, params, args.requests, headers)
            median, p95 = statistics.median(times), percentile(times, 0.95)
            print(f"  {label:<13} median {median:6.2f} ms   p95 {p95:6.2f} ms   max {max(times):6.2f} ms")
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
