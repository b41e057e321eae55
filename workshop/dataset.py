"""Votes as a compar:IA-compatible preference dataset: which rows, and what each row says.

Four tables, each yielded as Arrow record batches so that memory stays flat whatever
the number of votes (files are written by workshop/dataset_files.py):

- ``votes``: one row per vote, with compar:IA's `comparia-votes` columns, names, Arrow
  types and conventions, then our own columns (workshop, organisation, room, ...).
- ``conversations``: one row per vote too. compar:IA's ranking code keeps one vote per
  ``conversation_pair_id``; thirty people voting on the same two answers are thirty
  pairs of conversations here (ids derived from the vote id and the side), and the
  shared answer is named in each message's ``metadata.generation_id``.
- ``reactions``: compar:IA's reactions are likes or dislikes of one message, with
  reasons. A vote's reasons are per side, positive or negative: each side with
  positive reasons gives one ``liked`` row carrying them, each side with negative
  reasons one ``disliked`` row carrying those. A side without reasons gives no row.
- ``tallies``: raised hands, one row per room and duel, as counts. Never invented votes.

Pseudonyms: ``visitor_id`` and ``session_hash`` are keyed hashes of the participant's
cookie digest, with a key drawn from SECRET_KEY and the organisation: stable within
an organisation, unlinkable across organisations, and not the digest itself.
"""

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pyarrow as pa
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from workshop import tenancy
from workshop.models import HandCount, Round, Step, Vote

CHUNK_SIZE = 2000
TABLES = ["votes", "conversations", "reactions", "tallies"]

# compar:IA's modes, for our ways of choosing a duel's two models.
MODE_OF_PAIR = {
    Step.PairMode.MANUAL: "custom",
    Step.PairMode.RANDOM: "random",
    Step.PairMode.DAVID_GOLIATH: "big-vs-small",
    Step.PairMode.FRUGAL: "small-models",
}
CONVERSATION_IDS = uuid.UUID("6f0d51a4-5b8e-4c43-9a53-3d8f5f1f2a11")  # our uuid5 namespace


# Which votes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """What to export. `organisation_ids` None means every organisation (superusers)."""

    organisation_ids: tuple[int, ...] | None
    since: date | None = None
    until: date | None = None
    workshop_ids: tuple[int, ...] = ()
    model_slugs: tuple[str, ...] = ()
    language: str = ""
    include_simulated: bool = False

    def describe(self) -> dict:
        return {
            "organisations": list(self.organisation_ids)
            if self.organisation_ids is not None
            else "all",
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "workshops": list(self.workshop_ids),
            "models": list(self.model_slugs),
            "language": self.language or None,
            "include_simulated": self.include_simulated,
        }


def selection_for(user, **filters) -> Selection:
    """A selection limited to the organisations whose votes this user may export."""
    if user.is_superuser:
        organisation_ids = None
    else:
        organisations = tenancy.organisations_for(user, tenancy.VIEW, tenancy.DATASET)
        organisation_ids = tuple(organisations.values_list("pk", flat=True))
    return Selection(organisation_ids=organisation_ids, **filters)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _round_filters(selection: Selection, prefix: str) -> Q:
    """The conditions on a round (reached through `prefix`) that a selection sets."""
    q = Q()
    if selection.organisation_ids is not None:
        q &= Q(**{f"{prefix}workshop__organisation_id__in": selection.organisation_ids})
    if selection.workshop_ids:
        q &= Q(**{f"{prefix}workshop_id__in": selection.workshop_ids})
    if selection.language:
        q &= Q(**{f"{prefix}workshop__language": selection.language})
    if selection.model_slugs:
        q &= Q(**{f"{prefix}generation_a__model__slug__in": selection.model_slugs}) | Q(
            **{f"{prefix}generation_b__model__slug__in": selection.model_slugs}
        )
    return q


def _reused_earlier(side: str) -> Exists:
    """True when this round's answer on `side` was already shown by an earlier round."""
    generation = OuterRef(f"round__generation_{side}")
    return Exists(
        Round.objects.filter(Q(generation_a=generation) | Q(generation_b=generation)).filter(
            pk__lt=OuterRef("round_id")
        )
    )


