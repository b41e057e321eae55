"""Every URL of the project, walked by people who must get nothing of an organisation.

The walk enumerates the URL patterns (`django.urls.get_resolver()`, recursively: every
page of the back office included) and the WebSocket routes, fills each pattern's
arguments with the records of one organisation, and visits it as five people who have
no business there: an admin of another organisation (logged in), an anonymous visitor,
the same outsider calling the analyst's URLs from a script (HTTP Basic), a curator of
the catalogue (staff, in the curators' group, no membership) and an unaffiliated staff
user (no group, no membership). Each route has its expected answer, decided below, and
every body, header and download is searched for the organisation's distinctive texts.

The walk stays complete by failing on what it does not know: an argument it cannot fill,
a route without an expected answer, a model of the back office without a record to aim
at, a WebSocket route without attempts.
"""

import asyncio
import base64
import html
import io
import itertools
import json
import re
import zipfile
from dataclasses import dataclass, field
from urllib.parse import unquote, urlencode, urlsplit

import pyarrow.parquet as pq
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import ForeignKey, ManyToManyField
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern
from django.utils.regex_helper import normalize

from config.asgi import application
from duels.models import AIModel, Endpoint, Generation, Maker, Prompt
from impacts.models import Equivalence
from tests.conftest import PASSWORD, make_user
from tests.live_fixtures import done, serve_locally
from workshop import (
    dataset,
    dataset_files,
    exports,
    invitations,
    live,
    participants,
    proposals,
    simulation,
)
from workshop.defaults import ensure_curators_group
from workshop.live import Ballot
from workshop.models import (
    Answer,
    Invitation,
    Membership,
    Organisation,
    Proposal,
    Role,
    Room,
    Round,
    Script,
    Step,
    Vote,
    Workshop,
)
from workshop.routing import websocket_urlpatterns

OUTSIDER, ANONYMOUS, SCRIPT = "outsider", "anonymous", "script"
CURATOR, STAFF = "curator", "staff"
VISITORS = [OUTSIDER, ANONYMOUS, SCRIPT, CURATOR, STAFF]

# The organisation's words, each distinctive enough to be found anywhere it leaks.
NOTES = "Note privée de l'animatrice : ne pas montrer"
COMMENT = "Commentaire confidentiel sur la réponse A"
OPEN_ANSWER = "Réponse libre d'une participante lyonnaise"
ASKED = "Question proposée puis posée : pourquoi Lyon chauffe-t-il ?"
PENDING = "Question proposée en attente : qui paie les serveurs ?"
LIVE_ANSWER = "Réponse du modèle à la question lyonnaise"
INVITED = "invitee.lyon@example.org"


@dataclass
class World:
    """The first organisation's records, what the walk aims at, and the outsider's own."""

    org: Organisation
    owner: object
    outsider: object
    workshop: Workshop
    room: Room
    round: Round
    # "app_label/model_name": the record that the back office's pages of that model aim at
    records: dict[str, object]
    export_id: str
    needles: dict[str, str]
    own_workshop: Workshop
    own_room: Room
    # People of the platform with no organisation: they keep the catalogue, or nothing.
    curator: object
    staff: object
    invitation_token: str = ""  # the link of the organisation's pending invitation


@pytest.fixture
def world(
    settings,
    tmp_path,
    org,
    other_org,
    owner,
    outsider,
    catalogue,
    script,
    workshop,
    room,
    local_listener,
):
    settings.EXPORTS_DIR = tmp_path / "exports"
    serve_locally(local_listener, catalogue["big"], catalogue["small"])  # for a live question
    settings.LEADERBOARD_SAMPLES = 20
    cache.clear()
    # With this choice, a comment that leaked into another organisation's export would show.
    Organisation.objects.filter(pk=org.pk).update(export_free_text=True)
    Script.objects.filter(pk=script.pk).update(title="Déroulé lyonnais")
    Room.objects.filter(pk=room.pk).update(name="Salle Bellecour")
    Step.objects.filter(script=script, order=1).update(speaker_notes=NOTES)
    duel = Step.objects.get(script=script, order=2)
    question = Step.objects.create(
        script=script,
        order=3,
        kind=Step.Kind.QUESTION,
        title="Votre avis",
        question_kind=Step.QuestionKind.OPEN,
    )
    round_ = Round.objects.create(
        workshop=workshop,
        step=duel,
        generation_a=done(catalogue["big"], catalogue["prompt"], "Une réponse."),
        generation_b=done(catalogue["small"], catalogue["prompt"], "Une autre réponse."),
    )

    # The workshop played as a room would: a vote with a comment, an open answer, two
    # proposed questions, one of them asked live (it becomes a prompt with its answers).
    participant = participants.join(room, None).participant
    simulation.advance_to(workshop.pk, {live.VOTE_OPEN})
    live.cast_vote(participant.pk, Ballot(round_.pk, "a", {"a": ["useful"]}, COMMENT, "", "c1"))
    simulation.advance_to(workshop.pk, {live.REVEAL})
    live.transition(workshop.pk, "next_step")
    live.answer(participant.pk, question.pk, None, OPEN_ANSWER)
    Workshop.objects.filter(pk=workshop.pk).update(accepts_proposals=True)
    asked = proposals.propose(participant.pk, ASKED)
    proposals.propose(participant.pk, PENDING)
    live_round = proposals.decide(
        workshop.pk, asked.pk, "ask", "manual", [catalogue["big"].slug, catalogue["small"].slug]
    )
    live_generation = live_round.generation_a
    Generation.objects.filter(pk=live_generation.pk).update(
        status=Generation.Status.DONE, text=LIVE_ANSWER
    )

    # The organisation's admin asked for an archive of its votes: it is ready.
    export_id = exports.request_export(owner, dataset.Selection(organisation_ids=(org.pk,)), "csv")
    exports.run(owner.pk, export_id)

    # The organisation's admin invited someone: the link is the invitee's.
    invitation = Invitation(organisation=org, email=INVITED, role=Role.FACILITATOR)
    invitation_token = invitations.issue(invitation, owner)

    own_script = Script.objects.create(organisation=other_org, slug="brest", title="Brest")
    own_workshop = Workshop.objects.create(
        organisation=other_org, script=own_script, title="Atelier de Brest"
    )
    own_room = Room.objects.create_with_code(workshop=own_workshop, name="Salle du port")

    curator = make_user("curator", is_staff=True)
    curator.groups.add(ensure_curators_group()[0])
    staff = make_user("staff", is_staff=True)

    org.refresh_from_db()
    room.refresh_from_db()
    workshop.refresh_from_db()
    script.refresh_from_db()
    return World(
        org=org,
        owner=owner,
        outsider=outsider,
        workshop=workshop,
        room=room,
        round=round_,
        records={
            "auth/user": owner,
            "auth/group": Group.objects.create(name="Groupe lyonnais"),
            "impacts/equivalence": Equivalence.objects.order_by("pk").first(),
            "duels/maker": catalogue["maker"],
            "duels/aimodel": catalogue["big"],
            "duels/endpoint": Endpoint.objects.create(slug="lyon", name="Serveur lyonnais"),
            "duels/prompt": live_generation.prompt,
            "duels/generation": live_generation,
            "workshop/organisation": org,
            "workshop/membership": Membership.objects.get(user=owner, organisation=org),
            "workshop/invitation": invitation,
            "workshop/script": script,
            "workshop/workshop": workshop,
            "workshop/room": room,
        },
        export_id=export_id,
        needles={
            "organisation name": org.name,
            "workshop title": workshop.title,
            "script title": script.title,
            "speaker notes": NOTES,
            "room name": room.name,
            "join code": room.join_code,
            "presenter secret": room.presenter_secret,
            "member's e-mail": owner.email,
            "participant's comment": COMMENT,
            "open answer": OPEN_ANSWER,
            "question asked live (a prompt)": ASKED,
            "proposed question": PENDING,
            "answer to the live question": LIVE_ANSWER,
            "invited e-mail": INVITED,
        },
        own_workshop=own_workshop,
        own_room=own_room,
        curator=curator,
        staff=staff,
        invitation_token=invitation_token,
    )


