"""Script injections in every place where people's words are shown, in a real browser.

A model's answer, a prompt, a slide's title, body, notes and image description, a
participant's comment, proposed question and open answer, a poll's choices, a room's, a
workshop's, an organisation's and a model's names all carry a corpus of injections. Each
page that shows them is loaded in headless Chromium with the Content Security Policy
switched off (`bypass_csp`): what is tested is the escaping itself, not the policy that
backs it up (config/security.py). On every page nothing may have run (`window.__xss`,
dialogs), no payload may have become markup (event attributes, frames, inline scripts,
javascript: links), and the payloads must be there, shown as the text that was typed.
"""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from django.db import connections
from playwright.sync_api import expect

from duels.models import AIModel, Endpoint, Maker, Prompt
from tests.conftest import PASSWORD
from tests.live_fixtures import done
from workshop import live, participants, proposals, simulation
from workshop.models import Organisation, Room, Round, Script, Step, Workshop

PHONE = (390, 844)
PROJECTOR = (1600, 900)
LAPTOP = (1280, 900)

# Every payload, if it ever became markup or code, sets window.__xss or opens a dialog.
POLYGLOT = (
    "\"'></title></textarea></script><img src=x onerror=window.__xss=1><svg onload=alert(1)>{{7*7}}"
)
CORPUS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=window.__xss=1>",
    "[un lien](javascript:window.__xss=1)",  # a Markdown link
    "<javascript:alert(1)>",  # a Markdown autolink
    '"><script>window.__xss=1</script>',
    "</script><script>window.__xss=1</script>",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<div onmouseover="window.__xss=1" style="position:fixed;inset:0">survol</div>',  # HTML block
    '" autofocus onfocus="window.__xss=1" x="',  # breaks out of a double-quoted attribute
    "' autofocus onfocus='window.__xss=1' x='",  # and of a single-quoted one
    "<details open ontoggle=alert(1)>",
    "{{7*7}} {% now 'Y' %}",  # template text: shown as typed, never evaluated
    "${7*7}",
    POLYGLOT,
]
# Markdown fields and long texts: the whole corpus, one paragraph per payload.
CORPUS_TEXT = "\n\n".join(CORPUS)

# Short fields get the polyglot, prefixed so that each place can be told apart.
ORG_NAME = f"Org {POLYGLOT}"
WORKSHOP_TITLE = f"Atelier {POLYGLOT}"
ROOM_NAME = POLYGLOT  # 100 characters at most
SLIDE_TITLE = f"Diapo {POLYGLOT}"
IMAGE_ALT = f"Image {POLYGLOT} {CORPUS[9]} {CORPUS[10]}"
DUEL_TITLE = f"Duel {POLYGLOT}"
OPEN_TITLE = f"Question {POLYGLOT}"
POLL_TITLE = f"Sondage {POLYGLOT}"
POLL_CHOICES = [POLYGLOT, CORPUS[9], CORPUS[10], CORPUS[1]]
MODEL_NAMES = [POLYGLOT, CORPUS[1]]  # the catalogue's names, shown at the reveal
MAKER_NAME = CORPUS[9]
PROMPT_TITLE = f"Question {CORPUS[7]}"
# What people type on their phones.
COMMENT = "\n".join(CORPUS)  # 2,000 characters at most
PROPOSAL = " ".join([POLYGLOT, *CORPUS[:7]])  # 500 at most
OPEN_ANSWER = " ".join([POLYGLOT, CORPUS[7], CORPUS[9]])  # 280 at most

# Run in each page: did anything run, and did any payload become markup?
PROBE = """() => {
  const markup = [];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      if (attr.name.toLowerCase().startsWith("on")) markup.push(`${tag}[${attr.name}]`);
      if (/^\\s*javascript:/i.test(attr.value)) markup.push(`${tag}[${attr.name}=javascript:]`);
    }
    // The panel's own miniature of the projector is the one frame the platform draws.
    const miniature = tag === "iframe" && el.matches(".miniature iframe")
      && new URL(el.src).pathname.startsWith("/presentateur/");
    if (["iframe", "frame", "object", "embed"].includes(tag) && !miniature) markup.push(tag);
    if (tag === "script" && !el.getAttribute("src") && el.type !== "application/json") {
      markup.push("inline script");
    }
    if (tag === "img" && el.getAttribute("src") === "x") markup.push("img src=x");
  }
  return { ran: typeof window.__xss !== "undefined", markup };
}"""
# What a page shows a person: its title, its visible text, what its fields hold.
SHOWN = """(selector) => {
  for (const details of document.querySelectorAll("details")) details.open = true;
  const page = document.body || document.documentElement;  // an SVG document has no body
  const root = selector ? document.querySelector(selector) : page;
  if (!root) return "";
  const parts = [selector ? "" : document.title, root.innerText ?? root.textContent];
  for (const el of root.querySelectorAll("input, textarea")) parts.push(el.value);
  for (const el of root.querySelectorAll("option")) parts.push(el.textContent);
  for (const el of root.querySelectorAll("img[alt]")) parts.push(el.getAttribute("alt"));
  return parts.join("\\n");
}"""


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


