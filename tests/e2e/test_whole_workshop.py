"""The whole default script in real browsers, two rooms served by two daphne processes:
room A votes on phones, room B (no phones) by raised hands typed in the control panel."""

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import note_server_logs, open_panel
from tests.live_fixtures import default_workshop_with_answers
from tests.servers import WebServer
from workshop.models import Round, Step, Workshop

PHONE = (390, 844)
PROJECTOR = (1920, 1080)


@pytest.fixture
def two_servers(transactional_db, tmp_path, request):
    servers = [WebServer(tmp_path / f"daphne-{n}.log").start() for n in (1, 2)]
    note_server_logs(request, servers)
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def default_workshop(transactional_db, settings, tmp_path, task_queue, django_user_model):
    workshop = default_workshop_with_answers(
        settings,
        tmp_path,
        "Salle sans téléphones",
        text="Une **réponse** préparée.",
        output_tokens=80,
        duration_ms=3000,
        energy_wh_min=0.1,
        energy_wh_max=0.1,
    )
    Workshop.objects.filter(pk=workshop.pk).update(vote_mode=Workshop.VoteMode.MIXED)
    user = django_user_model.objects.get(username="animateur")
    user.set_password("pw-animateur-e2e")
    user.save()
    return workshop


def test_the_whole_script_in_two_rooms_on_two_processes(two_servers, open_page, default_workshop):
    first, second = two_servers
    phones_room, hands_room = default_workshop.rooms.order_by("pk")

    panel = open_panel(open_page, first.url, default_workshop, "animateur", "pw-animateur-e2e")
    screen_a = open_page(f"{first.url}/presentateur/{phones_room.presenter_secret}/", *PROJECTOR)
    screen_b = open_page(f"{second.url}/presentateur/{hands_room.presenter_secret}/", *PROJECTOR)
    phones = [open_page(f"{second.url}/j/{phones_room.join_code}/", *PHONE) for _ in range(2)]
    expect(screen_a.locator("[data-participants]")).to_have_text("2")

    def command(name):
        panel.click(f"[data-command={name}]")

    steps = list(default_workshop.script.steps.order_by("order"))
    for step in steps:
        command("next_step")
        for screen in (screen_a, screen_b):  # both rooms follow, whichever process serves them
            expect(screen.locator("#screen h1").first).to_have_text(step.title)
        if step.kind == Step.Kind.DUEL:
            for name in ("show_question", "show_answers", "skip_replay", "open_vote"):
                command(name)
            for phone in phones:
                phone.click("[data-choice=a]")
                expect(phone.locator("#vote-status")).to_contain_text("Vote enregistré")
            panel.fill(f"[name=hands-{hands_room.pk}-a]", "1")
            panel.fill(f"[name=hands-{hands_room.pk}-b]", "5")
            panel.fill(f"[name=hands-{hands_room.pk}-both_equal]", "0")
            panel.click(f"[data-room='{hands_room.pk}'] button")
            command("close_vote")
            # Each room sees its own split beside the workshop's total.
            expect(screen_b.locator(".result h2").first).to_have_text("Cette salle : 6 votes")
            expect(screen_b.locator(".result h2").nth(1)).to_have_text("Tout l'atelier : 8 votes")
            command("reveal")
            expect(screen_a.locator(".reveal-card.winner")).to_have_count(1)
        elif step.kind == Step.Kind.QUESTION:
            for phone in phones:
                phone.click("[data-option='0']")
                expect(phone.locator("#vote-status")).to_contain_text("Réponse enregistrée")
            command("show_results")
            expect(screen_a.locator(".result h2").first).to_contain_text("Cette salle : 2")
        elif step.kind == Step.Kind.FINALE:
            expect(screen_a.locator("[data-candidate]")).to_have_count(3)
            command("open_finale_vote")
            for phone in phones:
                phone.click("[data-candidate='1'] [data-option='1']")
            command("close_finale_vote")
            expect(screen_b.locator(".reveal-card.winner")).to_contain_text("IA gagnante")
    command("next_step")
    for screen in (screen_a, screen_b, phones[0]):
        expect(screen.locator(".recap")).to_contain_text("Pour récapituler")
    expect(screen_a.locator(".recap")).to_contain_text(
        "Énergie de toutes les réponses montrées (6)"
    )

    # 2 phone votes for A and 1 + 5 hands in the other room: B won every duel.
    assert list(Round.objects.values_list("winner", flat=True)) == ["b", "b", "b"]
    assert Workshop.objects.get().status == Workshop.Status.FINISHED