# Enumerating the routes -------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # the full route, spelled as ResolverMatch.route spells it
    name: str | None  # "namespace:name"
    pieces: tuple  # the patterns, from the root to this one


def all_routes(patterns=None, pieces=(), namespace="") -> list[Route]:
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        chain = (*pieces, pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            found += all_routes(pattern.url_patterns, chain, inner)
            continue
        name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
        key = ""
        for piece in chain:
            key = str(piece) if not key else key + str(piece).removeprefix("^")
        found.append(Route(key, name, chain))
    return found


ROUTE_ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")


def argument_names(route: Route) -> list[str]:
    names = []
    for piece in route.pieces:
        if isinstance(piece, RoutePattern):
            names += ROUTE_ARGUMENT.findall(str(piece))
        else:
            names += list(piece.regex.groupindex)
    return names


def build_path(route: Route, kwargs: dict) -> str:
    path = ""
    for piece in route.pieces:
        if isinstance(piece, RoutePattern):
            path += ROUTE_ARGUMENT.sub(lambda m: str(kwargs[m[1]]), str(piece))
        else:
            template, _params = normalize(piece.regex.pattern)[0]
            path += template % {key: str(value) for key, value in kwargs.items()}
    return "/" + path


# The back office's models, and what an admin of another organisation may do with each.
NOTHING = "nothing"  # not theirs in any organisation: refused outright (403)
SHARED = "shared"  # the shared catalogue, read by every member, changed by superusers
LIBRARY = "library"  # the shared library of prompts, without the organisations' live questions
ORGANISATION = "organisation"  # their own organisation only; only superusers add or delete
SCOPED = "scoped"  # their own organisation's records only, which they manage
# Not theirs, and the aimed-at record is out of their reach too: refused, but the history
# page, which looks the record up before asking, says it does not exist.
UNSEEN = "unseen"
KEPT = "kept"  # the catalogue they keep: every page theirs (a curator)
# The catalogue they keep, but the aimed-at record is an organisation's live question (or
# its answer): out of their reach.
KEPT_LIBRARY = "kept library"
# The catalogue's endpoints: a curator keeps their facts (zone, PUE, limits), but only
# superusers create or delete one (or change where it connects).
KEPT_FACTS = "kept facts"
MEMBERS = "members"  # scoped, but joined by invitation: never added here
INVITATIONS = "invitations"  # scoped, sent or withdrawn, never changed once the link is out

OUTSIDER_ACCESS = {
    "auth/user": NOTHING,
    "auth/group": NOTHING,
    "impacts/equivalence": NOTHING,
    "duels/endpoint": NOTHING,
    "duels/generation": UNSEEN,
    "duels/maker": SHARED,
    "duels/aimodel": SHARED,
    "duels/prompt": LIBRARY,
    "workshop/organisation": ORGANISATION,
    "workshop/membership": MEMBERS,
    "workshop/invitation": INVITATIONS,
    "workshop/script": SCOPED,
    "workshop/workshop": SCOPED,
    "workshop/room": SCOPED,
}

# A curator keeps the catalogue (workshop/defaults.py: CURATED_MODELS) and is of no
# organisation.
CURATOR_ACCESS = {
    "auth/user": NOTHING,
    "auth/group": NOTHING,
    "impacts/equivalence": KEPT,
    "duels/endpoint": KEPT_FACTS,
    "duels/generation": KEPT_LIBRARY,
    "duels/maker": KEPT,
    "duels/aimodel": KEPT,
    "duels/prompt": KEPT_LIBRARY,
    "workshop/organisation": UNSEEN,
    "workshop/membership": UNSEEN,
    "workshop/invitation": UNSEEN,
    "workshop/script": UNSEEN,
    "workshop/workshop": UNSEEN,
    "workshop/room": UNSEEN,
}
# Staff without a group or a membership enter the back office and may do nothing there.
STAFF_ACCESS = {
    "auth/user": NOTHING,
    "auth/group": NOTHING,
    "impacts/equivalence": NOTHING,
    "duels/endpoint": NOTHING,
    "duels/generation": UNSEEN,
    "duels/maker": NOTHING,
    "duels/aimodel": NOTHING,
    "duels/prompt": UNSEEN,
    "workshop/organisation": UNSEEN,
    "workshop/membership": UNSEEN,
    "workshop/invitation": UNSEEN,
    "workshop/script": UNSEEN,
    "workshop/workshop": UNSEEN,
    "workshop/room": UNSEEN,
}
ACCESS = {OUTSIDER: OUTSIDER_ACCESS, CURATOR: CURATOR_ACCESS, STAFF: STAFF_ACCESS}

# The standard pages of a ModelAdmin, by the rest of their route after "admin/app/model/".
ADMIN_PAGES = {
    "": "changelist",
    "add/": "add",
    "<path:object_id>/history/": "history",
    "<path:object_id>/delete/": "delete",
    "<path:object_id>/change/": "change",
    "<path:object_id>/": "shortcut",  # Django's redirect to the change page
}
# Pages a ModelAdmin adds of its own: each needs its expected answer here.
CUSTOM_ADMIN_PAGES = {
    # UserAdmin's password form: the outsider may change no account.
    "admin/auth/user/<id>/password/": "refused",
}
ADMIN_MODEL_ROUTE = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/(?P<page>.*)$")


def registered_models() -> dict[str, type]:
    return {
        f"{model._meta.app_label}/{model._meta.model_name}": model for model in admin.site._registry
    }


def admin_page(route: Route) -> tuple[str, str] | None:
    """(model label, page) for a route of a ModelAdmin, else None."""
    match = ADMIN_MODEL_ROUTE.match(route.key)
    if match is None:
        return None
    label = f"{match['app']}/{match['model']}"
    if label not in registered_models():
        return None
    page = ADMIN_PAGES.get(match["page"]) or CUSTOM_ADMIN_PAGES.get(route.key)
    assert page, f"{route.key}: a page of the back office the walk does not know"
    return label, page


# Filling the routes' arguments ------------------------------------------------------------


@dataclass
class Visit:
    route: Route
    path: str
    method: str = "GET"
    query: dict = field(default_factory=dict)  # the query string (GET) or the form (POST)
    variant: str = ""  # "own", "targeted", an admin action's name...
    # The organisation's texts that this page shows by design (see PUBLIC_BY_DESIGN).
    allowed: frozenset[str] = frozenset()

    def __str__(self) -> str:
        query = f"?{urlencode(self.query, doseq=True)}" if self.query else ""
        return f"{self.method} {self.path}{query} [{self.variant or self.route.name}]"


def fillers(world: World, route: Route) -> dict[str, list]:
    """Each argument a route may take, with the first organisation's values for it."""
    record = None
    page = admin_page(route)
    if page is not None and page[1] not in ("changelist", "add"):
        record = world.records.get(page[0])
        assert record is not None, f"{route.key}: no record of {page[0]} to aim at"
    org_objects = [world.records[label] for label in sorted(world.records)]
    return {
        # Front pages: the workshop, its duel, its room.
        "pk": [world.workshop.pk],
        "round_pk": [world.round.pk],
        "side": ["a", "b"],
        "code": [world.room.join_code],
        # The right secret (a capability link, see PUBLIC_BY_DESIGN) and a guessed one.
        "secret": [world.room.presenter_secret, world.room.presenter_secret[:-4] + "abcd"],
        # An invitation's link (for another account than the visitor's), and a guessed one.
        "token": [world.invitation_token, world.invitation_token[:-4] + "abcd"],
        # The analyst's downloads: every table in every format, and the owner's archive.
        "table": list(dataset.TABLES),
        "fmt": list(dataset_files.FORMATS),
        "export_id": [world.export_id],
        # The back office.
        "object_id": [record.pk] if record is not None else [o.pk for o in org_objects],
        "id": [record.pk] if record is not None else [],
        "content_type_id": [ContentType.objects.get_for_model(o).pk for o in org_objects],
        "app_label": sorted({label.split("/")[0] for label in registered_models()}),
        "url": [f"{world.org.slug}/{world.workshop.pk}/"],  # the back office's catch-all
    }


def argument_sets(world: World, route: Route) -> list[dict]:
    names = argument_names(route)
    known = fillers(world, route)
    unknown = sorted(set(names) - set(known))
    assert not unknown, (
        f"{route.key}: the walk cannot fill {unknown}; teach it (fillers) so that it stays complete"
    )
    if set(names) == {"content_type_id", "object_id"}:
        # The admin's "view on site": each record with its own content type.
        return [
            {"content_type_id": ct, "object_id": pk}
            for ct, pk in zip(known["content_type_id"], known["object_id"], strict=True)
        ]
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(known[name] for name in names))
    ]