@pytest.fixture
def people(browser):
    """Browser profiles (each its own cookies), CSP off; every dialog recorded and dismissed."""
    contexts, dialogs, pages = [], [], []

    def open_(url: str, size: tuple[int, int]):
        context = browser.new_context(
            viewport={"width": size[0], "height": size[1]}, bypass_csp=True
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        pages.append(page)
        page.goto(url)
        return page

    open_.dialogs, open_.pages = dialogs, pages
    yield open_
    for context in contexts:
        context.close()


def assert_safe(page, where: str, dialogs: list, shows: dict[str | None, list[str]]):
    """Nothing ran, nothing became markup, and each text is shown where expected
    (`shows` maps a CSS selector, or None for the whole page, to the texts it must hold)."""
    page.wait_for_timeout(150)  # time for an error handler or a frame to run
    found = page.evaluate(PROBE)
    assert not found["ran"], f"{where}: an injected script ran"
    assert not dialogs, f"{where}: a dialog opened: {dialogs}"
    assert not found["markup"], f"{where}: payloads became markup: {found['markup']}"
    for selector, texts in shows.items():
        shown = page.evaluate(SHOWN, selector)
        missing = [text for text in texts if text not in shown]
        assert not missing, f"{where} ({selector or 'page'}) does not show {missing}"


def sign_in(people, base: str, user):
    page = people(f"{base}/admin/login/", LAPTOP)
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    return page


@pytest.fixture
def hostile(transactional_db, superuser):
    """A workshop whose every shown field carries the corpus, ready to play in one room."""
    org = Organisation.objects.create(name=ORG_NAME, slug="org")
    maker = Maker.objects.create(slug="m", name=MAKER_NAME)
    endpoint = Endpoint.objects.create(
        slug="e", name="E", base_url="http://127.0.0.1:9/v1", is_local=True
    )
    models = [
        AIModel.objects.create(
            slug=slug,
            name=name,
            maker=maker,
            total_params_b=params,
            license=f"Licence {CORPUS[1]}",
            distribution="open-weights",
            endpoint=endpoint,
            endpoint_model_id=slug,
        )
        for slug, name, params in [("xss-a", MODEL_NAMES[0], 70), ("xss-b", MODEL_NAMES[1], 4)]
    ]
    prompt = Prompt.objects.create(slug="xss", title=PROMPT_TITLE, text=CORPUS_TEXT)
    script = Script.objects.create(organisation=org, slug="s", title=f"Déroulé {POLYGLOT}")
    Step.objects.create(
        script=script,
        order=1,
        kind=Step.Kind.SLIDE,
        title=SLIDE_TITLE,
        body=CORPUS_TEXT,
        speaker_notes=CORPUS_TEXT,
        image_url="/static/absente.png",
        image_alt=IMAGE_ALT,
    )
    duel = Step.objects.create(
        script=script,
        order=2,
        kind=Step.Kind.DUEL,
        title=DUEL_TITLE,
        prompt=prompt,
        model_a=models[0],
        model_b=models[1],
    )
    Step.objects.create(
        script=script,
        order=3,
        kind=Step.Kind.QUESTION,
        title=OPEN_TITLE,
        body=CORPUS_TEXT,
        question_kind=Step.QuestionKind.OPEN,
    )
    Step.objects.create(
        script=script,
        order=4,
        kind=Step.Kind.QUESTION,
        title=POLL_TITLE,
        question_kind=Step.QuestionKind.POLL,
        choices="\n".join(POLL_CHOICES),
    )
    Step.objects.create(script=script, order=5, kind=Step.Kind.FINALE, title="Finale")
    workshop = Workshop.objects.create(
        organisation=org,
        script=script,
        title=WORKSHOP_TITLE,
        status=Workshop.Status.SCHEDULED,
        vote_mode=Workshop.VoteMode.MIXED,  # the panel then shows each room's hands form
        accepts_proposals=True,
    )
    Round.objects.create(
        workshop=workshop,
        step=duel,
        generation_a=done(models[0], prompt, CORPUS_TEXT),
        generation_b=done(models[1], prompt, f"**Réponse B**\n\n{CORPUS_TEXT}"),
    )
    workshop.room = Room.objects.create_with_code(workshop=workshop, name=ROOM_NAME)
    workshop.superuser = superuser
    return workshop


def test_the_live_screens_show_every_payload_as_text(server, people, hostile):
    base, room = server.url, hostile.room
    dialogs = people.dialogs

    # The control: on this very site, with the policy bypassed, a payload that becomes
    # markup does run, and the probe sees it. Without it, the checks below could pass blind.
    control = people(f"{base}/", PHONE)
    control.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__xss=1\">')"
    )
    control.wait_for_function("window.__xss === 1")
    control.close()

    panel = sign_in(people, base, hostile.superuser)
    panel.goto(f"{base}/ateliers/{hostile.pk}/animation/")
    expect(panel.locator("[data-command=next_step]")).to_be_visible()
    presenter = people(f"{base}/presentateur/{room.presenter_secret}/", PROJECTOR)
    phone = people(f"{base}/j/{room.join_code}/", PHONE)

    def command(name: str):
        panel.click(f"[data-command={name}]")

    # The lobby: the workshop's and the room's names.
    expect(phone.locator("#screen h1")).to_have_text(WORKSHOP_TITLE)
    expect(presenter.locator("[data-participants]")).to_have_text("1")
    assert_safe(panel, "panel, lobby", dialogs, {"h1": [WORKSHOP_TITLE], ".rooms": [ROOM_NAME]})
    assert phone.title() == WORKSHOP_TITLE
    assert presenter.title() == f"{WORKSHOP_TITLE} · {ROOM_NAME}"
    assert_safe(presenter, "presenter, lobby", dialogs, {".lobby h1": [WORKSHOP_TITLE]})
    assert_safe(phone, "phone, lobby", dialogs, {"#screen": [WORKSHOP_TITLE]})

    # A slide: its title, its Markdown body, its image's description; the panel's notes.
    command("next_step")
    for screen in (presenter, phone):
        expect(screen.locator("#screen h1")).to_have_text(SLIDE_TITLE)
        expect(screen.locator("img.slide-image")).to_have_attribute("alt", IMAGE_ALT)
    expect(panel.locator(".notes")).to_be_visible()
    for name, screen in (("presenter", presenter), ("phone", phone)):
        assert_safe(
            screen,
            f"{name}, slide",
            dialogs,
            {"#screen h1": [SLIDE_TITLE], ".slide-body": CORPUS, ".slide": [IMAGE_ALT]},
        )
    assert_safe(panel, "panel, slide", dialogs, {".notes": CORPUS, ".phase": [SLIDE_TITLE]})

    # A duel: the prompt, then both answers rendered from Markdown.
    command("next_step")
    expect(presenter.locator(".versus")).to_be_visible()
    command("show_question")
    expect(presenter.locator(".prompt")).to_contain_text(CORPUS[0])
    command("show_answers")
    command("skip_replay")
    for screen in (presenter, phone, panel):
        expect(screen.locator("[data-answer=b] strong")).to_have_text("Réponse B")
    for name, screen in (("presenter", presenter), ("phone", phone), ("panel", panel)):
        assert_safe(
            screen,
            f"{name}, answers",
            dialogs,
            {
                ".duel h1": [DUEL_TITLE],
                ".prompt": CORPUS,
                "[data-answer=a]": CORPUS,
                "[data-answer=b]": CORPUS,
            },
        )

    # The vote: a comment on the phone, a proposed question; the panel's hands form.
    command("open_vote")
    phone.click(".why summary")
    phone.fill("[name=comment_a]", COMMENT)
    phone.click("[data-choice=a]")
    expect(phone.locator("#vote-status")).to_contain_text("Vote enregistré")
    # The probe opened every section at the answers; an opened section stays open.
    expect(phone.locator("details.proposal")).to_have_attribute("open", "")
    phone.fill("#proposal-text", PROPOSAL)
    phone.click(".proposal button")
    expect(phone.locator("#proposal-status")).not_to_be_empty()
    expect(panel.locator("[data-proposal] span")).to_have_text(PROPOSAL)
    assert_safe(
        panel,
        "panel, vote",
        dialogs,
        {"[data-proposal]": [PROPOSAL], ".hands legend": [ROOM_NAME]},
    )
    # The phone, reloaded, gets its vote back with the comment in its field.
    phone.reload()
    expect(phone.locator("[data-choice=a]")).to_have_attribute("aria-pressed", "true")
    assert phone.input_value("[name=comment_a]") == COMMENT
    assert_safe(phone, "phone, vote", dialogs, {"#vote-form": lines(COMMENT)})

    # The reveal: the models' and their maker's names.
    command("close_vote")
    command("reveal")
    for name, screen in (("presenter", presenter), ("phone", phone)):
        expect(screen.locator(".reveal-card")).to_have_count(2)
        assert_safe(screen, f"{name}, reveal", dialogs, {".reveal": [*MODEL_NAMES, MAKER_NAME]})

    # An open question: the phone's answer, listed on the panel, then on the screens.
    command("next_step")
    expect(phone.locator("#open-answer")).to_be_visible()
    phone.fill("#open-answer", OPEN_ANSWER)
    phone.click(".question .button")
    expect(phone.locator("#vote-status")).to_contain_text("Réponse enregistrée")
    expect(panel.locator(".open-answers li")).to_have_text(OPEN_ANSWER)
    command("show_results")
    for screen in (presenter, phone):
        expect(screen.locator(".open-answers li")).to_have_text(OPEN_ANSWER)
    for name, screen in (("presenter", presenter), ("phone", phone), ("panel", panel)):
        assert_safe(
            screen,
            f"{name}, open question",
            dialogs,
            {".question h1": [OPEN_TITLE], ".slide-body": CORPUS, ".open-answers": [OPEN_ANSWER]},
        )

    # A poll: its choices as the phone's buttons, then as the results' labels.
    command("next_step")
    expect(phone.locator("[data-option]")).to_have_count(len(POLL_CHOICES))
    assert_safe(phone, "phone, poll", dialogs, {".choices": POLL_CHOICES})
    phone.click("[data-option='0']")
    expect(phone.locator("#vote-status")).to_contain_text("Réponse enregistrée")
    command("show_results")
    expect(presenter.locator(".bars").first).to_be_visible()
    assert_safe(presenter, "presenter, poll results", dialogs, {".bars": POLL_CHOICES})

    # The finale and the recap: the duel's title and its models' names once more.
    command("next_step")
    expect(presenter.locator("[data-candidate]")).to_have_count(1)  # A won the only duel
    expect(presenter.locator("[data-candidate] .side")).to_contain_text(DUEL_TITLE)
    assert_safe(presenter, "presenter, finale", dialogs, {".finale": [MODEL_NAMES[0], MAKER_NAME]})
    command("next_step")
    for name, screen in (("presenter", presenter), ("phone", phone)):
        expect(screen.locator(".recap")).to_be_visible()
        assert_safe(screen, f"{name}, recap", dialogs, {".recap": [DUEL_TITLE, *MODEL_NAMES]})

    # Last, every page still open: nothing ran late (an image's error, a frame's load).
    for page in people.pages:
        if not page.is_closed():
            assert page.evaluate("typeof window.__xss") == "undefined", page.url
    assert not dialogs


