"""Command line: `python -m sandbox [init|serve] [options]`; every option can also come from an
environment variable SANDBOX_<NAME> (e.g. SANDBOX_PORT=0, SANDBOX_LISTING_DELAY=60).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .options import SETTING_NAMES, Options, Settings
from .pki import SeedMismatch, ensure, write_portal_env

_DEFAULTS = Settings()


def _env(name: str) -> str | None:
    value = os.environ.get(f"SANDBOX_{name.upper().replace('-', '_')}")
    return value if value not in (None, "") else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="A simulated Partner Center API and Entra ID sign-in for demos and tests.",
    )
    parser.add_argument("command", nargs="?", choices=("init", "serve"), default="serve")

    def option(name: str, kind: Callable[[str], Any], help_text: str, default: Any = None) -> None:
        env = _env(name)
        parser.add_argument(
            f"--{name}",
            type=kind,
            default=kind(env) if env is not None else default,
            help=f"{help_text} (env SANDBOX_{name.upper().replace('-', '_')})",
        )

    option("data-dir", Path, "state, certificates and secrets", Path("var/sandbox"))
    option("host", str, "address to listen on", "127.0.0.1")
    option("port", int, "port to listen on; 0 picks a free one", 8443)
    option("public-host", str, "host name clients use, when listening on a wildcard address")
    option("seed", int, "seed of the generated world (default: the data dir's, 42 when new)")
    option("customers", int, "number of customers", 60)
    option("catalog-availabilities", int, "approximate availabilities per market and scope", 400)
    option("bench-market", str, "country code of one market made larger for benchmarks")
    option("bench-availabilities", int, "availabilities in the benchmark market", 0)
    option("invoice-line-items", int, "line items of the designated large one-time invoice", 5000)
    option("listing-delay", float, f"seconds new orders are missing from lists ({_DEFAULTS.listing_delay:g})")
    option(
        "registration-delay",
        float,
        f"seconds a registration stays Registering ({_DEFAULTS.registration_delay:g})",
    )
    option(
        "order-completion-delay", float, f"seconds orders stay pending ({_DEFAULTS.order_completion_delay:g})"
    )
    option("rate-limit", int, f"requests per minute per partner tenant ({_DEFAULTS.rate_limit})")
    option(
        "availability-rotation",
        float,
        f"seconds between availability id rotations ({_DEFAULTS.availability_rotation:g})",
    )
    option(
        "checkout-duration-ms", int, f"how long a checkout holds its cart ({_DEFAULTS.checkout_duration_ms})"
    )
    parser.add_argument(
        "--log-requests",
        action="store_true",
        default=(_env("log-requests") or "").lower() in ("1", "true", "yes", "on"),
        help="log every request to stderr (env SANDBOX_LOG_REQUESTS)",
    )
    return parser


def _options(args: argparse.Namespace) -> Options:
    explicit = tuple((name, getattr(args, name)) for name in SETTING_NAMES if getattr(args, name) is not None)
    return Options(
        data_dir=args.data_dir,
        host=args.host,
        port=args.port,
        public_host=args.public_host,
        seed=args.seed,
        customers=args.customers,
        catalog_availabilities=args.catalog_availabilities,
        bench_market=args.bench_market,
        bench_availabilities=args.bench_availabilities,
        invoice_line_items=args.invoice_line_items,
        log_requests=args.log_requests,
        explicit_settings=explicit,
    )


def serve(options: Options) -> int:
    from .app import App
    from .server import SandboxServer

    data = ensure(options)
    app = App(options, data)
    server = SandboxServer((options.host, options.port), app)
    port = server.server_address[1]
    app.base_url = options.base_url(port)
    write_portal_env(data, app.base_url)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    worker.start()
    print(f"sandbox ready on {app.base_url}", flush=True)
    while not stop.wait(0.2):
        pass
    server.shutdown()
    server.server_close()
    worker.join(timeout=5)
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s sandbox %(levelname)s %(message)s", stream=sys.stderr
    )
    args = _parser().parse_args(argv)
    options = _options(args)
    try:
        if args.command == "init":
            started = time.monotonic()
            data = ensure(options)
            env = write_portal_env(data, options.base_url(options.port))
            print(f"sandbox data directory ready: {data.path} ({time.monotonic() - started:.1f} s)")
            print(f"portal settings: {env}")
            return 0
        return serve(options)
    except SeedMismatch as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
