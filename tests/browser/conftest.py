"""Playwright against the real ASGI app, with Debian's Chromium.

The console is served by Daphne in a thread of the test process, so it shares the test
database (pytest-django's in-memory SQLite included) and the in-memory channel layer:
tests set data up with the ORM and watch it in the browser. Daphne's asyncio loop lives
in its own thread.

Playwright's sync API drives the browser from the main thread, and while it is started
asyncio believes a loop runs in that thread. So Playwright is started for each test and
stopped after it (otherwise every later test in the session would inherit that loop),
and ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set meanwhile so the test can still use the ORM.
``async_to_sync`` refuses to run there: call such code from a ``threading.Thread``.
"""

import os
import re
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


class DaphneThread(threading.Thread):
    """Daphne serving ``console.asgi`` on a free port of 127.0.0.1.

    Twisted's reactor runs once per process, so there is one server per test session.
    """

    def __init__(self):
        super().__init__(name="daphne", daemon=True)
        self.ready = threading.Event()
        self.error = None

    def run(self):
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        # console.asgi sets the web process's database defaults in os.environ; settings
        # are loaded already, so they would only leak into the workers later tests spawn.
        unset = [n for n in ("DATABASE_CONN_MAX_AGE", "DATABASE_POOL") if n not in os.environ]
        from console.asgi import application

        for name in unset:
            os.environ.pop(name, None)

        try:
            self.server = Server(
                application,
                endpoints=build_endpoint_description_strings(host="127.0.0.1", port=0),
                signal_handlers=False,
                ready_callable=self.ready.set,
            )
            self.server.run()
        except BaseException as error:
            self.error = error
            self.ready.set()

    @property
    def url(self):
        host, port = self.server.listening_addresses[0]
        return f"http://{host}:{port}"

    def stop(self):
        from twisted.internet import reactor

        reactor.callFromThread(reactor.stop)
        self.join(timeout=10)


@pytest.fixture(scope="session")
def _daphne(django_db_setup):
    server = DaphneThread()
    server.start()
    if not server.ready.wait(timeout=10) or server.error or not server.server.listening_addresses:
        raise RuntimeError(f"Daphne did not start: {server.error!r}")
    yield server
    server.stop()


@pytest.fixture
def server_url(_daphne, transactional_db, patient_sqlite):
    """The live console's base URL. Data must be committed for the server to see it,
    hence ``transactional_db``. The server's threads use the database beside the test's
    own (every page's socket keeps the live relay polling the change feed), and on
    in-memory SQLite a write that meets a read of the same table fails at once ("database
    table is locked") instead of waiting: hence ``patient_sqlite``, as for the worker."""
    return _daphne.url


@pytest.fixture
def browser(monkeypatch):
    """Headless Chromium, started for each test: see the module docstring for why."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright marks its event loop as running in this thread for as long as it
    # lives, so Django would take the test's own ORM calls for calls from async code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


# What the top of a page shows: text left straight in <body> (template source a
# template printed, as a two-line {# #} comment once did above the top bar), the text
# outside code, and where the top bar starts.
TOP_OF_PAGE = """() => {
  const stray = [...document.body.childNodes]
    .filter((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim())
    .map((node) => node.textContent.trim());
  const shown = document.body.cloneNode(true);
  shown.querySelectorAll("code, pre, textarea, script, style, template")
    .forEach((element) => element.remove());
  const bar = document.querySelector("header.topbar");
  return {stray, text: shown.textContent, barTop: bar ? bar.getBoundingClientRect().top : 0};
}"""
TEMPLATE_SOURCE = ("{#", "#}", "{%", "{{")


def assert_top_of_page_is_clean(page):
    top = page.evaluate(TOP_OF_PAGE)
    assert top["stray"] == [], f"text above the page: {top['stray']}"
    assert [m for m in TEMPLATE_SOURCE if m in top["text"]] == [], "template source shown"
    assert top["barTop"] <= 0, "something is shown above the top bar"


@pytest.fixture
def screenshot():
    """``screenshot(page, "name")`` saves artifacts/screenshots/name.png, after checking
    that the top of the page shows the page (no stray text, the top bar first)."""

    def save(page, name, check=True):
        if check:
            assert_top_of_page_is_clean(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return save


@pytest.fixture
def page(request, browser, server_url, screenshot):
    """A page in a fresh browser context (no cookies), with relative URLs on the live
    server; saved to artifacts/screenshots/ if the test fails."""
    context = browser.new_context(base_url=server_url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)  # actions (click, fill, goto)
    expect.set_options(timeout=10_000)  # and assertions, which default to 5 s
    page = context.new_page()
    yield page
    if getattr(request.node, "call_failed", False):
        screenshot(page, "failed-" + re.sub(r"\W+", "-", request.node.name), check=False)
    context.close()
    _wait_for_sockets_to_close()


def _wait_for_sockets_to_close(timeout=5.0):
    """The server learns of the closed pages' sockets a moment later; until then its
    change-feed relay reads on, and would read in the next test's set-up, where the
    database is closed to it."""
    from jobs.live import relay

    deadline = time.monotonic() + timeout
    while relay.listeners and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture
def login(page):
    """``login(username, password)`` signs in through the real login form."""

    def sign_in(username, password=PASSWORD):
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return sign_in