def off_the_browser_s_loop(function):
    """Run `function` in a thread of its own: the live module broadcasts through
    async_to_sync, which refuses the thread where Playwright's event loop runs."""

    def run():
        try:
            return function()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def played(hostile):
    """The hostile workshop, played by three phones: votes with comments, an open answer,
    proposed questions (for the leaderboard, the analytics and the back office)."""
    return off_the_browser_s_loop(lambda: play(hostile))


def play(hostile):
    phones = [participants.join(hostile.room, None).participant for _ in range(3)]
    simulation.advance_to(hostile.pk, {live.VOTE_OPEN})
    round_ = Round.objects.get(workshop=hostile)
    for index, (phone, choice) in enumerate(zip(phones, "aab", strict=True)):
        ballot = live.Ballot(round_.pk, choice, {}, COMMENT, POLYGLOT, f"v{index}")
        live.cast_vote(phone.pk, ballot)
    simulation.advance_to(hostile.pk, {live.REVEAL})
    live.transition(hostile.pk, "next_step")
    open_question = Step.objects.get(script=hostile.script, order=3)
    live.answer(phones[0].pk, open_question.pk, None, OPEN_ANSWER)
    proposals.propose(phones[1].pk, PROPOSAL)
    hostile.round = round_
    return hostile


def test_the_back_office_and_the_analyst_s_pages_show_every_payload_as_text(server, people, played):
    base, dialogs = server.url, people.dialogs
    workshop, round_ = played, played.round
    script = workshop.script
    admin = sign_in(people, base, workshop.superuser)
    steps = [SLIDE_TITLE, DUEL_TITLE, OPEN_TITLE, POLL_TITLE]
    pages = {
        # The facilitator's preparation: step, prompt (its start), answers, models.
        f"/ateliers/{workshop.pk}/preparation/": {
            ".duel-prep h2": [DUEL_TITLE],
            ".prompt": [CORPUS[0]],
            ".answer-text": CORPUS,
            ".sides": MODEL_NAMES,
        },
        # The analyst's pages: organisations, workshops and models in the filters, the board.
        "/analyse/": {"[name=organisation]": [ORG_NAME], "[name=workshop]": [WORKSHOP_TITLE]},
        "/analyse/classement/": {"table": [*MODEL_NAMES, MAKER_NAME]},
        "/analyse/classement/graphique.svg": {None: MODEL_NAMES},
        "/impact-des-modeles/": {"table": [*MODEL_NAMES, MAKER_NAME]},
        # The back office: lists, forms, and the deletion page that names every related record.
        "/admin/workshop/organisation/": {"#result_list": [ORG_NAME]},
        f"/admin/workshop/organisation/{workshop.organisation_id}/change/": {None: [ORG_NAME]},
        f"/admin/workshop/organisation/{workshop.organisation_id}/delete/": {
            "#content": [ORG_NAME, WORKSHOP_TITLE]  # protected by its workshop
        },
        "/admin/workshop/workshop/": {"#result_list": [WORKSHOP_TITLE, ORG_NAME]},
        f"/admin/workshop/workshop/{workshop.pk}/delete/": {
            "#content": [WORKSHOP_TITLE, ROOM_NAME, DUEL_TITLE, OPEN_TITLE, PROPOSAL[:60]]
        },
        f"/admin/workshop/workshop/{workshop.pk}/change/": {
            None: [WORKSHOP_TITLE, ROOM_NAME, script.title]
        },
        f"/admin/workshop/script/{script.pk}/change/": {
            None: [*steps, CORPUS_TEXT, IMAGE_ALT, "\n".join(POLL_CHOICES)]
        },
        "/admin/workshop/room/": {"#result_list": [ROOM_NAME, WORKSHOP_TITLE]},
        "/admin/duels/prompt/": {"#result_list": [PROMPT_TITLE]},
        f"/admin/duels/prompt/{round_.generation_a.prompt_id}/change/": {
            None: [PROMPT_TITLE, CORPUS_TEXT]
        },
        "/admin/duels/generation/": {"#result_list": [*MODEL_NAMES, PROMPT_TITLE]},
        f"/admin/duels/generation/{round_.generation_a_id}/change/": {None: [CORPUS_TEXT]},
        "/admin/duels/aimodel/": {"#result_list": [*MODEL_NAMES, MAKER_NAME]},
        f"/admin/duels/aimodel/{round_.generation_a.model_id}/change/": {None: [MODEL_NAMES[0]]},
        "/admin/duels/maker/": {"#result_list": [MAKER_NAME]},
        # A typed code comes back in the join form, with the refusal.
        f"/?code={quote(POLYGLOT)}": {"form": [POLYGLOT]},
        f"/j/{quote(CORPUS[9])}/": {"form": [CORPUS[9]]},
    }
    for path, shows in pages.items():
        admin.goto(f"{base}{path}")
        assert_safe(admin, path, dialogs, shows)

    # Downloads carry the comments as data, never as a page a browser would render.
    Organisation.objects.filter(pk=workshop.organisation_id).update(export_free_text=True)
    for fmt, content_type in (("csv", "text/csv"), ("jsonl", "application/jsonl")):
        response = admin.request.get(f"{base}/analyse/telecharger/votes.{fmt}")
        assert response.headers["content-type"].startswith(content_type)
        assert response.headers["content-disposition"].startswith("attachment")
        assert CORPUS[0] in response.text()  # the comment, exported as the organisation chose
