"""Partner Center client benchmarks, against the sandbox over HTTPS on this machine.

1. Overhead per call: the client's get_customer (retry loop, headers, logging, JSON into typed models)
   against a bare `requests` GET of the same URL with the same token, interleaved, on one keep-alive
   connection each.
2. Paging throughput: every line item of the sandbox's large one-time invoice through
   iter_invoice_line_item_pages (seek paging, 2,000 a page), in items per second, with this process's
   peak memory at 10 %, 50 % and 100 % of the lines, to show that it does not grow with their number.

Run: .venv/bin/python benchmarks/partnercenter_client.py [--calls 500] [--line-items 1000000]
It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from partnercenter import auth, customers, invoices
from partnercenter.config import PartnerCenterConfig
from partnercenter.tls import verify_for
from partnercenter.transport import Transport
from tests.sandbox_process import start_sandbox


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def overhead(transport: Transport, config: PartnerCenterConfig, customer_id: str, calls: int) -> None:
    token = auth.acquire_app_token(config)
    bare = requests.Session()
    url = transport.url_for(f"/customers/{customer_id}")
    verify = verify_for(config.ca_bundle)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    client_ms: list[float] = []
    bare_ms: list[float] = []
    for _ in range(20):  # warm both connections and the token cache
        customers.get_customer(transport, customer_id)
        bare.get(url, headers=headers, verify=verify, timeout=30).json()
    for _ in range(calls):
        started = time.perf_counter()
        customers.get_customer(transport, customer_id)
        client_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        bare.get(url, headers=headers, verify=verify, timeout=30).json()
        bare_ms.append((time.perf_counter() - started) * 1000)
    print(f"overhead per call, GET /v1/customers/{{id}}, {calls} calls each, interleaved:")
    for name, values in (("client", client_ms), ("bare requests", bare_ms)):
        median, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"  {name:<14} median {median:6.2f} ms   p95 {p95:6.2f} ms")
    diff = statistics.median(client_ms) - statistics.median(bare_ms)
    print(f"  client overhead: {diff:+.2f} ms per call at the median")


def paging(transport: Transport, invoice_id: str, expected: int) -> None:
    rss_before = peak_rss_mb()
    checkpoints = {expected // 10, expected // 2}
    started = time.perf_counter()
    count = pages = 0
    for page in invoices.iter_invoice_line_item_pages(transport, invoice_id, provider="onetime"):
        before, count, pages = count, count + len(page.items), pages + 1
        for mark in sorted(checkpoints):
            if before < mark <= count:
                print(f"  after {count:>9,} lines: peak RSS {peak_rss_mb():6.0f} MB")
    elapsed = time.perf_counter() - started
    print(f"  after {count:>9,} lines: peak RSS {peak_rss_mb():6.0f} MB")
    print(f"paging invoice {invoice_id}: {count:,} line items in {pages} pages ({expected:,} expected)")
    print(f"  {elapsed:.1f} s, {count / elapsed:,.0f} items/s (typed models, sandbox on the same 2 cores)")
    print(f"  process peak RSS: {rss_before:.0f} MB before paging, {peak_rss_mb():.0f} MB after")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--line-items", type=int, default=1_000_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pc-bench-") as data_dir:
        print(f"starting the sandbox with a {args.line_items:,}-line invoice ...")
        # The benchmark measures the client, not the sandbox's throttling.
        sandbox = start_sandbox(
            Path(data_dir), "--invoice-line-items", str(args.line_items), "--rate-limit", "100000000"
        )
        try:
            config = sandbox.config
            transport = Transport.from_config(config)
            first = next(customers.list_customers(transport, size=1))
            overhead(transport, config, first.id, args.calls)
            big = sandbox.admin("GET", "info")["big_invoice"]
            paging(transport, big["id"], big["line_items"])
        finally:
            sandbox.stop()


if __name__ == "__main__":
    main()