# Routes whose query string chooses an organisation or workshops: visited with none (the
# visitor's own scope), then aimed at the first organisation by each of their filters.
SCOPED_BY_QUERY = {
    "analytics": ["organisation", "workshop"],
    "analytics_download": ["organisation", "workshop"],
    "leaderboard": ["organisation"],
    "leaderboard_chart": ["organisation"],
}
# Views that refuse GET (require_POST, Django's logout): visited with both methods.
POST_ONLY = {
    "prepare_answers",
    "retry_answer",
    "swap_answer",
    "analytics_request_archive",
    "admin:logout",
}


def autocomplete_queries() -> list[dict]:
    """Every relation whose target the back office can search: the admin's autocomplete."""
    searchable = {m for m, model_admin in admin.site._registry.items() if model_admin.search_fields}
    queries = []
    for model in apps.get_models():
        for relation in model._meta.get_fields():
            if isinstance(relation, ForeignKey | ManyToManyField) and (
                relation.related_model in searchable
            ):
                queries.append(
                    {
                        "app_label": model._meta.app_label,
                        "model_name": model._meta.model_name,
                        "field_name": relation.name,
                        "term": "",
                    }
                )
    return queries


def form_aimed_at(world: World) -> dict:
    """A change or add form that would move records into, or out of, the first organisation."""
    return {
        "organisation": world.org.pk,
        "workshop": world.workshop.pk,
        "script": world.workshop.script_id,
        "title": "Intrus",
        "name": "Intrus",
        "slug": "intrus",
        "email": world.outsider.email,
        "role": Role.ADMIN,
        "capacity": 10,
        "audience": "general",
        "language": "fr",
        "vote_mode": "phones",
        "status": "draft",
        "text": "Intrus",
    }


