"""A real browser for the console's end-to-end tests: Debian's Chromium driven by Playwright.

Without /usr/bin/chromium a local run skips the browser tests and says how to install it; in
CI (``CI`` set) a missing browser is a failure, so a broken install step cannot pass quietly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console"
INSTALL = (
    "the console's browser tests need Debian's Chromium at /usr/bin/chromium: "
    "`sudo apt-get install -y chromium` (and `pip install -e '.[test]'` for Playwright)"
)


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module: Playwright's sync API keeps an event loop running on this thread while it
    is open, which would break later tests that run their own loop (asyncio.run)."""
    if not CHROMIUM.exists():
        _missing(INSTALL)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing(INSTALL)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    """A fresh browser context (its own cookies) and page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Any:
    """Save a full-page screenshot as a test artifact: test-artifacts/console/NAME-DB.png."""
    database = "postgresql" if "postgresql" in request.node.name else "sqlite"

    def take(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}-{database}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