def votes(selection: Selection) -> QuerySet[Vote]:
    """The votes a selection covers. Votes of participants the facilitator removed are
    left out, as they are of the room's tallies; simulated phones unless asked for."""
    queryset = Vote.objects.filter(
        _round_filters(selection, "round__"), participant__removed_at__isnull=True
    )
    if not selection.include_simulated:
        queryset = queryset.filter(participant__simulated=False)
    if selection.since:
        queryset = queryset.filter(updated_at__gte=_day_start(selection.since))
    if selection.until:
        queryset = queryset.filter(updated_at__lt=_day_start(selection.until) + timedelta(days=1))
    return (
        queryset.select_related(
            "participant__room",
            "round__step",
            "round__workshop__organisation",
            "round__generation_a__model",
            "round__generation_a__prompt",
            "round__generation_b__model",
        )
        .annotate(cached_a=_reused_earlier("a"), cached_b=_reused_earlier("b"))
        .order_by("pk")
    )


def hand_counts(selection: Selection) -> QuerySet[HandCount]:
    queryset = HandCount.objects.filter(_round_filters(selection, "round__"))
    if selection.since:
        queryset = queryset.filter(updated_at__gte=_day_start(selection.since))
    if selection.until:
        queryset = queryset.filter(updated_at__lt=_day_start(selection.until) + timedelta(days=1))
    return queryset.select_related(
        "room",
        "round__step",
        "round__workshop__organisation",
        "round__generation_a__model",
        "round__generation_a__prompt",
        "round__generation_b__model",
    ).order_by("pk")


# Arrow schemas: compar:IA's columns first, with the samples' exact types, then ours ------

STR = pa.large_string()
STR_LIST = pa.large_list(pa.field("element", pa.large_string()))
TS = pa.timestamp("ns")
REASON_COLUMNS = [f"conv_{reason}_{side}" for reason in Vote.REASONS for side in "ab"]

OUR_COLUMNS = [
    ("workshop_id", pa.int64()),
    ("workshop_title", STR),
    ("organisation", STR),
    ("room", STR),
    ("round_id", pa.int64()),
    ("step_title", STR),
    ("vote_mode", STR),
    ("audience", STR),
    ("language", STR),
    ("simulated", pa.bool_()),
]
IMPACT_COLUMNS = [
    (f"{measure}_{side}_{bound}", pa.float64())
    for side in "ab"
    for measure in ("energy_wh", "gwp_g")
    for bound in ("min", "max")
]

VOTES_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("timestamp", TS),
        ("model_a_name", STR),
        ("model_b_name", STR),
        ("model_pair_name", STR_LIST),
        ("chosen_model_name", STR),
        ("opening_msg", STR),
        ("both_equal", pa.bool_()),
        ("conversation_a", STR),
        ("conversation_b", STR),
        ("conv_turns", pa.int64()),
        ("system_prompt_a", STR),
        ("system_prompt_b", STR),
        ("selected_category", STR),
        ("is_unedited_prompt", pa.bool_()),
        ("conversation_pair_id", STR),
        ("session_hash", STR),
        ("visitor_id", STR),
        ("conv_comments_a", STR),
        ("conv_comments_b", STR),
        *[(name, pa.bool_()) for name in REASON_COLUMNS],
        # Ours, after compar:IA's.
        *OUR_COLUMNS,
        ("generation_a_id", pa.int64()),
        ("generation_b_id", pa.int64()),
        ("cached_response_a", pa.bool_()),
        ("cached_response_b", pa.bool_()),
        *IMPACT_COLUMNS,
    ]
)

