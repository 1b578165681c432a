"""Invoice export benchmark: the CSV export of a one-time invoice with 1,000,000 line items, streamed from the
sandbox through the portal's own view: lines per second, and the memory of the portal process as it goes.

What it measures: the wall time of the export (from the GET until the last byte; the view calls Partner
Center one page after the other, so the sandbox's time to answer is part of it), the time to the first byte
and to the first line, lines and megabytes per second, the Partner Center calls the export made (the
sandbox's stats, per route, and the answers it gave, from its access log) and the SQL queries it ran
(tracing one-time lines to the portal's orders). Memory is that of this process, which is the portal here
(the sandbox is another process, not counted): the current RSS (/proc/self/status VmRSS) after Django's
set-up, before the export, every --every lines (100,000 by default) and at the end, beside the Python
blocks allocated (sys.getallocatedblocks), so a figure that grows with the line count shows; and the peak
RSS of the whole run (getrusage ru_maxrss). The goal is a flat line, under 200 MB.

It checks the CSV as it streams by, keeping nothing: one row per line item (rows == --lines), each of
the invoice's number, and the sum of the subtotal column against the invoice's total charges. The time
spent in the view (the GET, then getting each chunk) is measured apart, and gives a second rate without the
check's own time.

How: it starts its own sandbox (a data dir in a temporary folder) with `--invoice-line-items` set to
--lines, which pads the designated one-time invoice (last month's, USD) with generated lines, and a scratch
database (Django's test database: `test_<name>_invoice_export` on PostgreSQL when DATABASE_URL is set, a
file in PORTAL_DATA_DIR on SQLite). It migrates it, creates a Support user, copies the invoices with
billing.sync.sync_invoices(), then GETs /billing/invoices/<id>/lines.csv?kind=onetime through Django's test
client (DEBUG off, as in production) and iterates the streamed body. `--output FILE` also writes the body
there (/dev/null costs the write only). `--profile` runs the export under cProfile and prints the top
functions by cumulative time (the figures are then slower). The sandbox and the scratch database are
removed at the end.

The sandbox throttles at 500 requests a minute per tenant (Partner Center's own figure) unless
--rate-limit says otherwise; an export of 1,000,000 lines makes 500 calls of 2,000 lines.

Run: PORTAL_DATA_DIR=/tmp/exportbench-data .venv/bin/python benchmarks/invoice_export.py [--lines 1000000]
         [--every 100000] [--output FILE] [--profile] [--rate-limit N] [--logs DIR]
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/invoice_export.py
Give it a PORTAL_DATA_DIR of its own: on SQLite the scratch file is that folder's test.sqlite3, which the
test suite also uses. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import codecs
import cProfile
import csv
import io
import logging
import os
import pstats
import re
import resource
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000, help="line items of the exported invoice")
    parser.add_argument("--every", type=int, default=100_000, help="lines between two memory samples")
    parser.add_argument("--output", type=Path, help="also write the CSV here (e.g. /dev/null)")
    parser.add_argument("--profile", action="store_true", help="profile the export (cProfile, top 15)")
    parser.add_argument(
        "--rate-limit", type=int, help="sandbox requests a minute per partner tenant (its default: 500)"
    )
    parser.add_argument("--logs", type=Path, help="copy the sandbox's log to this folder at the end")
    return parser.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
# Development settings need no production secrets; the scratch database lives apart from any real one.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
SCRATCH = tempfile.TemporaryDirectory(prefix="invoice-export-bench-")  # removed when the script ends
os.environ.setdefault("PORTAL_DATA_DIR", SCRATCH.name)

import django

django.setup()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import setup_databases, setup_test_environment, teardown_databases
from django.urls import reverse

from benchmarks.scratch import database_version, own_test_database
from billing.models import Invoice
from billing.sync import sync_invoices
from portal.roles import Role
from tests.sandbox_process import Sandbox, start_sandbox

PARTNER_CENTER_PREFIX = "/v1/"
ACCESS_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})')
MB = 1024 * 1024


# --- memory ---------------------------------------------------------------------------------------------


def proc_status_kb(name: str, pid: int | str = "self") -> int | None:
    """A figure of /proc/<pid>/status in kB (VmRSS: now; VmHWM: the peak), None where there is no /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float:
    kb = proc_status_kb("VmRSS")
    return kb / 1024 if kb is not None else float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def memory_line(label: str) -> str:
    return (
        f"  {label:<26} RSS {rss_mb():7.1f} MB   peak {peak_rss_mb():7.1f} MB   "
        f"{sys.getallocatedblocks():>10,} Python blocks"
    )


