"""Playwright for Python driving Debian's Chromium (Playwright's own browser download is not used)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from portal.env import env_bool, env_str

pytestmark = pytest.mark.browser

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a
# running loop unless told that this is deliberate. The ORM calls here are the test's own set-up.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = env_str("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRE_BROWSER = env_bool("TEST_REQUIRE_BROWSER", default=False)

CHROMIUM_ARGS = [
    "--no-sandbox",  # root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine has no internet: without these Chromium keeps trying to reach Google's services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        if REQUIRE_BROWSER:
            pytest.fail(f"Chromium is required (TEST_REQUIRE_BROWSER=true) but not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    # The sandbox's certificate comes from its own CA, which this throwaway browser profile does not know;
    # the portal's side of the TLS (its client trusting that CA) is what the integration tests prove.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}, ignore_https_errors=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
