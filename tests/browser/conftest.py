"""A real headless Chromium (Debian's package) driven by Playwright, against pytest-django's live server."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# The editors' laptops: every admin page must read well at this size.
VIEWPORT = {"width": 1366, "height": 768}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser_context(live_server, monkeypatch):
    """A factory of browser tabs on the live server, each its own session (like two editors on two machines);
    each tab collects its problems (``watched``).

    Playwright starts here, after the database fixtures: its sync API runs the test inside another context, where
    Django's connection handler hands out fresh connections (closed again below).
    """
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests."
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do: the suite's parallel workers share two cores with the live server.
    expect.set_options(timeout=15_000)
    # Playwright's sync API keeps an event loop running in this thread; the test's own ORM calls are still plain
    # synchronous code, so Django's guard against ORM calls from async code must stand aside.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        contexts = []

        def new_tab():
            context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
            context.set_default_timeout(15_000)
            contexts.append(context)
            return watched(context.new_page())

        try:
            yield new_tab
        finally:
            for context in contexts:
                context.close()
            browser.close()
            connections.close_all()


def watched(tab):
    """The tab with ``tab.problems`` (script errors, CSP refusals, 4xx/5xx) and ``tab.external_requests``."""
    tab.problems = []
    tab.external_requests = []  # nothing may load from outside the registry (no CDN, no web fonts)

    def on_request(request):
        host = urlsplit(request.url).hostname
        if request.url.startswith(("http:", "https:")) and host not in LOCAL_HOSTS:
            tab.external_requests.append(request.url)

    def on_console(message):
        # A failed load is reported with its address by on_response; CSP refusals and script errors land here.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            tab.problems.append(f"console error: {message.text}")

    def on_response(response):
        if response.status >= 400:
            tab.problems.append(f"{response.status} for {response.url}")

    tab.on("request", on_request)
    tab.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
    tab.on("console", on_console)
    tab.on("response", on_response)
    return tab


@pytest.fixture
def page(browser_context):
    """A browser tab on the live server; ``page.problems`` collects script errors, CSP refusals and 4xx/5xx."""
    return browser_context()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where screenshots go: $SCREENSHOT_DIR when set (to look at them), else the test's tmp_path."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(screenshots):
    """Save a screenshot named ``name`` into ``screenshots``: the full page, or what the viewport shows."""

    def take(tab, name: str, *, full_page: bool = True) -> Path:
        path = screenshots / f"{name}.png"
        tab.screenshot(path=str(path), full_page=full_page)
        return path

    return take