# The conversations sample uses plain (not large) strings: so do we, in that table.
CONVERSATIONS_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("timestamp", TS),
        ("model_a_name", pa.string()),
        ("model_b_name", pa.string()),
        ("conversation_a", pa.string()),
        ("conversation_b", pa.string()),
        ("conv_turns", pa.int64()),
        ("conversation_pair_id", pa.string()),
        ("conv_a_id", pa.string()),
        ("conv_b_id", pa.string()),
        ("session_hash", pa.string()),
        ("visitor_id", pa.string()),
        ("model_pair_name", pa.list_(pa.field("element", pa.string()))),
        ("opening_msg", pa.string()),
        ("system_prompt_a", pa.string()),
        ("system_prompt_b", pa.string()),
        ("mode", pa.string()),
        ("custom_models_selection", pa.string()),
        ("short_summary", pa.string()),
        ("keywords", pa.list_(pa.field("element", pa.string()))),
        ("categories", pa.list_(pa.field("element", pa.string()))),
        ("languages", pa.list_(pa.field("element", pa.string()))),
        ("total_conv_a_output_tokens", pa.float64()),
        ("total_conv_b_output_tokens", pa.float64()),
        ("model_a_active_params", pa.float64()),
        ("model_b_active_params", pa.float64()),
        ("total_conv_a_kwh", pa.float64()),
        ("total_conv_b_kwh", pa.float64()),
        ("cached_response_a", pa.bool_()),
        ("cached_response_b", pa.bool_()),
        *[(name, pa.string() if t == STR else t) for name, t in OUR_COLUMNS],
        *IMPACT_COLUMNS,
    ]
)

REACTIONS_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("timestamp", TS),
        ("model_a_name", STR),
        ("model_b_name", STR),
        ("refers_to_model", STR),
        ("msg_index", pa.int64()),
        ("opening_msg", STR),
        ("conversation_a", STR),
        ("conversation_b", STR),
        ("model_pos", STR),
        ("conv_turns", pa.int64()),
        ("conversation_pair_id", STR),
        ("conv_a_id", STR),
        ("conv_b_id", STR),
        ("refers_to_conv_id", STR),
        ("session_hash", STR),
        ("visitor_id", STR),
        ("country", STR),
        ("city", STR),
        ("response_content", STR),
        ("question_content", STR),
        ("liked", pa.bool_()),
        ("disliked", pa.bool_()),
        ("comment", STR),
        *[(reason, pa.bool_()) for reason in Vote.REASONS],
        ("model_pair_name", STR_LIST),
        ("msg_rank", pa.int64()),
        ("question_id", STR),
        ("system_prompt", STR),
        ("categories", STR_LIST),
        ("model_a_active_params", pa.float64()),
        ("total_conv_a_output_tokens", pa.float64()),
        ("total_conv_a_kwh", pa.float64()),
        ("model_b_active_params", pa.float64()),
        ("total_conv_b_output_tokens", pa.float64()),
        ("total_conv_b_kwh", pa.float64()),
        *OUR_COLUMNS,
        ("vote_id", pa.int64()),
    ]
)

TALLIES_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("timestamp", TS),
        ("model_a_name", STR),
        ("model_b_name", STR),
        ("model_pair_name", STR_LIST),
        ("opening_msg", STR),
        ("hands_a", pa.int64()),
        ("hands_b", pa.int64()),
        ("hands_both_equal", pa.int64()),
        *[(name, t) for name, t in OUR_COLUMNS if name != "simulated"],
        ("generation_a_id", pa.int64()),
        ("generation_b_id", pa.int64()),
        *IMPACT_COLUMNS,
    ]
)

SCHEMAS = {
    "votes": VOTES_SCHEMA,
    "conversations": CONVERSATIONS_SCHEMA,
    "reactions": REACTIONS_SCHEMA,
    "tallies": TALLIES_SCHEMA,
}


# Pseudonyms and ids -----------------------------------------------------------------------


def _organisation_key(organisation_id: int) -> bytes:
    material = f"duels-ia:dataset-pseudonyms:{settings.SECRET_KEY}:{organisation_id}"
    return hashlib.sha256(material.encode()).digest()


def visitor_id(organisation_id: int, token_digest: str) -> str:
    """A participant's pseudonym: stable in one organisation, unlinkable across them."""
    key = _organisation_key(organisation_id)
    return hmac.new(key, f"visitor:{token_digest}".encode(), hashlib.sha256).hexdigest()[:32]


def session_hash(organisation_id: int, token_digest: str) -> str:
    key = _organisation_key(organisation_id)
    return hmac.new(key, f"session:{token_digest}".encode(), hashlib.sha256).hexdigest()[:16]


def conversation_ids(vote_id: int) -> tuple[str, str]:
    """Each vote is its own pair of conversations (see the module's docstring)."""
    return tuple(uuid.uuid5(CONVERSATION_IDS, f"vote:{vote_id}:{side}").hex for side in "ab")