def visits_of(world: World, route: Route) -> list[Visit]:
    visits = []
    page = admin_page(route)
    for kwargs in argument_sets(world, route):
        path = build_path(route, kwargs)
        match = resolve(path)
        assert match.route == route.key, f"{path} reaches {match.route}, not {route.key}"
        base = Visit(route, path, variant=route.name or route.key)
        if route.name == "join":
            base.allowed = PUBLIC_BY_DESIGN["join"]
        if route.name == "presenter" and kwargs["secret"] == world.room.presenter_secret:
            base.allowed, base.variant = PUBLIC_BY_DESIGN["presenter"], "right secret"
        elif route.name == "presenter":
            base.variant = "guessed secret"
        if route.name == "invitation":
            right = kwargs["token"] == world.invitation_token
            base.variant = "right token" if right else "guessed token"
        visits.append(base)
        if route.name in SCOPED_BY_QUERY:
            base.variant = "own"
            aims = {"organisation": world.org.slug, "workshop": world.workshop.pk}
            for key in SCOPED_BY_QUERY[route.name]:
                visits.append(Visit(route, path, query={key: aims[key]}, variant="targeted"))
        elif route.name == "home":
            visits.append(
                Visit(
                    route,
                    path,
                    query={"code": world.room.join_code},
                    variant="join code",
                    allowed=PUBLIC_BY_DESIGN["home with a code"],
                )
            )
        elif route.name == "admin:autocomplete":
            base.variant = "no source"
            for query in autocomplete_queries():
                variant = f"{query['app_label']}.{query['model_name']}.{query['field_name']}"
                visits.append(Visit(route, path, query=query, variant=variant))
        elif route.name == "invitation":
            # Accepting it: refused like the page, and nobody becomes a member.
            visits.append(Visit(route, path, "POST", variant=f"{base.variant} (POST)"))
        elif route.name in POST_ONLY:
            form = {"workshop": world.workshop.pk, "format": "csv", "side": "a"}
            visits.append(Visit(route, path, "POST", form, variant=route.name))
        elif page is not None and page[1] == "changelist":
            model_admin = admin.site._registry[registered_models()[page[0]]]
            request = RequestFactory().get(path)
            request.user = type(world.owner)(is_superuser=True, is_active=True)
            for action in model_admin.get_actions(request):
                form = {
                    "action": action,
                    "_selected_action": [world.records[page[0]].pk],
                    "post": "yes",
                }
                visits.append(Visit(route, path, "POST", form, variant=f"action {action}"))
        elif page is not None and page[1] in ("add", "change", "delete", "refused"):
            form = {"post": "yes"} if page[1] == "delete" else form_aimed_at(world)
            visits.append(Visit(route, path, "POST", form, variant=f"{page[1]} (POST)"))
    return visits


# What each visitor must get, route by route -----------------------------------------------


@dataclass(frozen=True)
class Expect:
    status: int
    to: str | None = None  # for a redirect: the path it must lead to

    def __str__(self) -> str:
        return f"{self.status}" + (f" -> {self.to}" if self.to else "")


OK = Expect(200)
LOGIN = Expect(302, "/admin/login/")
INDEX = Expect(302, "/admin/")  # the back office's "this record does not exist"
FORBIDDEN = Expect(403)
NOT_FOUND = Expect(404)
NOT_ALLOWED = Expect(405)

# Public by design, and what of the organisation each may show:
PUBLIC_BY_DESIGN = {
    # A phone that has the code read aloud in the room joins it: its page is titled with
    # the workshop's title and talks to the room's socket (by its code). Nothing else of
    # the organisation: not its name, its script, its other rooms or its secrets.
    "join": frozenset({"workshop title", "join code"}),
    # The projector's page is reached by its secret link, without logging in: whoever
    # holds the link sees that room's screen (title, room, join code, its own socket).
    "presenter": frozenset({"workshop title", "room name", "join code", "presenter secret"}),
    # The home page's form sends a typed code on to its join page.
    "home with a code": frozenset({"join code"}),
}
# Routes that answer anyone, and why. They are still searched for leaks.
PUBLIC = {
    "healthz",  # the load balancer's probe: "ok" and which services answered
    "home",  # the join form
    "join",  # see PUBLIC_BY_DESIGN
    "model_impacts",  # the catalogue's energy figures, for the public
}
# Not routes but served by WhiteNoise before any view: checked alongside.
STATIC_FILES = ["/static/css/site.css", "/static/css/live.css", "/static/js/live.js"]

