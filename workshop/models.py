"""Where people are: organisations, memberships, scripts and their steps, workshops, rooms.

Rounds, participants and votes come with the live duel.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from duels.models import AIModel, Generation, Prompt
from workshop import joincodes, slide_images


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrateur")
    FACILITATOR = "facilitator", _("Animateur")
    ANALYST = "analyst", _("Analyste")


class Language(models.TextChoices):
    FRENCH = "fr", _("Français")
    ENGLISH = "en", _("English")


class OrganisationQuerySet(models.QuerySet):
    def for_user(self, user):
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user).distinct()


class Organisation(models.Model):
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), unique=True)
    export_free_text = models.BooleanField(
        _("exporter les commentaires des participants"),
        default=False,
        help_text=_("Sinon, aucun texte écrit par un participant ne quitte la plateforme."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("utilisateur"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "user__username"]
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_membership_per_user_and_organisation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} ({self.get_role_display()})"


class Invitation(models.Model):
    """An organisation's invitation to one e-mail address: the person who holds that
    address's account accepts it by its link, and becomes a member with this role.

    The link's token is shown once to the admin who invites (and e-mailed); only its
    SHA-256 digest is kept (workshop/invitations.py)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("adresse e-mail"))
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("invité par"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"), editable=False)
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("acceptée par"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} · {self.organisation}"


class Script(models.Model):
    """The running order of a workshop. Without an organisation, a shared template."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scripts",
        verbose_name=_("organisation"),
        help_text=_("Vide : modèle partagé par toutes les organisations."),
    )
    slug = models.SlugField(_("identifiant"), max_length=100)
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("langue"), max_length=5, choices=Language.choices, default=Language.FRENCH
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("déroulé")
        verbose_name_plural = _("déroulés")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="script_slug_unique_in_organisation"
            ),
            models.UniqueConstraint(
                fields=["slug"],
                condition=Q(organisation__isnull=True),
                name="shared_script_slug_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Step(models.Model):
    class Kind(models.TextChoices):
        SLIDE = "slide", _("Diapositive")
        DUEL = "duel", _("Duel")
        QUESTION = "question", _("Question à la salle")
        FINALE = "finale", _("Finale")

    class PairMode(models.TextChoices):
        MANUAL = "manual", _("Choisis")
        RANDOM = "random", _("Au hasard")
        DAVID_GOLIATH = "david_goliath", _("David contre Goliath")
        FRUGAL = "frugal", _("Frugal (deux petits modèles)")

    class QuestionKind(models.TextChoices):
        POLL = "poll", _("Sondage à choix")
        OPEN = "open", _("Réponse libre courte")

    script = models.ForeignKey(
        Script, on_delete=models.CASCADE, related_name="steps", verbose_name=_("déroulé")
    )
    order = models.PositiveIntegerField(_("ordre"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte (Markdown)"), blank=True)
    speaker_notes = models.TextField(
        _("notes de l'animateur"), blank=True, help_text=_("Visibles seulement de l'animateur.")
    )
    image_url = models.CharField(
        _("image"),
        max_length=500,
        blank=True,
        validators=[slide_images.validate],
        help_text=_(
            "Facultative. Un fichier servi par la plateforme (/static/…), ou d'un hôte "
            "que l'hébergeur autorise."
        ),
    )
    image_alt = models.CharField(
        _("description de l'image"),
        max_length=300,
        blank=True,
        help_text=_("Lue par les lecteurs d'écran : ce que l'image montre."),
    )
    prompt = models.ForeignKey(
        Prompt,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="steps",
        verbose_name=_("question posée aux modèles"),
    )
    pair_mode = models.CharField(
        _("choix des modèles"), max_length=20, choices=PairMode.choices, default=PairMode.MANUAL
    )
    model_a = models.ForeignKey(
        AIModel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("premier modèle"),
        help_text=_("Lequel sera « Modèle A » est tiré au sort à chaque atelier."),
    )
    model_b = models.ForeignKey(
        AIModel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("second modèle"),
    )
    question_kind = models.CharField(
        _("type de question"), max_length=10, choices=QuestionKind.choices, blank=True
    )
    choices = models.TextField(_("choix proposés"), blank=True, help_text=_("Un par ligne."))

    class Meta:
        ordering = ["script", "order"]
        verbose_name = _("étape")
        verbose_name_plural = _("étapes")
        constraints = [
            models.UniqueConstraint(fields=["script", "order"], name="step_order_unique_in_script"),
            models.CheckConstraint(
                condition=~Q(kind="duel") | Q(prompt__isnull=False), name="duel_step_has_prompt"
            ),
            models.CheckConstraint(
                condition=Q(model_a__isnull=True)
                | Q(model_b__isnull=True)
                | ~Q(model_a=models.F("model_b")),
                name="duel_step_models_differ",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class WorkshopQuerySet(models.QuerySet):
    def for_user(self, user):
        if user.is_superuser:
            return self
        return self.filter(organisation__memberships__user=user).distinct()

    def upcoming(self):
        return self.filter(status__in=[Workshop.Status.DRAFT, Workshop.Status.SCHEDULED])


class Workshop(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SCHEDULED = "scheduled", _("Programmé")
        LIVE = "live", _("En cours")
        FINISHED = "finished", _("Terminé")
        CANCELLED = "cancelled", _("Annulé")

    class VoteMode(models.TextChoices):
        PHONES = "phones", _("Sur téléphone")
        HANDS = "hands", _("À main levée")
        MIXED = "mixed", _("Les deux")

    class Audience(models.TextChoices):
        SCHOOL = "school", _("Scolaires")
        LIBRARY = "library", _("Public de médiathèque")
        WORKPLACE = "workplace", _("Salariés, agents")
        GENERAL = "general", _("Grand public")
        OTHER = "other", _("Autre")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="workshops",
        verbose_name=_("organisation"),
    )
    script = models.ForeignKey(
        Script, on_delete=models.PROTECT, related_name="workshops", verbose_name=_("déroulé")
    )
    title = models.CharField(_("titre"), max_length=200)
    starts_at = models.DateTimeField(_("début"), null=True, blank=True)
    ends_at = models.DateTimeField(_("fin"), null=True, blank=True)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="facilitated_workshops",
        verbose_name=_("animateurs"),
    )
    audience = models.CharField(
        _("public"), max_length=20, choices=Audience.choices, default=Audience.GENERAL
    )
    language = models.CharField(
        _("langue"), max_length=5, choices=Language.choices, default=Language.FRENCH
    )
    vote_mode = models.CharField(
        _("mode de vote"), max_length=10, choices=VoteMode.choices, default=VoteMode.PHONES
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    current_step = models.ForeignKey(
        Step,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("étape en cours"),
    )
    # The live state machine (workshop/live.py) owns these fields and their values.
    phase = models.CharField(_("phase"), max_length=20, default="lobby", editable=False)
    phase_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepts_proposals = models.BooleanField(
        _("les participants peuvent proposer des questions"),
        default=False,
        help_text=_("L'animateur choisit parmi elles celles qui seront posées en direct."),
    )
    # A question asked live: its duel is played in place of the current step's.
    live_round = models.ForeignKey(
        "Round",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkshopQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-created_at"]
        verbose_name = _("atelier")
        verbose_name_plural = _("ateliers")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gte=models.F("starts_at")),
                name="workshop_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RoomManager(models.Manager):
    def create_with_code(self, **fields) -> "Room":
        return self.save_new(self.model(**fields))

    def save_new(self, room: "Room") -> "Room":
        """Save a new room with a fresh join code, drawing again on the rare collision."""
        for _attempt in range(10):
            room.join_code = joincodes.new_code()
            if self.filter(join_code=room.join_code).exists():
                continue
            try:
                with transaction.atomic():
                    room.save(force_insert=True)
                return room
            except IntegrityError:
                # Another room took the same code between the check and the insert.
                if not self.filter(join_code=room.join_code).exists():
                    raise
        raise RuntimeError("could not draw a free join code")


class Room(models.Model):
    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("atelier")
    )
    name = models.CharField(_("nom"), max_length=100, default=_("Salle principale"))
    join_code = models.CharField(
        _("code pour rejoindre"), max_length=joincodes.LENGTH, unique=True, editable=False
    )
    presenter_secret = models.CharField(
        max_length=64, unique=True, editable=False, default=joincodes.new_presenter_secret
    )
    capacity = models.PositiveIntegerField(
        _("capacité"), default=300, validators=[MinValueValidator(1)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoomManager()

    class Meta:
        ordering = ["workshop", "name"]
        verbose_name = _("salle")
        verbose_name_plural = _("salles")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="room_capacity_positive"),
            models.CheckConstraint(
                condition=Q(join_code__regex=r"^[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{6}$"),
                name="room_join_code_alphabet",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workshop} · {self.name}"


class Round(models.Model):
    """A duel played in a workshop: its two answers, and which one is "Modèle A".

    Created when the workshop is prepared; A and B are drawn at random then, and kept.
    The live duel adds its phase, votes and reveal.
    """

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="rounds", verbose_name=_("atelier")
    )
    step = models.ForeignKey(
        Step,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rounds",
        verbose_name=_("étape"),
        help_text=_("Vide pour une question posée en direct."),
    )
    generation_a = models.ForeignKey(
        Generation, on_delete=models.PROTECT, related_name="+", verbose_name=_("réponse A")
    )
    generation_b = models.ForeignKey(
        Generation, on_delete=models.PROTECT, related_name="+", verbose_name=_("réponse B")
    )
    # Both answers come from the one local model (no cloud key): every screen says so.
    offline_demo = models.BooleanField(_("démo hors-ligne"), default=False)
    # The live duel (workshop/live.py owns these): when each phase began, and the outcome.
    question_at = models.DateTimeField(null=True, blank=True)
    answers_at = models.DateTimeField(null=True, blank=True)
    replay_skipped = models.BooleanField(default=False)
    # Which page of the answers the projectors show: the facilitator pages them from the
    # panel, nobody touches the projector's machine (a page is what fits on that screen).
    answers_page = models.PositiveSmallIntegerField(default=0)
    vote_opened_at = models.DateTimeField(null=True, blank=True)
    vote_closed_at = models.DateTimeField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    winner = models.CharField(
        _("préféré par la salle"),
        max_length=10,
        blank=True,
        choices=[("a", "A"), ("b", "B"), ("tie", _("égalité"))],
    )
    # A duel tied in the room goes to the finale as the facilitator settles it: one side,
    # or both (live.settle); empty while unsettled, and for a duel with a winner.
    finalists = models.CharField(
        _("en finale"),
        max_length=2,
        blank=True,
        choices=[("a", "A"), ("b", "B"), ("ab", _("A et B"))],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workshop", "step__order", "created_at"]
        verbose_name = _("duel joué")
        verbose_name_plural = _("duels joués")
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "step"],
                condition=Q(step__isnull=False),
                name="one_round_per_duel_step",
            ),
            models.CheckConstraint(
                condition=~Q(generation_a=models.F("generation_b")),
                name="round_answers_differ",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workshop} · {self.step or _('question en direct')}"

    @property
    def generations(self) -> list[Generation]:
        return [self.generation_a, self.generation_b]

    @property
    def sides(self) -> list[tuple[str, Generation]]:
        return [("A", self.generation_a), ("B", self.generation_b)]


class Participant(models.Model):
    """Someone in a room, anonymous: a secret token in a cookie, nothing personal.

    Only the token's digest is stored, so the database alone cannot act as a phone.
    """

    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="participants", verbose_name=_("salle")
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    removed_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    # A phone played by `simulate_workshop`: left out of exports and rankings by default.
    simulated = models.BooleanField(_("simulé"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return f"{self.room} · #{self.pk}"


class Vote(models.Model):
    """One participant's preference in one round, changeable until the vote closes.

    The reasons are compar:IA's, per side; comments stay on the platform unless the
    organisation chooses otherwise.
    """

    class Choice(models.TextChoices):
        A = "a", _("Modèle A")
        B = "b", _("Modèle B")
        BOTH_EQUAL = "both_equal", _("Égalité")

    POSITIVE_REASONS = ["useful", "complete", "creative", "clear_formatting"]
    NEGATIVE_REASONS = ["incorrect", "superficial", "instructions_not_followed"]
    REASONS = POSITIVE_REASONS + NEGATIVE_REASONS

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    choice = models.CharField(_("choix"), max_length=10, choices=Choice.choices)
    # {"a": ["useful", ...], "b": [...]}: names from REASONS only (checked by live.py).
    reasons = models.JSONField(_("raisons"), default=dict, blank=True)
    comment_a = models.TextField(_("commentaire sur A"), blank=True)
    comment_b = models.TextField(_("commentaire sur B"), blank=True)
    # The phone's id for this version of its vote: a re-sent vote is recognised.
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "participant"], name="one_vote_per_participant_and_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.participant_id} · {self.choice}"


class HandCount(models.Model):
    """Raised hands counted in a room for one duel: kept as counts, never as invented votes.

    They count in the results exactly like phone votes; a room may have both.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="hand_counts")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="hand_counts")
    a = models.PositiveIntegerField(_("mains pour A"), default=0)
    b = models.PositiveIntegerField(_("mains pour B"), default=0)
    both_equal = models.PositiveIntegerField(_("mains pour égalité"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("compte de mains levées")
        verbose_name_plural = _("comptes de mains levées")
        constraints = [
            models.UniqueConstraint(fields=["round", "room"], name="one_hand_count_per_room"),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.room}: {self.a}/{self.b}/{self.both_equal}"


class Answer(models.Model):
    """A participant's answer to a question step (a poll's choice or a short text), or
    their choice in the finale."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="answers")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="answers")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="answers")
    choice = models.PositiveIntegerField(_("choix"), null=True, blank=True)
    text = models.TextField(_("réponse libre"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("réponse à une question")
        verbose_name_plural = _("réponses aux questions")
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "step", "participant"], name="one_answer_per_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} · {self.participant_id}"


class Proposal(models.Model):
    """A question a participant proposes from their phone, for the facilitator to ask live."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        APPROVED = "approved", _("Retenue")
        REJECTED = "rejected", _("Écartée")
        ASKED = "asked", _("Posée")

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="proposals")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="proposals")
    text = models.CharField(_("question proposée"), max_length=500)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("question proposée")
        verbose_name_plural = _("questions proposées")

    def __str__(self) -> str:
        return self.text[:60]