# Rows -------------------------------------------------------------------------------------


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if timezone.is_aware(moment):
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)


def _conversation(generation, prompt_text: str) -> list[dict]:
    assistant = {"role": "assistant", "content": generation.text}
    if generation.reasoning_text:
        assistant["reasoning_content"] = generation.reasoning_text
    assistant["metadata"] = {
        "generation_id": generation.pk,
        "output_tokens": generation.output_tokens,
        "duration": None if generation.duration_ms is None else generation.duration_ms / 1000,
    }
    messages = []
    if generation.system_prompt:
        messages.append({"role": "system", "content": generation.system_prompt})
    return [*messages, {"role": "user", "content": prompt_text}, assistant]


def _active_params(model) -> float | None:
    value = model.active_params_b if model.active_params_b is not None else model.total_params_b
    return None if value is None else float(value)


def _kwh(generation) -> float | None:
    if generation.energy_wh_min is None or generation.energy_wh_max is None:
        return None
    return (generation.energy_wh_min + generation.energy_wh_max) / 2 / 1000


def _impacts(round_: Round) -> dict:
    row = {}
    for side, generation in (("a", round_.generation_a), ("b", round_.generation_b)):
        row[f"energy_wh_{side}_min"] = generation.energy_wh_min
        row[f"energy_wh_{side}_max"] = generation.energy_wh_max
        row[f"gwp_g_{side}_min"] = generation.gwp_g_min
        row[f"gwp_g_{side}_max"] = generation.gwp_g_max
    return row


@dataclass
class _Round:
    """What every vote of one round shares, computed once per round."""

    pair: list[str]
    conversation_a: list[dict]
    conversation_b: list[dict]
    ours: dict
    impacts: dict
    categories: list[str]
    mode: str | None
    custom_selection: str | None