# Everything outside the back office that is not public: login first, and an outsider
# learns nothing, not even that the record exists (404).
PRIVATE_PAGES = {"control_panel", "preparation", "prepare_answers", "retry_answer", "swap_answer"}
# The analyst's routes, which also accept HTTP Basic credentials from scripts.
ANALYST_ROUTES = {
    "analytics",
    "analytics_download",
    "analytics_archive",
    "leaderboard",
    "leaderboard_chart",
}
# The back office's own pages, for a member of another organisation.
SITE_PAGES_FOR_OUTSIDER = {
    "admin:index": OK,  # their own organisation's back office
    "admin:login": INDEX,  # already logged in: sent on to the index
    "admin:password_change": OK,  # their own password
    "admin:password_change_done": OK,
    "admin:jsi18n": OK,  # the admin's translations, the same for everyone
    "admin:view_on_site": NOT_FOUND,  # no record here has a public page
    None: NOT_FOUND,  # the back office's catch-all
}
# Apps of the back office an outsider reads something of (their organisation, the catalogue).
APPS_FOR_OUTSIDER = {"workshop": OK, "duels": OK, "auth": NOT_FOUND, "impacts": NOT_FOUND}
APPS = {
    OUTSIDER: APPS_FOR_OUTSIDER,
    CURATOR: {"workshop": NOT_FOUND, "duels": OK, "auth": NOT_FOUND, "impacts": OK},
    STAFF: {"workshop": NOT_FOUND, "duels": NOT_FOUND, "auth": NOT_FOUND, "impacts": NOT_FOUND},
}
# A write to the catalogue by who keeps it is theirs to make, and would change the shared
# records that the rest of the walk aims at: not sent.
NOT_SENT = Expect(0)
# The ModelAdmins' pages, for a person of the back office who is not of the organisation
# (another organisation's admin, a curator, staff), by their access.
ADMIN_PAGES_FOR_OUTSIDER = {
    # page: {access: expected}; the aimed-at record is always the first organisation's.
    "changelist": {
        NOTHING: FORBIDDEN,
        SHARED: OK,
        LIBRARY: OK,
        ORGANISATION: OK,
        SCOPED: OK,
        UNSEEN: FORBIDDEN,
        KEPT: OK,
        KEPT_LIBRARY: OK,
    },
    "add": {
        NOTHING: FORBIDDEN,
        SHARED: FORBIDDEN,
        LIBRARY: FORBIDDEN,
        ORGANISATION: FORBIDDEN,
        SCOPED: OK,
        UNSEEN: FORBIDDEN,
        KEPT: OK,
        KEPT_LIBRARY: OK,
    },
    "change": {
        NOTHING: FORBIDDEN,
        SHARED: OK,
        LIBRARY: INDEX,
        ORGANISATION: INDEX,
        SCOPED: INDEX,
        UNSEEN: FORBIDDEN,
        KEPT: OK,
        KEPT_LIBRARY: INDEX,
    },
    "history": {
        NOTHING: FORBIDDEN,
        SHARED: OK,
        LIBRARY: INDEX,
        ORGANISATION: INDEX,
        SCOPED: INDEX,
        UNSEEN: INDEX,
        KEPT: OK,
        KEPT_LIBRARY: INDEX,
    },
    "delete": {
        NOTHING: FORBIDDEN,
        SHARED: FORBIDDEN,
        LIBRARY: FORBIDDEN,
        ORGANISATION: FORBIDDEN,
        SCOPED: INDEX,
        UNSEEN: FORBIDDEN,
        KEPT: OK,
        KEPT_LIBRARY: INDEX,
    },
    "refused": {NOTHING: FORBIDDEN},
}
ADMIN_POSTS_FOR_OUTSIDER = {
    # An action on the changelist, with the first organisation's record ticked: nothing of
    # it is selectable, so the list comes back (302 to itself), with no file and nothing
    # deleted. Where no action is the outsider's to take, the POST is just the list (200).
    "changelist": {
        NOTHING: FORBIDDEN,
        SHARED: OK,
        LIBRARY: OK,
        ORGANISATION: OK,
        SCOPED: "self",
        UNSEEN: FORBIDDEN,
        KEPT: NOT_SENT,
        KEPT_LIBRARY: "self",
    },
    # A form that would write into the first organisation: refused, or shown again with
    # errors (its choices hold only the outsider's own records).
    "add": {**ADMIN_PAGES_FOR_OUTSIDER["add"], KEPT: NOT_SENT, KEPT_LIBRARY: NOT_SENT},
    "change": {
        NOTHING: FORBIDDEN,
        SHARED: FORBIDDEN,
        LIBRARY: FORBIDDEN,
        ORGANISATION: INDEX,
        SCOPED: INDEX,
        UNSEEN: FORBIDDEN,
        KEPT: NOT_SENT,
        KEPT_LIBRARY: INDEX,
    },
    "delete": {**ADMIN_PAGES_FOR_OUTSIDER["delete"], KEPT: NOT_SENT},
    "refused": {NOTHING: FORBIDDEN},
}
# Members and invitations: as SCOPED, but members join by invitation (never added here),
# and an invitation whose link is out is never changed.
ADMIN_PAGES_FOR_OUTSIDER["changelist"] |= {MEMBERS: OK, INVITATIONS: OK}
ADMIN_PAGES_FOR_OUTSIDER["add"] |= {MEMBERS: FORBIDDEN, INVITATIONS: OK}
ADMIN_PAGES_FOR_OUTSIDER["change"] |= {MEMBERS: INDEX, INVITATIONS: INDEX}
ADMIN_PAGES_FOR_OUTSIDER["history"] |= {MEMBERS: INDEX, INVITATIONS: INDEX}
ADMIN_PAGES_FOR_OUTSIDER["delete"] |= {MEMBERS: INDEX, INVITATIONS: INDEX}
ADMIN_POSTS_FOR_OUTSIDER["changelist"] |= {MEMBERS: "self", INVITATIONS: "self"}
ADMIN_POSTS_FOR_OUTSIDER["change"] |= {MEMBERS: INDEX, INVITATIONS: FORBIDDEN}
ADMIN_POSTS_FOR_OUTSIDER["add"] |= {MEMBERS: FORBIDDEN, INVITATIONS: OK}
ADMIN_POSTS_FOR_OUTSIDER["delete"] |= {MEMBERS: INDEX, INVITATIONS: INDEX}
# Endpoints, for a curator: their facts are theirs to change (not sent, as KEPT), never an
# endpoint to create or delete.
ADMIN_PAGES_FOR_OUTSIDER["changelist"] |= {KEPT_FACTS: OK}
ADMIN_PAGES_FOR_OUTSIDER["add"] |= {KEPT_FACTS: FORBIDDEN}
ADMIN_PAGES_FOR_OUTSIDER["change"] |= {KEPT_FACTS: OK}
ADMIN_PAGES_FOR_OUTSIDER["history"] |= {KEPT_FACTS: OK}
ADMIN_PAGES_FOR_OUTSIDER["delete"] |= {KEPT_FACTS: FORBIDDEN}
ADMIN_POSTS_FOR_OUTSIDER["changelist"] |= {KEPT_FACTS: NOT_SENT}
ADMIN_POSTS_FOR_OUTSIDER["add"] |= {KEPT_FACTS: FORBIDDEN}
ADMIN_POSTS_FOR_OUTSIDER["change"] |= {KEPT_FACTS: NOT_SENT}
ADMIN_POSTS_FOR_OUTSIDER["delete"] |= {KEPT_FACTS: FORBIDDEN}