# --- the streamed CSV, checked as it goes ------------------------------------------------------------------


@dataclass
class Check:
    """Rows, bytes and the subtotal sum of the CSV; memory samples every `every` rows. Keeps no row."""

    invoice_id: str
    every: int
    started: float
    header: list[str] = field(default_factory=list)
    rows: int = 0
    bytes: int = 0
    chunks: int = 0
    subtotal: Decimal = Decimal(0)
    other_invoice: int = 0  # rows naming another invoice
    bad_subtotal: int = 0  # rows whose subtotal is not a number
    export_seconds: float = 0.0  # time spent in the view: the GET, then getting each chunk
    first_byte: float | None = None  # the byte order mark and the header, before any call
    first_line: float | None = None
    samples: list[tuple[int, float, float, float, int]] = field(default_factory=list)

    def lines_of(self, chunks: Iterator[bytes], sink: BinaryIO | None) -> Iterator[str]:
        """The body's text, a CSV record's line at a time, from the streamed chunks (a chunk may end
        anywhere: what follows its last line break waits for the next one). The time spent getting each
        chunk is the export's; the rest is this process reading it."""
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        rest = ""
        while True:
            began = time.perf_counter()
            chunk = next(chunks, None)
            self.export_seconds += time.perf_counter() - began
            if chunk is None:
                break
            if self.first_byte is None:
                self.first_byte = time.perf_counter() - self.started
            self.bytes += len(chunk)
            self.chunks += 1
            if sink is not None:
                sink.write(chunk)
            text = rest + decoder.decode(chunk)
            cut = text.rfind("\n") + 1
            rest = text[cut:]
            yield from text[:cut].splitlines(keepends=True)
        rest += decoder.decode(b"", final=True)
        if rest:
            yield rest

    def consume(self, chunks: Iterator[bytes], sink: BinaryIO | None) -> None:
        reader = csv.reader(self.lines_of(chunks, sink))
        self.header = next(reader, [])
        subtotal_at = self.header.index("subtotal")
        invoice_at = self.header.index("invoice_id")
        for row in reader:
            self.rows += 1
            if self.first_line is None:
                self.first_line = time.perf_counter() - self.started
            if row[invoice_at] != self.invoice_id:
                self.other_invoice += 1
            try:
                self.subtotal += Decimal(row[subtotal_at])
            except ArithmeticError:
                self.bad_subtotal += 1
            if self.rows % self.every == 0:
                self.sample()

    def sample(self) -> None:
        now = time.perf_counter() - self.started
        rows_before, at_before = (self.samples[-1][0], self.samples[-1][1]) if self.samples else (0, 0.0)
        rss, peak, blocks = rss_mb(), peak_rss_mb(), sys.getallocatedblocks()
        self.samples.append((self.rows, now, rss, peak, blocks))
        rate = (self.rows - rows_before) / max(now - at_before, 1e-9)
        print(
            f"  {self.rows:>10,} lines {now:8.1f} s   {rate:8,.0f} lines/s   RSS {rss:7.1f} MB   "
            f"peak {peak:7.1f} MB   {blocks:>10,} Python blocks",
            flush=True,
        )


# --- the sandbox's side -----------------------------------------------------------------------------------