@dataclass
class RowBuilder:
    """Turns votes into rows; remembers per-round facts for the rounds it has met."""

    rounds: dict[int, _Round] = field(default_factory=dict)

    def round_facts(self, round_: Round) -> _Round:
        facts = self.rounds.get(round_.pk)
        if facts is None:
            workshop = round_.workshop
            prompt = round_.generation_a.prompt
            slug_a, slug_b = round_.generation_a.model.slug, round_.generation_b.model.slug
            step = round_.step
            mode = MODE_OF_PAIR.get(step.pair_mode) if step is not None else None
            facts = _Round(
                pair=sorted([slug_a, slug_b]),
                conversation_a=_conversation(round_.generation_a, prompt.text),
                conversation_b=_conversation(round_.generation_b, prompt.text),
                ours={
                    "workshop_id": workshop.pk,
                    "workshop_title": workshop.title,
                    "organisation": workshop.organisation.slug,
                    "round_id": round_.pk,
                    "step_title": step.title if step is not None else None,
                    "vote_mode": workshop.vote_mode,
                    "audience": workshop.audience,
                    "language": workshop.language,
                },
                impacts=_impacts(round_),
                categories=[prompt.category] if prompt.category else [],
                mode=mode,
                custom_selection=json.dumps(sorted([slug_a, slug_b])) if mode == "custom" else None,
            )
            if len(self.rounds) > 10_000:
                # Votes come in id order, so old rounds rarely come back: keep memory flat.
                self.rounds.clear()
            self.rounds[round_.pk] = facts
        return facts

    def _common(self, vote: Vote) -> tuple[_Round, dict]:
        round_ = vote.round
        participant = vote.participant
        organisation_id = round_.workshop.organisation_id
        facts = self.round_facts(round_)
        conv_a_id, conv_b_id = conversation_ids(vote.pk)
        common = {
            "timestamp": _naive_utc(vote.updated_at),
            "model_a_name": round_.generation_a.model.slug,
            "model_b_name": round_.generation_b.model.slug,
            "model_pair_name": facts.pair,
            "opening_msg": round_.generation_a.prompt.text,
            "conversation_a": json.dumps(facts.conversation_a, ensure_ascii=False),
            "conversation_b": json.dumps(facts.conversation_b, ensure_ascii=False),
            "conv_turns": 1,
            "conversation_pair_id": f"{conv_a_id}-{conv_b_id}",
            "conv_a_id": conv_a_id,
            "conv_b_id": conv_b_id,
            "session_hash": session_hash(organisation_id, participant.token_digest),
            "visitor_id": visitor_id(organisation_id, participant.token_digest),
            **facts.ours,
            "room": participant.room.name,
            "simulated": participant.simulated,
        }
        return facts, common

    def vote_row(self, vote: Vote) -> dict:
        facts, common = self._common(vote)
        round_ = vote.round
        free_text = round_.workshop.organisation.export_free_text
        chosen = {
            Vote.Choice.A: round_.generation_a.model.slug,
            Vote.Choice.B: round_.generation_b.model.slug,
        }.get(vote.choice)
        reasons = vote.reasons or {}
        return {
            **common,
            "id": vote.pk,
            "chosen_model_name": chosen,
            "both_equal": vote.choice == Vote.Choice.BOTH_EQUAL,
            "system_prompt_a": round_.generation_a.system_prompt or None,
            "system_prompt_b": round_.generation_b.system_prompt or None,
            "selected_category": None,
            "is_unedited_prompt": None,
            "conv_comments_a": (vote.comment_a or None) if free_text else None,
            "conv_comments_b": (vote.comment_b or None) if free_text else None,
            **{
                f"conv_{reason}_{side}": reason in reasons.get(side, ())
                for reason in Vote.REASONS
                for side in "ab"
            },
            "generation_a_id": round_.generation_a_id,
            "generation_b_id": round_.generation_b_id,
            "cached_response_a": bool(getattr(vote, "cached_a", False)),
            "cached_response_b": bool(getattr(vote, "cached_b", False)),
            **facts.impacts,
        }

    def conversation_row(self, vote: Vote) -> dict:
        facts, common = self._common(vote)
        round_ = vote.round
        generation_a, generation_b = round_.generation_a, round_.generation_b
        return {
            **common,
            "id": vote.pk,
            "system_prompt_a": generation_a.system_prompt or None,
            "system_prompt_b": generation_b.system_prompt or None,
            "mode": facts.mode,
            "custom_models_selection": facts.custom_selection,
            "short_summary": None,
            "keywords": None,
            "categories": facts.categories,
            "languages": [round_.workshop.language],
            "total_conv_a_output_tokens": _float(generation_a.output_tokens),
            "total_conv_b_output_tokens": _float(generation_b.output_tokens),
            "model_a_active_params": _active_params(generation_a.model),
            "model_b_active_params": _active_params(generation_b.model),
            "total_conv_a_kwh": _kwh(generation_a),
            "total_conv_b_kwh": _kwh(generation_b),
            "cached_response_a": bool(getattr(vote, "cached_a", False)),
            "cached_response_b": bool(getattr(vote, "cached_b", False)),
            **facts.impacts,
        }

    def reaction_rows(self, vote: Vote) -> list[dict]:
        reasons = vote.reasons or {}
        if not any(reasons.get(side) for side in "ab"):
            return []
        facts, common = self._common(vote)
        round_ = vote.round
        free_text = round_.workshop.organisation.export_free_text
        rows = []
        for position, side in enumerate("ab"):
            generation = round_.generation_a if side == "a" else round_.generation_b
            given = set(reasons.get(side, ()))
            comment = (vote.comment_a if side == "a" else vote.comment_b) if free_text else ""
            kinds = [
                (kind, wanted & given)
                for kind, wanted in (
                    ("liked", set(Vote.POSITIVE_REASONS)),
                    ("disliked", set(Vote.NEGATIVE_REASONS)),
                )
                if wanted & given
            ]
            for number, (kind, carried) in enumerate(kinds):
                conv_id = common["conv_a_id"] if side == "a" else common["conv_b_id"]
                rows.append(
                    {
                        **common,
                        # Four reactions at most per vote: two sides, liked and disliked.
                        "id": vote.pk * 4 + position * 2 + (kind == "disliked"),
                        "refers_to_model": generation.model.slug,
                        "msg_index": 1,
                        "model_pos": side,
                        "refers_to_conv_id": conv_id,
                        "country": "",
                        "city": "",
                        "response_content": generation.text,
                        "question_content": common["opening_msg"],
                        "liked": kind == "liked",
                        "disliked": kind == "disliked",
                        # The comment goes with the side's first reaction only.
                        "comment": (comment or None) if number == 0 else None,
                        **{reason: reason in carried for reason in Vote.REASONS},
                        "msg_rank": 0,
                        "question_id": f"{common['conversation_pair_id']}-0",
                        "system_prompt": generation.system_prompt or None,
                        "categories": facts.categories,
                        "model_a_active_params": _active_params(round_.generation_a.model),
                        "total_conv_a_output_tokens": _float(round_.generation_a.output_tokens),
                        "total_conv_a_kwh": _kwh(round_.generation_a),
                        "model_b_active_params": _active_params(round_.generation_b.model),
                        "total_conv_b_output_tokens": _float(round_.generation_b.output_tokens),
                        "total_conv_b_kwh": _kwh(round_.generation_b),
                        "vote_id": vote.pk,
                    }
                )
        return rows


