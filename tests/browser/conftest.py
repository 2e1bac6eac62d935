"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

Skipped where /usr/bin/chromium is absent (the README test command installs it; CI always has it).
"""

import os
import shutil
import threading

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

CHROMIUM = os.environ.get("FUPIN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop in the test thread


class _OneRequestAtATime:
    """The live server's application, run one request at a time, body included.

    On SQLite the test database lives in memory, and Django hands the live server's request threads the
    test's one connection. A page that loads two htmx fragments at once then had two threads in that
    connection together, which SQLite answers with "bad parameter or other API misuse" (a household page lost
    its loans that way in CI). Requests still arrive on their own threads (a browser's idle keep-alive
    connection blocks nobody); only the application and the reading of its body are taken in turn.
    """

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()


class _LiveServer(ThreadedWSGIServer):
    def set_app(self, application):
        super().set_app(_OneRequestAtATime(application) if self.connections_override else application)


LiveServerThread.server_class = _LiveServer


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}; .ci/run must install it")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.base_url = live_server.url
    yield pg
    context.close()


def phone_page(browser, live_server):
    """A new context and page as a 390×844 phone (zh-CN, touch) on the live server; the caller closes the
    context."""
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    phone = context.new_page()
    phone.set_default_timeout(15000)
    phone.base_url = live_server.url
    return context, phone


def sign_in(page, username: str, password: str = "pw-secret-123"):
    """Sign in on `page` (its base_url) through the login form."""
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.fixture
def login(page):
    def do(username: str, password: str = "pw-secret-123"):
        return sign_in(page, username, password)

    return do
