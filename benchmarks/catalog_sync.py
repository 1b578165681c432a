"""Catalog sync benchmark: a full copy of one market of 200,000 availabilities, from the sandbox over HTTPS.

It starts its own sandbox (`python -m sandbox serve` with `--bench-market US --bench-availabilities N` and a
rate limit high enough never to throttle), creates a scratch database (Django's test database: `test_<name>`
on PostgreSQL, a file in a temporary folder on SQLite), runs catalog.sync.full_sync of the US Azure plan
mirror, and prints the wall time, the Partner Center calls (as the sandbox counted them and as the sync
did), this process's peak memory, the rows written, and the concurrency and pacing used. The scratch
database and the sandbox are removed at the end.

Pacing is off by default (`--calls-per-minute 0`) to measure the portal itself; at the portal's default of
400 calls a minute the same copy takes N / 400 minutes whatever else happens.

Run: .venv/bin/python benchmarks/catalog_sync.py [--availabilities 200000] [--concurrency 4]
                                                 [--calls-per-minute 0]
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/catalog_sync.py
It prints figures; it asserts nothing. Other scripts can fill a mirror the same way with `populate()`.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Development settings need no production secrets; the scratch database lives apart from any real one.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
SCRATCH = tempfile.TemporaryDirectory(prefix="catalog-sync-bench-")  # removed when the script ends
os.environ.setdefault("PORTAL_DATA_DIR", SCRATCH.name)

import django

django.setup()

from django.conf import settings
from django.db import connection
from django.test.utils import setup_databases, setup_test_environment, teardown_databases

from benchmarks.scratch import database_version
from catalog import mirrors, sync
from catalog.models import AZURE_PLAN_SCOPE, Mirror
from partnercenter.transport import Transport
from tests.sandbox_process import start_sandbox

PARTNER_CENTER_PREFIX = "GET /v1/"  # the sandbox's route names; its sign-in and admin routes are not calls


@dataclass
class Populated:
    mirror: Mirror
    outcome: sync.SyncOutcome
    seconds: float  # wall time of the sync alone (the sandbox's start is not in it)
    sandbox_calls: dict[str, int]  # Partner Center requests the sandbox answered, per route


def populate(
    *,
    availabilities: int = 200_000,
    country: str = "US",
    scope: str = AZURE_PLAN_SCOPE,
    concurrency: int | None = None,
    calls_per_minute: int = 0,
    rate_limit: int = 10_000_000,
    sandbox_dir: Path | None = None,
) -> Populated:
    """Fill the mirror of (country, scope) with a full sync from a sandbox started for it, whose market
    `country` has `availabilities` availabilities; the sandbox is stopped before returning.

    Needs Django set up and a database to write to (main() makes a scratch one). `concurrency` None: the
    CATALOG_SYNC_CONCURRENCY setting. `calls_per_minute` 0: unpaced.
    """
    with tempfile.TemporaryDirectory(prefix="catalog-sync-sandbox-") as scratch:
        sandbox = start_sandbox(
            sandbox_dir or Path(scratch),
            "--bench-market",
            country,
            "--bench-availabilities",
            str(availabilities),
            "--rate-limit",
            str(rate_limit),
        )
        try:
            settings.PARTNER_CENTER = sandbox.config  # the portal pointed at it, as the tests do
            mirror = mirrors.mirror_for(country, scope)
            with Transport.from_config(sandbox.config) as transport:
                started = time.perf_counter()
                outcome = sync.full_sync(
                    transport, mirror, concurrency=concurrency, calls_per_minute=calls_per_minute
                )
                seconds = time.perf_counter() - started
            requests = sandbox.stats()["requests"]
        finally:
            sandbox.stop()
    calls = {route: n for route, n in requests.items() if route.startswith(PARTNER_CENTER_PREFIX)}
    mirror.refresh_from_db()
    return Populated(mirror=mirror, outcome=outcome, seconds=seconds, sandbox_calls=calls)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--availabilities", type=int, default=200_000)
    parser.add_argument("--concurrency", type=int, default=settings.CATALOG_SYNC_CONCURRENCY)
    parser.add_argument("--calls-per-minute", type=int, default=0, help="0: unpaced (the default here)")
    args = parser.parse_args()
    # One log line per Partner Center call would be most of the work measured (and of the output).
    logging.getLogger("partnercenter").setLevel(logging.WARNING)
    logging.getLogger("catalog").setLevel(logging.WARNING)

    # DEBUG off as in a production worker: in DEBUG, Django keeps the SQL of the last 9,000 queries, and a
    # sync's bulk inserts would make that most of the memory measured.
    setup_test_environment(debug=False)
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        vendor = connection.vendor
        version = database_version()
        pacing = f"{args.calls_per_minute} calls a minute" if args.calls_per_minute else "unpaced"
        print(
            f"{vendor} {version}: full sync of US (Azure plan), {args.availabilities:,} availabilities, "
            f"concurrency {args.concurrency}, {pacing} ..."
        )
        rss_before = peak_rss_mb()
        cpu_before = cpu_seconds()
        done = populate(
            availabilities=args.availabilities,
            concurrency=args.concurrency,
            calls_per_minute=args.calls_per_minute,
        )
        outcome, mirror = done.outcome, done.mirror
        sandbox_total = sum(done.sandbox_calls.values())
        print(f"  wall time         {done.seconds:9.1f} s   ({outcome.calls / done.seconds:,.0f} calls/s)")
        print(f"  portal CPU        {cpu_seconds() - cpu_before:9.1f} s   (this process: threads and writes)")
        print(f"  calls (sync)      {outcome.calls:9,}")
        print(
            f"  calls (sandbox)   {sandbox_total:9,}   "
            + ", ".join(
                f"{route.removeprefix('GET /v1')}: {n:,}" for route, n in sorted(done.sandbox_calls.items())
            )
        )
        print(
            f"  rows written      {outcome.products_written:9,} products, {outcome.skus_written:,} SKUs, "
            f"{outcome.availabilities_written:,} availabilities"
        )
        print(
            f"  mirror            generation {mirror.generation}, {mirror.products:,} products, "
            f"{mirror.skus:,} SKUs, {mirror.availabilities:,} availabilities, state {mirror.sync_state}"
        )
        print(f"  peak RSS          {peak_rss_mb():9.0f} MB   (after Django set-up: {rss_before:.0f} MB)")
        print(f"  concurrency       {args.concurrency:9}   pacing: {pacing}")
        if not outcome.complete:
            print(f"  NOT COMPLETE: {outcome.error or mirror.last_error}")
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
