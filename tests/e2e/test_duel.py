"""A whole duel in real browsers: a facilitator, a presenter screen and three phones."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from playwright.sync_api import expect

from duels.models import Generation
from tests.e2e.pages import click_across_a_redraw, open_panel
from tests.live_fixtures import ANSWER_B
from workshop import live
from workshop.models import Round, Vote, Workshop

PHONE = (390, 844)
PROJECTOR = (1920, 1080)


def test_a_duel_from_join_to_reveal(server, open_page, live_workshop):
    room = live_workshop.room_a
    base = server.url

    facilitator = open_panel(open_page, base, live_workshop, "anim", "pw-anim-123456")

    presenter = open_page(f"{base}/presentateur/{room.presenter_secret}/", *PROJECTOR)
    expect(presenter.locator(".join-code")).to_have_text(room.join_code)

    phones = []
    for _ in range(3):
        phone = open_page(f"{base}/", *PHONE)
        phone.fill("#code", room.join_code.lower())
        phone.click("button[type=submit]")
        expect(phone.locator("#screen")).to_contain_text("Vous êtes dans la salle")
        phones.append(phone)
    expect(presenter.locator("[data-participants]")).to_have_text("3")

    def command(name):
        facilitator.click(f"[data-command={name}]")

    command("next_step")
    expect(presenter.locator("h1")).to_have_text("Bienvenue")
    command("next_step")
    expect(presenter.locator(".versus")).to_be_visible()
    command("show_question")
    expect(presenter.locator(".prompt")).to_contain_text("Pourquoi les data centers")
    command("show_answers")
    command("skip_replay")
    expect(presenter.locator("[data-answer=a]")).to_contain_text("calculent")
    expect(presenter.locator("[data-answer=b] script")).to_have_count(0)  # shown, never run
    for phone in phones:
        expect(phone.locator("[data-answer=b]")).to_contain_text("jour et nuit")
    command("open_vote")

    for phone, choice in zip(phones, ["a", "a", "b"], strict=True):
        phone.click(f"[data-choice={choice}]")
        expect(phone.locator("#vote-status")).to_contain_text("Vote enregistré")
    expect(presenter.locator(".vote-count")).to_contain_text("3")
    expect(presenter.locator(".bars")).to_have_count(0)  # the split waits for the close

    command("close_vote")
    expect(presenter.locator(".result h2").first).to_contain_text("3 votes")
    expect(presenter.locator(".bars").first).to_contain_text("67 % (2)")

    command("reveal")
    winner = presenter.locator(".reveal-card.winner")
    expect(winner).to_contain_text("Llama 3.3 70B")
    expect(winner).to_contain_text("préféré par la salle")
    expect(presenter.locator(".reveal")).to_contain_text("Gemma 3 4B")
    expect(presenter.locator(".reveal-card .impact-line").first).to_have_text(
        re.compile(r"milliards param\. × 60 jetons ≈ .+ Wh")
    )
    expect(presenter.locator(".reveal .impact-note").first).to_contain_text("EcoLogits")
    expect(phones[0].locator(".reveal")).to_contain_text("Llama 3.3 70B")

    assert sorted(Vote.objects.values_list("choice", flat=True)) == ["a", "a", "b"]
    assert Round.objects.get().winner == "a"


def test_what_a_phone_is_typing_survives_a_new_state(server, open_page, live_workshop):
    """Any change of the workshop redraws every screen; a half-typed comment, the reasons
    ticked, a question being proposed, the open sections and the caret stay as they were."""
    Workshop.objects.filter(pk=live_workshop.pk).update(accepts_proposals=True)
    base = server.url
    facilitator = open_panel(open_page, base, live_workshop, "anim", "pw-anim-123456")
    phone = open_page(f"{base}/j/{live_workshop.room_a.join_code}/", *PHONE)
    expect(phone.locator("#screen")).to_contain_text("Vous êtes dans la salle")
    for name in ("next_step", "next_step", "show_question", "show_answers", "skip_replay"):
        facilitator.click(f"[data-command={name}]")
    facilitator.click("[data-command=open_vote]")
    expect(phone.locator("#vote-form")).to_be_visible()

    phone.click(".why summary")
    phone.check("[name=reason_a][value=useful]")
    phone.fill("[name=comment_a]", "Plus clair")
    phone.click(".proposal summary")
    phone.fill("#proposal-text", "Combien consomme une vidéo")
    phone.press("#proposal-text", "ArrowLeft")  # the caret, one letter before the end
    phone.evaluate("document.querySelector('.prompt').dataset.old = '1'")
    phone.evaluate("document.querySelector('.proposal').dataset.old = '1'")

    # As any change of the workshop does (from a thread: Playwright holds this one's loop).
    with ThreadPoolExecutor(1) as thread:
        thread.submit(live.broadcast, live_workshop.pk).result()
    # The screen is redrawn around the vote form, which stays (see the next test).
    expect(phone.locator(".prompt[data-old]")).to_have_count(0)
    expect(phone.locator(".proposal[data-old]")).to_have_count(0)
    expect(phone.locator("#vote-form")).to_be_visible()
    assert phone.is_checked("[name=reason_a][value=useful]")
    assert phone.input_value("[name=comment_a]") == "Plus clair"
    assert phone.input_value("#proposal-text") == "Combien consomme une vidéo"
    assert phone.evaluate("document.querySelector('details.why').open")
    assert phone.evaluate("document.activeElement.id") == "proposal-text"
    caret = phone.evaluate("document.activeElement.selectionStart")
    assert caret == len("Combien consomme une vidéo") - 1
    assert not Vote.objects.exists()  # typed, never sent


def test_a_vote_pressed_while_a_new_state_arrives_is_sent(server, open_page, live_workshop):
    """A state reaching a phone between the press and the release of its choice (hands
    saved by the facilitator in a mixed workshop, a reconnection) redraws the screen. The
    button pressed must still be in the page when it is released, or the browser counts
    no click and the vote is never sent (as happened to the panel's commands)."""
    with ThreadPoolExecutor(1) as aside:  # the ORM and the layer, off Playwright's loop
        phone = open_page(f"{server.url}/j/{live_workshop.room_a.join_code}/", *PHONE)
        expect(phone.locator("#screen")).to_contain_text("Vous êtes dans la salle")
        for name in ("next_step", "next_step", "show_question", "show_answers", "open_vote"):
            aside.submit(live.transition, live_workshop.pk, name).result()
        click_across_a_redraw(
            phone,
            phone.locator("[data-choice=b]"),
            ".prompt",
            lambda: aside.submit(live.broadcast, live_workshop.pk).result(),
        )
        expect(phone.locator("#vote-status")).to_contain_text("Vote enregistré")
        expect(phone.locator("[data-choice=b]")).to_have_attribute("aria-pressed", "true")
        assert list(Vote.objects.values_list("choice", flat=True)) == ["b"]


def test_the_vote_buttons_stay_put_while_the_answers_are_replayed(server, open_page, live_workshop):
    """The answers are replayed at their models' speed as the vote opens; each keeps the
    height of its whole text meanwhile. Before, the buttons below moved down line by line
    under a finger, and a press whose release landed beside its button sent no vote. An
    answer not replayed (no tokens counted) keeps no height fixed: a phone turned later
    would cut it."""
    Generation.objects.update(duration_ms=5400)  # five seconds of replay to watch
    Generation.objects.filter(text=ANSWER_B).update(output_tokens=0)  # shown whole at once
    with ThreadPoolExecutor(1) as aside:  # the ORM and the layer, off Playwright's loop
        phone = open_page(f"{server.url}/j/{live_workshop.room_a.join_code}/", *PHONE)
        expect(phone.locator("#screen")).to_contain_text("Vous êtes dans la salle")
        for name in ("next_step", "next_step", "show_question", "show_answers", "open_vote"):
            aside.submit(live.transition, live_workshop.pk, name).result()
        button, answer = phone.locator("[data-choice=b]"), phone.locator("[data-answer=a]")
        expect(button).to_be_visible()
        seen = []  # (the answer's text shown, the button's top)
        while len(seen) < 100 and answer.get_attribute("data-done") is None:
            seen.append((answer.inner_text(), button.bounding_box()["y"]))
            time.sleep(0.1)
        expect(answer).to_have_attribute("data-done", "1")
        seen.append((answer.inner_text(), button.bounding_box()["y"]))
        heights = phone.locator("[data-answer]").evaluate_all("ns => ns.map(n => n.style.height)")
    assert heights == ["", ""]  # each its own height again, or still
    assert any(len(text) < len(seen[-1][0]) for text, _ in seen)  # it was being replayed
    assert {top for _, top in seen} == {seen[-1][1]}, seen


def test_a_projector_keeps_the_newest_count_when_news_arrive_out_of_order(
    server, open_page, live_workshop
):
    """Each web process sends its own news of the count; one read earlier may arrive
    later. The projector shows the count read last, not the one that arrived last."""
    room = live_workshop.room_a
    with ThreadPoolExecutor(1) as thread:  # the ORM and the layer, off Playwright's loop
        for name in ("next_step", "next_step", "show_question", "show_answers", "open_vote"):
            thread.submit(live.transition, live_workshop.pk, name).result()
        round_id = Round.objects.get().pk
        presenter = open_page(f"{server.url}/presentateur/{room.presenter_secret}/", *PROJECTOR)
        expect(presenter.locator(".vote-count strong")).to_have_text("0")

        def news(total: int, as_of: int):
            counts = {"a": total, "b": 0, "both_equal": 0, "total": total, "hands": 0}
            event = {
                "type": "tally.update",
                "round": round_id,
                "rooms": {str(room.pk): counts},
                "total": counts,
                "as_of": as_of,
            }
            group = live.audience_group(live_workshop.pk, live.SCREENS)
            thread.submit(async_to_sync(get_channel_layer().group_send), group, event).result()

        later = int(time.time() * 1000) + 60_000
        news(7, later)
        expect(presenter.locator(".vote-count strong")).to_have_text("7")
        news(5, later - 500)  # read before the 7, arrived after it
        news(8, later + 500)
        expect(presenter.locator(".vote-count strong")).to_have_text("8")
        news(6, later + 100)
        presenter.wait_for_timeout(500)
        expect(presenter.locator(".vote-count strong")).to_have_text("8")


def test_a_change_for_another_round_is_not_applied_but_the_state_read_again(
    server, open_page, live_workshop
):
    """A close or a reveal carries only what it changes, to be applied to the round shown.
    A screen shown another round (a message crossing a step change) must not apply it to
    the round it shows: it reconnects, and shows its whole state, read again."""
    room = live_workshop.room_a
    with ThreadPoolExecutor(1) as aside:  # the ORM and the layer, off Playwright's loop
        for name in ("next_step", "next_step", "show_question", "show_answers", "open_vote"):
            aside.submit(live.transition, live_workshop.pk, name).result()
        phone = open_page(f"{server.url}/j/{room.join_code}/", *PHONE)
        presenter = open_page(f"{server.url}/presentateur/{room.presenter_secret}/", *PROJECTOR)
        expect(phone.locator("[data-choice=a]")).to_be_visible()
        expect(presenter.locator(".vote-count")).to_be_visible()
        workshop = Workshop.objects.get(pk=live_workshop.pk)
        workshop.phase = "vote_closed"
        stray = Round(pk=Round.objects.get().pk + 1000, workshop=workshop)
        with phone.expect_websocket() as phone_again, presenter.expect_websocket() as again:
            aside.submit(live.broadcast, live_workshop.pk, closed=stray).result()
        assert phone_again.value.url.endswith(f"/ws/salle/{room.join_code}/")
        assert again.value.url.endswith(f"/ws/presentateur/{room.presenter_secret}/")
        # Read again: still the open vote of the round shown, with no split.
        expect(phone.locator("[data-choice=a]")).to_be_visible()
        expect(presenter.locator(".vote-count")).to_be_visible()
        expect(presenter.locator(".bars")).to_have_count(0)
        assert Workshop.objects.get(pk=live_workshop.pk).phase == "vote_open"
