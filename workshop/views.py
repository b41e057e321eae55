from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duels import generation as fetching
from duels.models import AIModel
from workshop import tenancy
from workshop.models import Round, Workshop
from workshop.preparation import prepare, progress, swap_model


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "workshop/home.html")


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