def _float(value) -> float | None:
    return None if value is None else float(value)


def tally_row(count: HandCount) -> dict:
    round_ = count.round
    workshop = round_.workshop
    slug_a, slug_b = round_.generation_a.model.slug, round_.generation_b.model.slug
    return {
        "id": count.pk,
        "timestamp": _naive_utc(count.updated_at),
        "model_a_name": slug_a,
        "model_b_name": slug_b,
        "model_pair_name": sorted([slug_a, slug_b]),
        "opening_msg": round_.generation_a.prompt.text,
        "hands_a": count.a,
        "hands_b": count.b,
        "hands_both_equal": count.both_equal,
        "workshop_id": workshop.pk,
        "workshop_title": workshop.title,
        "organisation": workshop.organisation.slug,
        "room": count.room.name,
        "round_id": round_.pk,
        "step_title": round_.step.title if round_.step is not None else None,
        "vote_mode": workshop.vote_mode,
        "audience": workshop.audience,
        "language": workshop.language,
        "generation_a_id": round_.generation_a_id,
        "generation_b_id": round_.generation_b_id,
        **_impacts(round_),
    }


# Streams of record batches ------------------------------------------------------------------


def rows(table: str, selection: Selection, chunk_size: int = CHUNK_SIZE) -> Iterator[dict]:
    """The rows of one table, read from the database `chunk_size` at a time."""
    if table == "tallies":
        for count in hand_counts(selection).iterator(chunk_size=chunk_size):
            yield tally_row(count)
        return
    builder = RowBuilder()
    make = {
        "votes": lambda vote: [builder.vote_row(vote)],
        "conversations": lambda vote: [builder.conversation_row(vote)],
        "reactions": builder.reaction_rows,
    }[table]
    queryset = votes(selection)
    if table == "reactions":
        queryset = queryset.exclude(reasons={})
    for vote in queryset.iterator(chunk_size=chunk_size):
        yield from make(vote)


def batches(
    table: str, selection: Selection, chunk_size: int = CHUNK_SIZE
) -> Iterator[pa.RecordBatch]:
    """The table as Arrow record batches of at most `chunk_size` rows."""
    yield from to_batches(rows(table, selection, chunk_size), SCHEMAS[table], chunk_size)


def to_batches(
    row_iter: Iterable[dict], schema: pa.Schema, chunk_size: int = CHUNK_SIZE
) -> Iterator[pa.RecordBatch]:
    pending: list[dict] = []
    for row in row_iter:
        pending.append(row)
        if len(pending) >= chunk_size:
            yield pa.RecordBatch.from_pylist(pending, schema=schema)
            pending = []
    if pending:
        yield pa.RecordBatch.from_pylist(pending, schema=schema)


def table(name: str, selection: Selection) -> pa.Table:
    """The whole table in memory: for tests and small selections only."""
    return pa.Table.from_batches(list(batches(name, selection)), schema=SCHEMAS[name])


def count(name: str, selection: Selection) -> int:
    """How many rows a table will have (reactions: how many votes give reactions)."""
    if name == "tallies":
        return hand_counts(selection).count()
    queryset = votes(selection)
    if name == "reactions":
        queryset = queryset.exclude(reasons={})
    return queryset.count()
