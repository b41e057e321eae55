"""The analyst's pages: votes as a dataset, and the leaderboard. Thin: the rules live in
workshop/dataset.py, workshop/exports.py, workshop/leaderboard.py and workshop/tenancy.py.

Everything is scoped by `_organisations` (tenancy.organisations_for): an organisation
the user may not export, a workshop of one, an export of another user are all 404. The
votes (page, downloads, archives) are for analysts and admins (tenancy's "dataset");
the leaderboard, rankings without a comment, for every member of the organisation.
Scripts may download with their session or with HTTP Basic credentials.
"""

import base64
import binascii
import tempfile
from datetime import date

from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.views import redirect_to_login
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duels.models import AIModel
from workshop import dataset, dataset_files, exports, leaderboard, tenancy
from workshop.models import Language, Organisation, Workshop


def _user(request: HttpRequest):
    """The session's user, or the one named by HTTP Basic credentials (for scripts)."""
    if request.user.is_authenticated:
        return request.user
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            username, _sep, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user = authenticate(request, username=username, password=password)
        if user is not None and user.is_active:
            return user
    return None


def _organisations(user, what: str = tenancy.DATASET):
    organisations = tenancy.organisations_for(user, tenancy.VIEW, what)
    if not user.is_superuser and not organisations.exists():
        raise Http404
    return organisations


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _selection(params: QueryDict, user) -> dataset.Selection:
    """The filters of a query string or form, within what the user may see; 404 beyond it."""
    allowed = _organisations(user)
    slug = params.get("organisation", "")
    if slug:
        organisation = allowed.filter(slug=slug).first()
        if organisation is None:
            raise Http404
        organisation_ids = (organisation.pk,)
    elif user.is_superuser:
        organisation_ids = None
    else:
        organisation_ids = tuple(allowed.values_list("pk", flat=True))
    workshop_ids = tuple(int(i) for i in params.getlist("workshop") if i.isdigit())
    if workshop_ids:
        visible = Workshop.objects.filter(pk__in=workshop_ids)
        if organisation_ids is not None:
            visible = visible.filter(organisation_id__in=organisation_ids)
        if visible.count() != len(set(workshop_ids)):
            raise Http404
    return dataset.Selection(
        organisation_ids=organisation_ids,
        since=_date(params.get("since", "")),
        until=_date(params.get("until", "")),
        workshop_ids=workshop_ids,
        model_slugs=tuple(m for m in params.getlist("model") if m),
        language=params.get("language", ""),
        include_simulated=params.get("simulated") == "1",
    )


def _login_or_401(request: HttpRequest):
    if request.headers.get("Authorization"):
        response = HttpResponse(_("Identifiants refusés."), status=401)
        response["WWW-Authenticate"] = 'Basic realm="duels"'
        return response
    return redirect_to_login(request.get_full_path())


def analytics(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user is None:
        return _login_or_401(request)
    organisations = _organisations(user)
    selection = _selection(request.GET, user)
    workshops = Workshop.objects.select_related("organisation").order_by("-starts_at", "title")
    if not user.is_superuser:
        workshops = workshops.filter(organisation__in=organisations)
    query = request.GET.urlencode()
    votes = dataset.count("votes", selection)
    return render(
        request,
        "analytics/analytics.html",
        {
            "organisations": organisations,
            "workshops": workshops,
            "models": AIModel.objects.order_by("name"),
            "languages": Language.choices,
            "selection": selection,
            "chosen_workshops": set(selection.workshop_ids),
            "chosen_models": set(selection.model_slugs),
            "filters": request.GET,
            "query": query,
            "votes": votes,
            "hand_counts": dataset.count("tallies", selection),
            "direct": votes <= exports.DIRECT_LIMIT,
            "tables": dataset.TABLES,
            "formats": list(dataset_files.FORMATS),
            "exports": exports.list_for(user),
        },
    )


def download(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """One table, in one format, for the filters of the query string: streamed."""
    if table not in dataset.TABLES or fmt not in dataset_files.FORMATS:
        raise Http404
    user = _user(request)
    if user is None:
        return _login_or_401(request)
    selection = _selection(request.GET, user)
    filename = f"{table}{dataset_files.FORMATS[fmt]}"
    if fmt == "parquet":
        # Parquet ends with its footer: written to a temporary file, then sent.
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        dataset_files.write_table(table, selection, fmt, spool)
        spool.seek(0)
        return FileResponse(
            spool,
            as_attachment=True,
            filename=filename,
            content_type=dataset_files.CONTENT_TYPES[fmt],
        )
    response = StreamingHttpResponse(
        dataset_files.stream_text(table, selection, fmt),
        content_type=dataset_files.CONTENT_TYPES[fmt],
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
def request_archive(request: HttpRequest) -> HttpResponse:
    """Every table and the card in one archive, prepared in the background."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    selection = _selection(request.POST, request.user)
    fmt = request.POST.get("format", "parquet")
    if fmt not in dataset_files.FORMATS:
        raise Http404
    exports.request_export(request.user, selection, fmt)
    messages.success(
        request, _("L'archive se prépare : elle apparaîtra dans la liste une fois prête.")
    )
    return redirect("analytics")


def archive(request: HttpRequest, export_id: str) -> HttpResponse:
    user = _user(request)
    if user is None:
        return _login_or_401(request)
    path = exports.archive_for(user, export_id)
    if path is None:
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"votes-{export_id}.zip")


def _board_scope(request: HttpRequest, user) -> tuple[Organisation | None, list]:
    organisations = list(_organisations(user, "workshop"))
    slug = request.GET.get("organisation", "")
    if slug:
        chosen = next((o for o in organisations if o.slug == slug), None)
        if chosen is None:
            raise Http404
        return chosen, organisations
    if user.is_superuser:
        return None, organisations
    return organisations[0], organisations


def leaderboard_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user is None:
        return _login_or_401(request)
    organisation, organisations = _board_scope(request, user)
    board = leaderboard.board(organisation.pk if organisation else None)
    return render(
        request,
        "analytics/leaderboard.html",
        {
            "board": board,
            "organisation": organisation,
            "organisations": organisations,
            "query": request.GET.urlencode(),
            "may_export": tenancy.may_anywhere(user, tenancy.VIEW, tenancy.DATASET),
        },
    )


def leaderboard_chart(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user is None:
        return _login_or_401(request)
    organisation, _others = _board_scope(request, user)
    board = leaderboard.board(organisation.pk if organisation else None)
    return HttpResponse(leaderboard.chart_svg(board), content_type="image/svg+xml")
