"""Browser tests: headless Chromium driven by Playwright against a real daphne server.

The browser is Debian's Chromium where it is installed (`CHROMIUM` names another);
elsewhere Playwright's own download (`playwright install chromium`). With neither,
these tests fail and say so: they are never skipped.
"""

import os
import shutil

import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.pages import FAILURE_NOTES, note_server_logs, on_failure
from tests.servers import WebServer

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="module")
def browser():
    # Playwright keeps an event loop running in this thread while it is open: Django must
    # allow the fixtures' ORM calls meanwhile, and the loop must be gone before other tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        path = chromium_path()
        try:
            browser = playwright.chromium.launch(executable_path=path, args=FLAGS)
        except Exception as error:
            raise RuntimeError(
                "No browser for the end-to-end tests: install Debian's chromium "
                "(apt-get install chromium) or run `.venv/bin/playwright install chromium`."
            ) from error
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report says what the servers and pages showed (pages.on_failure)."""
    report = yield
    if report.when == "call" and report.failed:
        for name, describe in item.stash.get(FAILURE_NOTES, []):
            try:
                report.sections.append((name, describe()))
            except Exception as error:  # a note must not hide the failure itself
                report.sections.append((name, f"(not read: {error!r})"))
    return report


@pytest.fixture
def server(transactional_db, tmp_path, request):
    web = WebServer(tmp_path / "daphne.log").start()
    note_server_logs(request, [web])
    yield web
    web.stop()


@pytest.fixture
def open_page(browser, request):
    contexts = []

    def open_(url: str, width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        # What the page said to its console and what it shows: a failure's report has both.
        console = []
        page.on("console", lambda line: console.append(f"{line.type}: {line.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        on_failure(
            request,
            f"page {len(contexts)} ({width}x{height}): {url}",
            lambda: "\n".join(
                [*console[-30:], "--- its text ---", page.inner_text("body")[-2000:]]
            ),
        )
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def fast_password_hashing():
    """Passwords here are checked by the server process, which knows only the real hashers."""
