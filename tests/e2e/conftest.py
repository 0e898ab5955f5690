"""A real Chromium (Debian's, never a downloaded one) against ``live_server``, with demo-like data.

Without /usr/bin/chromium the browser tests skip on a developer's machine and fail under CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require_service

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct-horse-battery"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}


@dataclass
class BrowserErrors:
    """Every console error and uncaught page error, with the page it came from."""

    messages: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on(
            "console",
            lambda msg: msg.type == "error" and self.messages.append(f"{page.url}: {msg.text}"),
        )
        page.on("pageerror", lambda exc: self.messages.append(f"{page.url}: {exc}"))


@pytest.fixture
def browser(monkeypatch) -> Iterator:
    require_service(CHROMIUM.exists(), "Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between page visits are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()