def expected(visitor: str, visit: Visit, world: World) -> Expect:
    route, name, method = visit.route, visit.route.name, visit.method
    if name in PUBLIC or (name == "presenter" and visit.variant == "right secret"):
        if name == "home" and visit.query:
            return Expect(302, f"/j/{world.room.join_code}/")
        return OK
    if name == "presenter":
        return NOT_FOUND
    if name == "admin:logout":
        # The admin sends whoever is not in the back office to its index; Django's logout
        # takes POST only.
        if visitor not in ACCESS:
            return INDEX
        return OK if method == "POST" else NOT_ALLOWED
    if name in POST_ONLY and method == "GET":
        return NOT_ALLOWED
    # A script's HTTP Basic credentials count on the analyst's routes only.
    signed_in = visitor in ACCESS or (visitor == SCRIPT and name in ANALYST_ROUTES)
    if name in PRIVATE_PAGES:
        return NOT_FOUND if signed_in else LOGIN
    if name == "invitation":
        # Login first; then the link of an invitation addressed to someone else shows
        # nothing of it (403), and a guessed one does not exist (404).
        if not signed_in:
            return LOGIN
        return FORBIDDEN if visit.variant.startswith("right token") else NOT_FOUND
    if name in ANALYST_ROUTES or name == "analytics_request_archive":
        if not signed_in:
            return LOGIN
        # Their own organisation's votes, and nothing once aimed at the first one; nothing
        # at all for whoever has no organisation.
        own = visit.variant == "own" and name != "analytics_archive"
        return OK if own and visitor in (OUTSIDER, SCRIPT) else NOT_FOUND
    assert route.key.startswith("admin/"), f"{route.key}: no expected answer; decide one"
    if not signed_in:
        return Expect(200) if name == "admin:login" else LOGIN
    if name == "admin:app_list":
        app = visit.path.strip("/").split("/")[-1]
        assert app in APPS[visitor], f"{visit}: an app of the back office to decide"
        return APPS[visitor][app]
    if name == "admin:autocomplete":
        return autocomplete_expectation(visit, ACCESS[visitor])
    page = admin_page(route)
    if page is None:
        assert name in SITE_PAGES_FOR_OUTSIDER, f"{route.key}: no expected answer; decide one"
        return SITE_PAGES_FOR_OUTSIDER[name]
    label, kind = page
    assert label in ACCESS[visitor], f"{label}: decide what the {visitor} may do"
    access = ACCESS[visitor][label]
    if kind == "shortcut":
        return Expect(302, visit.path + "change/")
    table = ADMIN_POSTS_FOR_OUTSIDER if method == "POST" else ADMIN_PAGES_FOR_OUTSIDER
    answer = table[kind][access]
    return Expect(302, visit.path) if answer == "self" else answer


def autocomplete_expectation(visit: Visit, access_of: dict) -> Expect:
    if not visit.query:
        return FORBIDDEN  # no source field: the admin refuses
    source = apps.get_model(visit.query["app_label"], visit.query["model_name"])
    target = source._meta.get_field(visit.query["field_name"]).related_model
    access = access_of[f"{target._meta.app_label}/{target._meta.model_name}"]
    # Searching a kind of record is reading it: the answers are scoped like the changelist.
    return FORBIDDEN if access in (NOTHING, UNSEEN) else OK


# Reading what came back -------------------------------------------------------------------


