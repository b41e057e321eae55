"""Inviting someone into an organisation: a link for one e-mail address, accepted by the
account of that address once logged in.

Nothing here tells whether an account exists for an address: inviting looks no account
up, and only the account the invitation is addressed to learns what it is for. The link's
token is shown once and e-mailed; the database keeps its SHA-256 digest only, as it does
for the phones' tokens (workshop/participants.py).
"""

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workshop.models import Invitation, Membership

logger = logging.getLogger(__name__)

VALID_FOR = timedelta(days=14)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(invitation: Invitation, invited_by) -> str:
    """Save a new invitation (organisation, e-mail and role set) and return its token."""
    token = secrets.token_urlsafe(32)
    invitation.email = invitation.email.strip()
    invitation.token_digest = digest(token)
    invitation.invited_by = invited_by
    invitation.expires_at = timezone.now() + VALID_FOR
    invitation.save()
    logger.info(
        "invitation created",
        extra={"organisation": invitation.organisation_id, "invitation": invitation.pk},
    )
    return token


def find(token: str) -> Invitation | None:
    if not token:
        return None
    return (
        Invitation.objects.select_related("organisation").filter(token_digest=digest(token)).first()
    )


def is_for(invitation: Invitation, user) -> bool:
    """Is the invitation addressed to this account's e-mail (whatever its case)?"""
    email = (user.email or "").strip()
    return bool(email) and email.casefold() == invitation.email.strip().casefold()


def is_open(invitation: Invitation) -> bool:
    return invitation.accepted_at is None and invitation.expires_at > timezone.now()


def waiting_for(user) -> bool:
    """Has this account an invitation to accept? It may then log in to accept it."""
    email = (user.email or "").strip()
    return bool(email) and (
        Invitation.objects.filter(
            email__iexact=email, accepted_at__isnull=True, expires_at__gt=timezone.now()
        ).exists()
    )


def accept(invitation: Invitation, user) -> Membership | None:
    """Make the user a member. Claimed in the database: a link followed twice at once (or
    after it expired) makes no second membership; None then."""
    now = timezone.now()
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=now
        ).update(accepted_at=now, accepted_by=user)
        if not claimed:
            return None
        # Already a member: the role stays as the organisation's admins set it.
        membership, _created = Membership.objects.get_or_create(
            user=user,
            organisation_id=invitation.organisation_id,
            defaults={"role": invitation.role},
        )
    logger.info(
        "invitation accepted",
        extra={"organisation": invitation.organisation_id, "invitation": invitation.pk},
    )
    return membership


def send(invitation: Invitation, link: str) -> bool:
    """E-mail the link to the invited address; False if the mail could not leave."""
    subject = _("Invitation à rejoindre %(organisation)s") % {
        "organisation": invitation.organisation.name
    }
    body = _(
        "Bonjour,\n\n"
        "Vous êtes invité·e à rejoindre %(organisation)s (rôle : %(role)s) sur Les duels "
        "de l'IA.\n\n"
        "Pour accepter, ouvrez ce lien et connectez-vous avec le compte de cette adresse "
        "e-mail :\n%(link)s\n\n"
        "Le lien est valable jusqu'au %(expires)s. Sans compte sur la plateforme, "
        "demandez-en un à son équipe. Si vous n'attendiez pas cette invitation, ignorez "
        "ce message.\n"
    ) % {
        "organisation": invitation.organisation.name,
        "role": invitation.get_role_display(),
        "link": link,
        "expires": timezone.localtime(invitation.expires_at).strftime("%d/%m/%Y"),
    }
    try:
        send_mail(subject, body, None, [invitation.email])
    except (OSError, smtplib.SMTPException) as error:
        # Never the link in a log: it is the invitee's credential.
        logger.warning(
            "invitation e-mail not sent: %s",
            type(error).__name__,
            extra={"organisation": invitation.organisation_id, "invitation": invitation.pk},
        )
        return False
    return True
