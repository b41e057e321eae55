"""What the room sees, moment by moment: the whole default script on two projectors (1920x1080
and 1280x720) and a phone (390x844), driven from the real control panel.

At every moment: no projector scrolls, nothing on it is cut off, and the moment's key
element (the vote's call, the split, the reveal's cards, the finale's winners) is inside the
viewport; after the lobby, the join code stays in a corner. On the phone, the vote's buttons
are on screen as soon as the vote opens, and still after a reload; a new moment starts at the
top. With SCREENSHOTS_DIR set, every moment is also saved as a PNG, to be looked at.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import open_panel
from tests.live_fixtures import default_workshop_with_answers
from workshop.models import Step, Workshop

PROJECTORS = {"1920": (1920, 1080), "1280": (1280, 720)}
PHONE = (390, 844)

# A long answer, as real models write them: the projector pages it, it never scrolls.
LONG_ANSWER = "\n\n".join(
    f"**Point {n}.** Les centres de données font tourner des milliers de serveurs jour et nuit ; "
    "ils consomment de l'électricité pour calculer, puis encore pour être refroidis, et leur "
    "fabrication demande des métaux rares extraits loin d'ici."
    for n in range(1, 9)
)


@pytest.fixture
def workshop(transactional_db, settings, tmp_path, task_queue, django_user_model):
    workshop = default_workshop_with_answers(
        settings,
        tmp_path,
        "Salle sans téléphones",
        text=LONG_ANSWER,
        output_tokens=300,
        duration_ms=4000,
        energy_wh_min=0.2,
        energy_wh_max=0.3,
    )
    Workshop.objects.filter(pk=workshop.pk).update(vote_mode=Workshop.VoteMode.MIXED)
    user = django_user_model.objects.get(username="animateur")
    user.set_password("pw-animateur-e2e")
    user.save()
    return workshop


def fits(page) -> dict:
    return page.evaluate(
        """() => {
            const screen = document.getElementById("screen");
            return {
                page: document.documentElement.scrollHeight,
                viewport: window.innerHeight,
                width: document.documentElement.scrollWidth,
                viewport_width: window.innerWidth,
                cut: screen.scrollHeight - screen.clientHeight,
            };
        }"""
    )


def assert_no_scroll(page, moment: str) -> None:
    seen = fits(page)
    assert seen["page"] <= seen["viewport"], f"{moment}: the projector scrolls ({seen})"
    assert seen["width"] <= seen["viewport_width"], f"{moment}: it scrolls sideways ({seen})"
    assert seen["cut"] <= 1, f"{moment}: something is cut off at the foot ({seen})"


def assert_in_viewport(page, selector: str, moment: str) -> None:
    locator = page.locator(selector).first
    expect(locator).to_be_visible()
    # A screen drawn anew (a count, the replay's end) may replace the element between
    # two looks: look again for a moment before saying it is not drawn.
    box = None
    for _ in range(20):
        box = locator.bounding_box()
        if box is not None:
            break
        page.wait_for_timeout(100)
    size = page.viewport_size
    assert box is not None, f"{moment}: {selector} is not drawn"
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 1, (
        f"{moment}: {selector} is outside the viewport vertically ({box}, {size})"
    )
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 1, (
        f"{moment}: {selector} is outside the viewport horizontally ({box}, {size})"
    )


def shoot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


# The element that carries each moment on the projector.
KEY = {
    "slide": "#screen h1",
    "duel_intro": ".versus",
    "duel_question": ".prompt",
    "duel_answers": ".answers",
    "vote_open": ".vote-call",
    "vote_closed": ".stage-tally .bars",
    "reveal": ".reveal-card[data-side=b]",
    "question": "#screen h1",
    "question_results": ".result .bars",
    "finale": "[data-candidate]",
    "finale_vote": "[data-candidate]",
    "finale_result": ".reveal-card.winner",
    "ended": ".recap .lead",
}


def test_every_moment_fits_the_projectors_and_the_phone_shows_what_to_do(
    server, open_page, workshop
):
    room = workshop.rooms.order_by("pk").first()
    panel = open_panel(open_page, server.url, workshop, "animateur", "pw-animateur-e2e")
    projectors = {
        name: open_page(f"{server.url}/presentateur/{room.presenter_secret}/", *size)
        for name, size in PROJECTORS.items()
    }
    phone = open_page(f"{server.url}/j/{room.join_code}/", *PHONE)
    for screen in projectors.values():
        expect(screen.locator("[data-participants]")).to_have_text("1")

    def moment(phase: str, label: str) -> None:
        for name, screen in projectors.items():
            expect(screen.locator("body")).to_have_attribute("data-phase", phase)
            assert_no_scroll(screen, f"{label} at {name}")
            if phase in KEY:
                assert_in_viewport(screen, KEY[phase], f"{label} at {name}")
            # Latecomers can still join: the code is in a corner.
            assert_in_viewport(screen, "[data-join-corner]", f"{label} at {name}")
            expect(screen.locator("[data-join-corner]")).to_contain_text(room.join_code)
            shoot(screen, f"{label}-projector-{name}")
        expect(phone.locator("body")).to_have_attribute("data-phase", phase)
        assert phone.evaluate("window.scrollY") == 0, f"{label}: the phone did not start at the top"
        shoot(phone, f"{label}-phone")
        shoot(panel, f"{label}-panel")

    def command(name: str) -> None:
        panel.click(f"[data-command={name}]")

    # The lobby: the way in is the largest thing on the projector.
    for name, screen in projectors.items():
        assert_no_scroll(screen, f"lobby at {name}")
        assert_in_viewport(screen, ".lobby .join-code", f"lobby at {name}")
        expect(screen.locator("[data-join-corner]")).to_be_hidden()
        shoot(screen, f"00-lobby-projector-{name}")

    steps = list(workshop.script.steps.order_by("order"))
    for step in steps:
        label = f"{step.order:02d}-{step.kind}"
        command("next_step")
        for screen in projectors.values():
            expect(screen.locator("#screen h1").first).to_have_text(step.title)
            # The title once: a slide's body does not say it again.
            expect(screen.locator("#screen h1")).to_have_count(1)
        if step.kind == Step.Kind.SLIDE:
            moment("slide", label)
        elif step.kind == Step.Kind.DUEL:
            moment("duel_intro", f"{label}-a-intro")
            command("show_question")
            moment("duel_question", f"{label}-b-question")
            command("show_answers")
            command("skip_replay")
            # The replay over, the answers are paged (the default script's answers are long).
            for screen in projectors.values():
                expect(screen.locator("[data-page-of=a]")).to_contain_text("1/")
            moment("duel_answers", f"{label}-c-answers")
            # The facilitator pages the long answers; the projectors follow, nobody scrolls.
            command("page_down")
            for screen in projectors.values():
                expect(screen.locator("[data-page-of=a]")).to_contain_text("2/")
                assert screen.locator("[data-answer=a]").evaluate("n => n.scrollTop") > 0
            command("page_up")
            for screen in projectors.values():
                expect(screen.locator("[data-page-of=a]")).to_contain_text("1/")
            command("open_vote")
            moment("vote_open", f"{label}-d-vote")
            assert_in_viewport(phone, "[data-choice=a]", f"{label} vote on the phone")
            assert_in_viewport(phone, "[data-choice=both_equal]", f"{label} vote on the phone")
            # Reading answer B, then reloading: the buttons are still under the thumb.
            phone.click("#tab-b")
            expect(phone.locator("#answer-b")).to_be_visible()
            expect(phone.locator("#answer-a")).to_be_hidden()
            phone.reload()
            assert_in_viewport(phone, "[data-choice=b]", f"{label} vote after a reload")
            phone.click("[data-choice=b]")
            expect(phone.locator("#vote-status")).to_contain_text("Vote enregistré")
            for screen in projectors.values():
                expect(screen.locator(".vote-call strong")).to_have_text("1")
            shoot(phone, f"{label}-d-vote-phone-voted")
            command("close_vote")
            moment("vote_closed", f"{label}-e-split")
            for screen in projectors.values():
                expect(screen.locator(".answers")).to_have_count(0)  # the split alone
            command("reveal")
            moment("reveal", f"{label}-f-reveal")
            assert_in_viewport(phone, ".reveal-card", f"{label} reveal on the phone")
            for screen in projectors.values():
                expect(screen.locator(".reveal-card.winner")).to_contain_text("100 %")
        elif step.kind == Step.Kind.QUESTION:
            moment("question", f"{label}-a")
            phone.click("[data-option='0']")
            expect(phone.locator("#vote-status")).to_contain_text("Réponse enregistrée")
            command("show_results")
            moment("question_results", f"{label}-b-results")
        elif step.kind == Step.Kind.FINALE:
            moment("finale", f"{label}-a")
            command("open_finale_vote")
            moment("finale_vote", f"{label}-b-vote")
            phone.click("[data-candidate='1'] [data-option='1']")
            command("close_finale_vote")
            moment("finale_result", f"{label}-c-result")
    command("next_step")
    moment("ended", "99-recap")