def sandbox_calls(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {r: after[r] - before.get(r, 0) for r in sorted(after) if after[r] - before.get(r, 0)}


def access_log(sandbox: Sandbox, offset: int) -> Counter[str]:
    """The statuses the sandbox answered to Partner Center calls after `offset` of its access log."""
    with sandbox.log.open("rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    return Counter(
        status for _m, path, status in ACCESS_LINE.findall(text) if path.startswith(PARTNER_CENTER_PREFIX)
    )


# --- the run --------------------------------------------------------------------------------------------


def support_client() -> Client:
    user = get_user_model().objects.create_user("bench-support", password=secrets.token_urlsafe(16))
    user.groups.add(Group.objects.get(name=Role.SUPPORT.value))
    client = Client()
    client.force_login(user)
    return client


def padded_invoice(sandbox: Sandbox) -> Invoice:
    """The invoice the sandbox padded (its info names it), as the sync copied it."""
    big = sandbox.admin("GET", "info")["big_invoice"]
    invoice = Invoice.objects.get(pk__iexact=big["id"])
    biggest = Invoice.objects.filter(currency_code=invoice.currency_code).order_by("-total_charges").first()
    print(
        f"  padded invoice    {invoice.pk} ({invoice.type_label}, {invoice.currency_code}, "
        f"{invoice.period_start:%Y-%m}): {big['line_items']:,} line items, total charges "
        f"{invoice.total_charges:,} {invoice.currency_code}"
        + ("" if biggest is None or biggest.pk == invoice.pk else f"; NOT the biggest ({biggest.pk} is)")
    )
    return invoice


def export(args: argparse.Namespace, sandbox: Sandbox) -> None:
    settings.PARTNER_CENTER = sandbox.config  # the portal pointed at it, as the tests do
    started = time.perf_counter()
    client = support_client()
    run = sync_invoices()
    print(
        f"  set-up            {time.perf_counter() - started:9.1f} s   (user, invoice sync: "
        f"{run.invoices_seen} invoices)"
    )
    invoice = padded_invoice(sandbox)
    url = reverse("billing-lines-csv", args=[invoice.pk])
    print(memory_line("before the export"))

    before = sandbox.stats()
    log_offset = sandbox.log.stat().st_size
    queries = 0

    def count_queries(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    sink = args.output.open("wb") if args.output else None
    profiler = cProfile.Profile() if args.profile else None
    print(f"export: GET {url}?kind=onetime, memory every {args.every:,} lines", flush=True)
    check = Check(invoice.pk, args.every, time.perf_counter())
    try:
        with connection.execute_wrapper(count_queries):
            if profiler is not None:
                profiler.enable()
            response = client.get(url, {"kind": "onetime"})
            check.export_seconds += time.perf_counter() - check.started
            if response.status_code != 200 or not response.streaming:
                raise SystemExit(
                    f"the export answered {response.status_code} (streaming: {response.streaming}): "
                    f"{response.content[:500]!r}"
                )
            check.consume(iter(response.streaming_content), sink)
            response.close()
            if profiler is not None:
                profiler.disable()
        seconds = time.perf_counter() - check.started
    finally:
        if sink is not None:
            sink.close()
    if not check.samples or check.samples[-1][0] != check.rows:
        check.sample()
    after = sandbox.stats()
    statuses = access_log(sandbox, log_offset)

    calls = {
        r: n
        for r, n in sandbox_calls(before["requests"], after["requests"]).items()
        if r.split(" ", 1)[-1].startswith(PARTNER_CENTER_PREFIX)
    }
    pc_total = sum(calls.values())
    export_only = max(check.export_seconds, 1e-9)
    print("figures:")
    print(
        f"  wall time         {seconds:9.1f} s   ({export_only:.1f} s in the view, "
        f"{seconds - export_only:.1f} s reading and checking the CSV here)"
    )
    print(
        f"  first byte        {check.first_byte or 0:9.2f} s   (the header; the first line after "
        f"{check.first_line or 0:.2f} s)"
    )
    print(
        f"  lines per second  {check.rows / seconds:9,.0f}   ({check.rows / export_only:,.0f} in the view "
        "alone, without the check's time)"
    )
    print(
        f"  bytes             {check.bytes:13,}   ({check.bytes / MB:,.1f} MB in {check.chunks:,} chunks, "
        f"{check.bytes / MB / seconds:,.1f} MB/s)"
    )
    print(
        f"  PC calls          {pc_total:9,}   ({check.rows / max(pc_total, 1):,.0f} lines a call; answers: "
        + ", ".join(f"{s}: {n:,}" for s, n in sorted(statuses.items()))
        + ")"
    )
    for route, n in sorted(calls.items(), key=lambda kv: -kv[1]):
        print(f"    {n:7,}  {route}")
    print(f"  SQL queries       {queries:9,}   (session, user, audit and the order traces)")

    expected_total = invoice.total_charges or Decimal(0)
    print("check of the CSV:")
    print(
        f"  rows              {check.rows:9,}   expected {args.lines:,}: "
        + ("same" if check.rows == args.lines else f"DIFFERENT by {check.rows - args.lines:+,}")
    )
    print(
        f"  sum of subtotal   {check.subtotal:,}   invoice total charges {expected_total:,}: "
        + ("same" if check.subtotal == expected_total else f"DIFFERENT by {check.subtotal - expected_total}")
    )
    if check.other_invoice or check.bad_subtotal:
        print(
            f"  bad rows          {check.other_invoice:,} of another invoice, {check.bad_subtotal:,} "
            "without a numeric subtotal"
        )
    print(f"  columns           {len(check.header)}")

    print("memory of the portal process (this one):")
    print(memory_line("at the end"))
    if len(check.samples) >= 2:
        first, last = check.samples[0], check.samples[-1]
        print(
            f"  RSS from {first[0]:,} to {last[0]:,} lines: {first[2]:.1f} -> {last[2]:.1f} MB "
            f"({last[2] - first[2]:+.1f} MB); Python blocks {first[4]:,} -> {last[4]:,} "
            f"({last[4] - first[4]:+,})"
        )
    print(f"  peak RSS          {peak_rss_mb():9.1f} MB   (ru_maxrss, the whole run: goal under 200 MB)")
    sandbox_peak = proc_status_kb("VmHWM", sandbox.process.pid)
    if sandbox_peak is not None:
        print(f"  sandbox peak RSS  {sandbox_peak / 1024:9.1f} MB   (another process, not counted)")
    if profiler is not None:
        print("profile of the export, top 15 by cumulative time:")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(15)
        print(out.getvalue())


def main() -> None:
    args = ARGS or parse_args()
    # One log line per Partner Center call would be most of the output.
    for name in ("partnercenter", "billing", "portal"):
        logging.getLogger(name).setLevel(logging.WARNING)
    print(memory_line("after Django's set-up"))
    # DEBUG off as in production: in DEBUG, Django keeps the SQL of the last 9,000 queries.
    setup_test_environment(debug=False)
    own_test_database("invoice_export")
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    sandbox = None
    try:
        vendor = connection.vendor
        version = database_version()
        print(f"{vendor} {version}: export of an invoice of {args.lines:,} line items ...")
        print(memory_line("after the migrations"))
        options = ["--invoice-line-items", str(args.lines), "--log-requests"]
        if args.rate_limit:
            options += ["--rate-limit", str(args.rate_limit)]
        started = time.perf_counter()
        sandbox = start_sandbox(Path(SCRATCH.name) / "sandbox", *options, timeout=180)
        print(f"  sandbox started   {time.perf_counter() - started:9.1f} s   {sandbox.url}")
        export(args, sandbox)
    finally:
        if sandbox is not None:
            sandbox.stop()
            if args.logs:
                args.logs.mkdir(parents=True, exist_ok=True)
                shutil.copy(sandbox.log, args.logs / "sandbox.log")
        connection.close()
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
