"""The server's side of what the room sees: the answers' paging, slides' text, long slides."""

import pytest

from workshop import slide_length
from workshop.live import MAX_ANSWERS_PAGE, Refused, transition
from workshop.markup import render_slide
from workshop.models import Round
from workshop.snapshots import PRESENTER, snapshot

TO_ANSWERS = ["next_step", "next_step", "show_question", "show_answers"]


def walk(workshop, commands):
    for name in commands:
        workshop = transition(workshop.pk, name)
    return workshop


def presenter_state(workshop):
    workshop.refresh_from_db()
    return snapshot(workshop, PRESENTER, room=workshop.room_a)


def test_the_facilitator_pages_the_answers_and_every_projector_is_told(live_workshop):
    walk(live_workshop, TO_ANSWERS)
    assert presenter_state(live_workshop)["round"]["page"] == 0
    workshop = walk(live_workshop, ["page_down", "page_down"])
    assert workshop.phase == "duel_answers"  # paging changes no phase
    assert presenter_state(live_workshop)["round"]["page"] == 2
    walk(live_workshop, ["open_vote", "page_up"])
    assert presenter_state(live_workshop)["round"]["page"] == 1


def test_paging_stops_at_the_first_page_and_at_a_bound(live_workshop):
    walk(live_workshop, [*TO_ANSWERS, "page_up"])
    assert Round.objects.get().answers_page == 0
    Round.objects.update(answers_page=MAX_ANSWERS_PAGE)
    walk(live_workshop, ["page_down"])
    assert Round.objects.get().answers_page == MAX_ANSWERS_PAGE


@pytest.mark.parametrize(
    "before", [["next_step"], TO_ANSWERS[:3], [*TO_ANSWERS, "open_vote", "close_vote"]]
)
def test_paging_without_answers_on_the_screens_is_refused(live_workshop, before):
    walk(live_workshop, before)
    with pytest.raises(Refused):
        transition(live_workshop.pk, "page_down")
    assert Round.objects.get().answers_page == 0


def test_a_slide_shows_its_title_once_and_its_lines_flow():
    html = render_slide("# Règles du jeu\n\nDeux IA répondent\nà la même question.\n\n# Encore")
    assert "Règles du jeu" not in html  # the step's title is drawn above it
    assert "<br" not in html and "Deux IA répondent\nà la même question." in html
    assert "<h1>Encore</h1>" in html  # only the opening heading is the title
    assert render_slide("Sans titre") == "<p>Sans titre</p>\n"


def test_a_slide_keeps_markup_safe():
    assert "<script" not in render_slide("# T\n\n<script>alert(1)</script> **gras**")


def test_the_default_script_s_slides_fit_and_a_long_one_does_not():
    from workshop.defaults import STEPS

    for step in STEPS:
        assert not slide_length.estimate(step.get("body", "")).too_long, step["title"]
    long = "\n\n".join(["Un paragraphe de deux lignes sur l'écran, " * 4] * 12)
    assert slide_length.estimate(long).too_long
    assert slide_length.estimate(long).scale < slide_length.SMALLEST_COMFORTABLE
    short = "Court."
    assert slide_length.estimate(short).scale == 1
    assert slide_length.estimate(short, has_image=True).lines > slide_length.estimate(short).lines


def test_the_back_office_warns_of_a_slide_too_long_for_the_projector(admin_client, live_workshop):
    script = live_workshop.script
    step = script.steps.get(order=1)
    step.body = "\n\n".join(["Un paragraphe de deux lignes sur l'écran, " * 4] * 12)
    step.save()
    steps = list(script.steps.order_by("order"))
    data = {
        "organisation": script.organisation_id,
        "slug": script.slug,
        "title": script.title,
        "language": script.language,
        "description": script.description,
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(len(steps)),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for n, s in enumerate(steps):
        for field in (
            "id",
            "order",
            "kind",
            "title",
            "body",
            "image_url",
            "image_alt",
            "speaker_notes",
            "pair_mode",
            "question_kind",
            "choices",
        ):
            value = getattr(s, field if field != "id" else "pk")
            data[f"steps-{n}-{field}"] = "" if value is None else value
        data[f"steps-{n}-script"] = script.pk
        for fk in ("prompt", "model_a", "model_b"):
            data[f"steps-{n}-{fk}"] = getattr(s, f"{fk}_id") or ""
    response = admin_client.post(f"/admin/workshop/script/{script.pk}/change/", data, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("trop long pour l'écran de projection" in m and "Étape 1" in m for m in shown), shown
    assert not any("Étape 3" in m for m in shown)
