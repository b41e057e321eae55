"""Pages the browser tests open the same way, and what the servers said when a test failed."""

import pytest
from playwright.sync_api import expect

LAPTOP = (1280, 800)


def open_panel(open_page, base: str, workshop, username: str, password: str):
    """The facilitator's control panel of `workshop`, signed in through the login form."""
    panel = open_page(f"{base}/admin/login/", *LAPTOP)
    panel.fill("#id_username", username)
    panel.fill("#id_password", password)
    panel.click("input[type=submit]")
    panel.goto(f"{base}/ateliers/{workshop.pk}/animation/")
    expect(panel.locator("[data-command=next_step]")).to_be_visible()
    return panel


def click_across_a_redraw(page, button, redrawn: str, redraw) -> None:
    """Press `button`, have `redraw()` send a new state, wait until the element `redrawn`
    (a selector) was replaced, release: a click held across a redraw of the screen."""
    expect(button).to_be_visible()
    box = button.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.locator(redrawn).evaluate("node => { node.dataset.before = 'yes'; }")
    redraw()
    expect(page.locator(f"{redrawn}[data-before]")).to_have_count(0)
    page.mouse.up()


# What a failed test's report adds, by test: (section name, function that reads it).
FAILURE_NOTES = pytest.StashKey[list]()


def on_failure(request, name: str, describe) -> None:
    """`describe()` is added to the test's report if the test fails (its section `name`):
    read while the servers and pages are still there."""
    request.node.stash.setdefault(FAILURE_NOTES, []).append((name, describe))


def note_server_logs(request, servers) -> None:
    """On a failure, the end of what each web process wrote."""
    for number, web in enumerate(servers, 1):
        on_failure(
            request,
            f"daphne {number} ({web.url}), end of its log",
            lambda web=web: web.log.read_text(errors="replace")[-6000:],
        )