def readable(response) -> str:
    """Everything a response shows: headers that carry text, and the body, decoded."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = " ".join(
        unquote(response.headers.get(name, "")) for name in ("Location", "Content-Disposition")
    )
    return headers + "\n" + decoded(body)


def decoded(body: bytes) -> str:
    if body.startswith(b"PAR1"):
        return str(pq.read_table(io.BytesIO(body)).to_pylist())
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(decoded(archive.read(name)) for name in archive.namelist())
    text = body.decode("utf-8", errors="replace")
    # JSON escapes accents ("\u00e9"), HTML escapes quotes: undo both before searching.
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text)
    return html.unescape(text)


def leaks(text: str, world: World, allowed: frozenset[str] = frozenset()) -> list[str]:
    return [
        name for name, needle in world.needles.items() if needle in text and name not in allowed
    ]


def fingerprint(world: World) -> dict:
    """The first organisation's records, and how many records of each kind there are."""
    counted = [
        Organisation,
        Membership,
        Invitation,
        Script,
        Step,
        Workshop,
        Room,
        Round,
        Vote,
        Answer,
        Proposal,
        Prompt,
        Generation,
        Maker,
        AIModel,
        Endpoint,
        Equivalence,
        Group,
    ]
    return {
        "records": {
            label: type(record).objects.filter(pk=record.pk).values().first()
            for label, record in world.records.items()
            if label != "auth/user"  # its last login moves; counted below
        },
        "counts": {model.__name__: model.objects.count() for model in counted},
    }


def client_for(visitor: str, world: World) -> Client:
    if visitor == OUTSIDER:
        client = Client()
        client.force_login(world.outsider)
        return client
    if visitor in (CURATOR, STAFF):
        client = Client()
        client.force_login(world.curator if visitor == CURATOR else world.staff)
        return client
    if visitor == SCRIPT:
        token = base64.b64encode(f"{world.outsider.username}:{PASSWORD}".encode()).decode()
        return Client(HTTP_AUTHORIZATION=f"Basic {token}")
    return Client()


def visit_once(client: Client, visit: Visit):
    if visit.method == "POST":
        return client.post(visit.path, visit.query)
    return client.get(visit.path, visit.query)


def check(response, expect: Expect) -> str | None:
    """What is wrong with the answer, or None."""
    if response.status_code != expect.status:
        return f"got {response.status_code}, expected {expect}"
    if expect.to is not None:
        location = urlsplit(response.headers.get("Location", ""))
        if location.path != expect.to:
            return f"redirected to {location.path}, expected {expect.to}"
    return None


# The walks --------------------------------------------------------------------------------


def test_the_walk_knows_every_route(world):
    """Every pattern can be filled, and has an answer for each visitor (else: teach the walk)."""
    routes = all_routes()
    # The walk sees the whole back office: each registered model's five pages at least.
    for label in registered_models():
        for page in (
            "",
            "add/",
            "<path:object_id>/change/",
            "<path:object_id>/delete/",
            "<path:object_id>/history/",
        ):
            assert any(r.key == f"admin/{label}/{page}" for r in routes), (label, page)
    for route in routes:
        for visit in visits_of(world, route):
            for visitor in VISITORS:
                expected(visitor, visit, world)


def test_a_route_the_walk_cannot_fill_fails_it(world):
    route = Route(
        "ateliers/<int:pk>/salles/<str:room_slug>/",
        "new_page",
        (RoutePattern("ateliers/<int:pk>/salles/<str:room_slug>/"),),
    )
    with pytest.raises(AssertionError, match="room_slug"):
        argument_sets(world, route)


@pytest.mark.parametrize("visitor", VISITORS)
def test_nobody_outside_gets_anything_of_the_organisation(world, visitor):
    before = fingerprint(world)
    problems = []
    visited = 0
    for route in all_routes():
        for visit in visits_of(world, route):
            expect = expected(visitor, visit, world)
            if expect == NOT_SENT:
                continue
            response = visit_once(client_for(visitor, world), visit)
            visited += 1
            wrong = check(response, expect)
            if wrong:
                problems.append(f"{visit}: {wrong}")
            leaked = leaks(readable(response), world, visit.allowed)
            if leaked:
                problems.append(f"{visit}: shows the organisation's {', '.join(leaked)}")
    for path in STATIC_FILES:
        response = client_for(visitor, world).get(path)
        if response.status_code != 200:
            problems.append(f"GET {path}: got {response.status_code}, expected 200")
        if leaks(readable(response), world):
            problems.append(f"GET {path}: shows the organisation's data")
    assert not problems, f"{len(problems)} of {visited} visits went wrong:\n" + "\n".join(problems)
    # Nothing was written into, or taken out of, the first organisation.
    assert fingerprint(world) == before
    assert visited > 200  # the walk really walked


def test_the_walk_aims_at_the_organisation_s_records(world, superuser, client):
    """The same URLs, for people entitled to them, do show the texts the walk looks for:
    the walk is aimed at the organisation's records, and its search would see them."""
    client.force_login(superuser)
    shown = {}
    for label, record in world.records.items():
        app, model = label.split("/")
        response = client.get(f"/admin/{app}/{model}/{record.pk}/change/")
        assert response.status_code == 200, label
        shown[label] = readable(response)
    assert world.org.name in shown["workshop/organisation"]
    assert world.workshop.title in shown["workshop/workshop"]
    assert world.room.name in shown["workshop/room"]
    assert world.room.join_code in shown["workshop/room"]
    assert NOTES in shown["workshop/script"]
    assert ASKED in shown["duels/prompt"]
    assert LIVE_ANSWER in shown["duels/generation"]
    assert world.owner.email in shown["auth/user"]
    assert INVITED in shown["workshop/invitation"]

    owner = Client()
    owner.force_login(world.owner)
    panel = readable(owner.get(f"/ateliers/{world.workshop.pk}/animation/"))
    assert world.workshop.title in panel and world.room.join_code in panel
    votes = readable(owner.get("/analyse/telecharger/votes.csv"))
    assert COMMENT in votes
    archive = owner.get(f"/analyse/archives/{world.export_id}.zip")
    assert archive.status_code == 200 and COMMENT in readable(archive)
    presenter = readable(Client().get(f"/presentateur/{world.room.presenter_secret}/"))
    assert world.room.join_code in presenter
    # The outsider's own pages show their own records: the empty pages above are scoped,
    # not broken.
    outsider = client_for(OUTSIDER, world)
    assert world.own_workshop.title in readable(outsider.get("/admin/workshop/workshop/"))
    assert world.own_workshop.title in readable(outsider.get("/analyse/"))
    # The curator's pages of the catalogue list its answers: scoped, not emptied.
    curator = client_for(CURATOR, world)
    answers = readable(curator.get("/admin/duels/generation/"))
    assert f"/admin/duels/generation/{world.round.generation_a_id}/change/" in answers


