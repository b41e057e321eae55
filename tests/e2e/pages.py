"""Pages the browser tests open the same way."""

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
