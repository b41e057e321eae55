import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from duels import generation as fetching
from duels.models import AIModel
from workshop import invitations, joincodes, participants, screen_text, tenancy
from workshop.models import Room, Round, Workshop
from workshop.preparation import prepare, progress, swap_model


def _no_such_room(request: HttpRequest, code: str) -> HttpResponse:
    """A code that names no room: counted against the address, and past its limit
    refused for a while (429) without saying whether the code exists."""
    if participants.guessing_too_much(request.META.get("REMOTE_ADDR", "")):
        reason = _("Trop de codes inconnus depuis ce réseau : réessayez dans une minute.")
        return render(request, "workshop/refused.html", {"reason": reason}, status=429)
    return render(
        request,
        "workshop/home.html",
        {"code": code, "refusal": _("Aucune salle ne porte ce code. Vérifiez-le.")},
        status=404,
    )


def home(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "").strip()
    if code:
        if participants.find_room(code) is None:
            return _no_such_room(request, code)
        return redirect("join", code=joincodes.normalise(code))
    return render(request, "workshop/home.html")


def join(request: HttpRequest, code: str) -> HttpResponse:
    """A phone joins a room: the same phone coming back is the same participant."""
    room = participants.find_room(code)
    if room is None:
        return _no_such_room(request, code)
    joined = participants.join(
        room, request.COOKIES.get(participants.COOKIE), request.META.get("REMOTE_ADDR", "")
    )
    if joined.participant is None:
        status = 429 if joined.retry_later else 403
        return render(request, "workshop/refused.html", {"reason": joined.refusal}, status=status)
    response = _render_live(
        request,
        "workshop/participant.html",
        room.workshop,
        {"room": room, "audience": "participant", "socket_path": f"/ws/salle/{room.join_code}/"},
    )
    response.set_cookie(
        participants.COOKIE,
        joined.token,
        max_age=participants.COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _render_live(request, template: str, workshop: Workshop, context: dict) -> HttpResponse:
    """A live page, in its workshop's language, with the words of its script."""
    with translation.override(workshop.language):
        context |= {
            "language": workshop.language,
            "screen_text": screen_text.for_language(workshop.language),
        }
        return render(request, template, context)


@xframe_options_sameorigin  # the control panel shows it as a miniature
def presenter(request: HttpRequest, secret: str) -> HttpResponse:
    """The projector's page of a room: by secret link, no login."""
    room = get_object_or_404(Room.objects.select_related("workshop"), presenter_secret=secret)
    join_url = request.build_absolute_uri(reverse("join", args=[room.join_code]))
    qr = segno.make(join_url, error="m").svg_inline(
        scale=8, dark="#161616", light="#ffffff", omitsize=True
    )
    return _render_live(
        request,
        "workshop/presenter.html",
        room.workshop,
        {
            "room": room,
            "join_url": join_url,
            # What latecomers type: the site's address, then the code on its home page.
            "site": request.get_host(),
            "qr_svg": mark_safe(qr),  # noqa: S308 - segno's own SVG of our own URL
            "audience": "presenter",
            "socket_path": f"/ws/presentateur/{room.presenter_secret}/",
        },
    )


@login_required
def control_panel(request: HttpRequest, pk: int) -> HttpResponse:
    workshop = _workshop_to_run(request, pk)
    rooms = [
        {
            "room": room,
            "presenter_url": request.build_absolute_uri(
                reverse("presenter", args=[room.presenter_secret])
            ),
        }
        for room in workshop.rooms.all()
    ]
    return _render_live(
        request,
        "workshop/control_panel.html",
        workshop,
        {
            "workshop": workshop,
            "rooms": rooms,
            "audience": "facilitator",
            "socket_path": f"/ws/animation/{workshop.pk}/",
        },
    )


def _workshop_to_run(request: HttpRequest, pk: int) -> Workshop:
    """The workshop, if the user may run it (facilitator or admin of its organisation)."""
    workshop = get_object_or_404(Workshop.objects.select_related("organisation", "script"), pk=pk)
    if not tenancy.may(request.user, tenancy.CHANGE, "workshop", workshop.organisation_id):
        raise Http404  # an outsider learns nothing, not even that it exists
    return workshop


@login_required
def preparation(request: HttpRequest, pk: int) -> HttpResponse:
    workshop = _workshop_to_run(request, pk)
    rounds = workshop.rounds.filter(step__isnull=False).select_related(
        "step", "generation_a__model", "generation_b__model"
    )
    context = {
        "workshop": workshop,
        "rounds": rounds,
        "progress": progress(workshop),
        "models": AIModel.objects.enabled().select_related("maker"),
    }
    template = "workshop/_preparation.html" if request.htmx else "workshop/preparation.html"
    return render(request, template, context)


@require_POST
@login_required
def prepare_answers(request: HttpRequest, pk: int) -> HttpResponse:
    workshop = _workshop_to_run(request, pk)
    result = prepare(workshop)
    messages.info(
        request,
        _("%(queued)d réponses en file, %(reused)d déjà prêtes ou en cours.")
        % {"queued": result.queued, "reused": result.reused},
    )
    for reason in result.skipped:
        messages.warning(request, reason)
    return redirect("preparation", pk=workshop.pk)


def _round_of(workshop: Workshop, round_pk: int) -> Round:
    return get_object_or_404(Round, pk=round_pk, workshop=workshop)


@require_POST
@login_required
def retry_answer(request: HttpRequest, pk: int, round_pk: int, side: str) -> HttpResponse:
    round_ = _round_of(_workshop_to_run(request, pk), round_pk)
    if side not in ("a", "b"):
        raise Http404
    fetching.retry(getattr(round_, f"generation_{side}"))
    return redirect("preparation", pk=pk)


@require_POST
@login_required
def swap_answer(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    round_ = _round_of(_workshop_to_run(request, pk), round_pk)
    side = request.POST.get("side", "")
    if side not in ("a", "b"):
        messages.error(request, _("Choisissez un côté et un modèle du catalogue."))
        return redirect("preparation", pk=pk)
    # Without a model chosen, the same model again (with "fresh": a new answer from it).
    slug = request.POST.get("model") or getattr(round_, f"generation_{side}").model.slug
    model = AIModel.objects.enabled().filter(slug=slug).first()
    if model is None:
        messages.error(request, _("Choisissez un côté et un modèle du catalogue."))
        return redirect("preparation", pk=pk)
    try:
        swap_model(round_, side, model, fresh=request.POST.get("fresh") == "1")
    except ValueError as error:
        messages.error(request, str(error))
    return redirect("preparation", pk=pk)


@require_http_methods(["GET", "POST"])
@login_required
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation's link: its account sees what it is for, and accepts it (POST)."""
    found = invitations.find(token)
    if found is None:
        return _invitation_refused(
            request, 404, _("Cette invitation n'existe pas : vérifiez le lien reçu.")
        )
    if not invitations.is_for(found, request.user):
        # Nothing of the invitation for another account: not its organisation, nor its state.
        return _invitation_refused(
            request,
            403,
            _(
                "Cette invitation est adressée à une autre adresse e-mail que celle de votre "
                "compte. Connectez-vous avec le compte de l'adresse invitée."
            ),
        )
    if found.accepted_at is not None:
        return _invitation_refused(request, 410, _("Cette invitation a déjà été acceptée."))
    if not invitations.is_open(found):
        return _invitation_refused(
            request,
            410,
            _("Cette invitation a expiré : demandez-en une nouvelle à l'organisation."),
        )
    if request.method == "POST":
        if invitations.accept(found, request.user) is None:
            return _invitation_refused(request, 410, _("Cette invitation a déjà été acceptée."))
        messages.success(
            request,
            _("Vous êtes membre de %(organisation)s.") % {"organisation": found.organisation},
        )
        return redirect("admin:index")
    return render(request, "workshop/invitation.html", {"invitation": found})


def _invitation_refused(request: HttpRequest, status: int, reason: str) -> HttpResponse:
    return render(request, "workshop/invitation.html", {"reason": reason}, status=status)
