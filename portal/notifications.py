"""Telling staff that something they were waiting on has happened: in the portal, and by email.

Each kind of event has an email body in templates/email/<kind>.txt (templates/email/notification.txt
otherwise). Emails go through Django's email backend: the console in development, SMTP in production.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import select_template
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from portal.models import Notification

logger = logging.getLogger(__name__)


def notify(user: AbstractBaseUser, kind: str, message: str, link: str = "") -> Notification:
    """Add a notification to the user's list, and email it to them if they have an address.

    The email leaves once the caller's transaction commits, so a rolled-back event sends nothing; an email
    that cannot be sent is logged and never undoes the event or the notification.
    """
    notification = Notification.objects.create(recipient=user, kind=kind, message=message, link=link)
    if getattr(user, "email", ""):
        transaction.on_commit(lambda: _send_email(notification))
    return notification


def unread_count(user: AbstractBaseUser | AnonymousUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_all_read(user: AbstractBaseUser) -> int:
    """Mark every unread notification of the user read; returns how many were."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def absolute_link(link: str) -> str:
    """The link as an email needs it: absolute when the portal's public address is configured."""
    base = settings.PORTAL_BASE_URL
    return f"{base.rstrip('/')}{link}" if base and link.startswith("/") else link


def _send_email(notification: Notification) -> None:
    # The message was written in the portal's language (usually by the worker); the email around it must
    # match, whichever thread sends it and whatever language its last web request used.
    with translation.override(settings.LANGUAGE_CODE):
        _render_and_send(notification)


def _render_and_send(notification: Notification) -> None:
    recipient = notification.recipient
    first_line = notification.message.splitlines()[0] if notification.message else ""
    try:
        template = select_template([f"email/{notification.kind}.txt", "email/notification.txt"])
        body = template.render(
            {
                "recipient": recipient,
                "message": notification.message,
                "link": absolute_link(notification.link),
            }
        )
        subject = _("Reservations portal: %(message)s") % {"message": Truncator(first_line).chars(90)}
        send_mail(subject, body, None, [getattr(recipient, "email", "")])
    except Exception:
        # Runs after the commit: raising would only hide that the event itself was recorded.
        logger.exception("notification %s: the email to user %s was not sent", notification.pk, recipient.pk)