# The WebSocket routes ---------------------------------------------------------------------

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
REFUSED = 4403  # workshop/consumers.py: FORBIDDEN


def cookie(name: str, value: str) -> tuple[bytes, bytes]:
    return (b"cookie", f"{name}={value}".encode())


@dataclass
class Attempt:
    kwargs: dict
    headers: list
    accepted: bool  # True only for the controls: the outsider's own room or workshop
    why: str


def websocket_attempts(org_room, own_room, outsider_session, phone_of_org, phone_of_own):
    """For each WebSocket route: what an outsider may try, and the control that succeeds."""
    org_workshop, own_workshop = org_room.workshop, own_room.workshop
    return {
        "ws/salle/<str:code>/": [
            Attempt({"code": org_room.join_code}, [], False, "no participant cookie"),
            Attempt(
                {"code": org_room.join_code},
                [outsider_session],
                False,
                "a logged-in outsider is not a participant",
            ),
            Attempt(
                {"code": org_room.join_code},
                [phone_of_own],
                False,
                "a participant of another organisation's room",
            ),
            Attempt({"code": own_room.join_code}, [phone_of_own], True, "control: own room"),
        ],
        "ws/presentateur/<str:secret>/": [
            Attempt(
                {"secret": org_room.presenter_secret[:-4] + "abcd"},
                [outsider_session],
                False,
                "a guessed secret",
            ),
            Attempt({"secret": org_room.join_code}, [], False, "the join code is no secret"),
            Attempt({"secret": own_room.presenter_secret}, [], True, "control: own room"),
        ],
        "ws/animation/<int:pk>/": [
            Attempt(
                {"pk": org_workshop.pk},
                [outsider_session],
                False,
                "an admin of another organisation",
            ),
            Attempt({"pk": org_workshop.pk}, [], False, "anonymous"),
            Attempt(
                {"pk": org_workshop.pk},
                [phone_of_org],
                False,
                "a participant of the organisation's own room",
            ),
            Attempt({"pk": own_workshop.pk}, [outsider_session], True, "control: own workshop"),
        ],
    }


@pytest.mark.django_db(transaction=True)
def test_no_websocket_route_lets_an_outsider_in(org, owner, outsider, script, workshop, room):
    own_script = Script.objects.create(
        organisation=outsider.memberships.get().organisation, slug="brest", title="Brest"
    )
    own_workshop = Workshop.objects.create(
        organisation=own_script.organisation, script=own_script, title="Atelier de Brest"
    )
    own_room = Room.objects.create_with_code(workshop=own_workshop, name="Salle du port")
    Step.objects.filter(script=script, order=1).update(speaker_notes=NOTES)
    live.transition(workshop.pk, "next_step")  # the organisation's workshop is running
    session = Client()
    session.force_login(outsider)
    outsider_session = cookie(
        settings.SESSION_COOKIE_NAME, session.cookies[settings.SESSION_COOKIE_NAME].value
    )
    phone_of_org = cookie(participants.COOKIE, participants.join(room, None).token)
    phone_of_own = cookie(participants.COOKIE, participants.join(own_room, None).token)
    needles = [
        org.name,
        workshop.title,
        script.title,
        NOTES,
        room.name,
        room.join_code,
        room.presenter_secret,
    ]
    attempts = websocket_attempts(room, own_room, outsider_session, phone_of_org, phone_of_own)

    async def attempt(route, tried: Attempt):
        path = "/" + ROUTE_ARGUMENT.sub(lambda m: str(tried.kwargs[m[1]]), route)
        communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, *tried.headers])
        connected, code = await communicator.connect(timeout=5)
        state = None
        if connected:
            state = await communicator.receive_json_from(timeout=5)
        # Refused or not, the consumer ends before the test's event loop does.
        await communicator.disconnect()
        return connected, code, state

    async def walk():
        problems = []
        for pattern in websocket_urlpatterns:
            route = str(pattern.pattern)
            assert route in attempts, f"{route}: a WebSocket route the walk does not know"
            names = set(ROUTE_ARGUMENT.findall(route))
            for tried in attempts[route]:
                assert set(tried.kwargs) == names, f"{route}: fill {names}"
                connected, code, state = await attempt(route, tried)
                if connected != tried.accepted:
                    problems.append(f"{route} ({tried.why}): connected={connected}")
                elif not connected and code != REFUSED:
                    problems.append(f"{route} ({tried.why}): closed with {code}")
                shown = json.dumps(state, ensure_ascii=False) if state else ""
                if any(needle in shown for needle in needles):
                    problems.append(f"{route} ({tried.why}): shows the organisation's data")
        return problems

    problems = asyncio.run(walk())
    assert not problems, "\n".join(problems)
    # Nothing of the organisation's workshop moved for the attempts.
    phase = asyncio.run(
        database_sync_to_async(lambda: Workshop.objects.get(pk=workshop.pk).phase)()
    )
    assert phase == live.SLIDE
