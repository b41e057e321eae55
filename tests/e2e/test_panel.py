"""The facilitator's control panel in a real browser: a command clicked is a command sent."""

from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import expect

from tests.e2e.pages import click_across_a_redraw, open_panel
from workshop import live
from workshop.models import Workshop


def test_a_command_clicked_while_a_new_state_arrives_is_sent(server, open_page, live_workshop):
    """A state arriving between the press and the release of a button redraws the panel.
    The button pressed must be the one released, or the browser sends no click, and the
    facilitator's command is lost without a word (it happened in CI: "ouvrir le vote"
    clicked as the state after "passer la relecture" arrived)."""
    # Playwright keeps an event loop in this thread: what sends to the channel layer runs
    # in another one.
    with ThreadPoolExecutor(1) as aside:
        for command in ("next_step", "next_step", "show_question", "show_answers"):
            aside.submit(live.transition, live_workshop.pk, command).result()
        panel = open_panel(open_page, server.url, live_workshop, "anim", "pw-anim-123456")
        # A new state (the same phase: the same buttons) redraws the panel mid-click.
        click_across_a_redraw(
            panel,
            panel.locator("[data-command=open_vote]"),
            ".controls .phase",
            lambda: aside.submit(live.broadcast, live_workshop.pk).result(),
        )
        expect(panel.locator(".phase strong")).to_have_text("vote ouvert")
        assert Workshop.objects.get(pk=live_workshop.pk).phase == live.VOTE_OPEN
