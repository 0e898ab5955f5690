"""Writing notifications and e-mailing them.

``notify`` is what the other apps' services call, inside their transaction. The e-mail goes
out from a Celery task queued on commit, so a rolled-back event tells no one. A notification
is e-mailed at most once: the sender locks its row and checks ``emailed_at`` before sending,
and marks it in the same transaction.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections.abc import Iterable
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .languages import Message, language_of, render
from .models import DEFAULT_DELIVERY, Delivery, EmailPreference, Kind, MailBounce, Notification

logger = logging.getLogger(__name__)

NO_ADDRESS = "no e-mail address"
BOUNCED = "the address bounced"
NOT_WANTED = "not wanted by e-mail"
# After this long, an immediate notification still unsent goes out with the digest.
IMMEDIATE_GRACE = datetime.timedelta(hours=6)


def notify(
    *,
    recipients: Iterable,
    kind: str,
    target: models.Model | None,
    title: Message,
    body: Message = "",
    url: str = "",
    key: str = "",
    exclude=None,
) -> list[Notification]:
    """One notification per recipient (the user who caused the event is left out), its title
    and body written in the recipient's language (``title`` and ``body`` may be lazy messages
    or ``languages.Text``; plain strings are kept as they are).

    With a ``key``, a recipient who already has a notification with that key gets none (what
    reminders use so that a rerun of their task writes nothing).
    """
    excluded = getattr(exclude, "pk", None)
    users = {user.pk: user for user in recipients if user is not None and user.pk != excluded}
    if not users:
        return []
    content_type = ContentType.objects.get_for_model(target) if target is not None else None
    created = []
    immediate = []
    for user in users.values():
        if key and Notification.objects.filter(recipient=user, key=key).exists():
            continue
        delivery = delivery_for(user, kind)
        language = language_of(user)
        notification = Notification(
            recipient=user,
            kind=kind,
            content_type=content_type,
            object_id=target.pk if target is not None else None,
            title=render(title, language)[:300],
            body=render(body, language),
            url=url,
            key=key,
            email_skipped=NOT_WANTED if delivery == Delivery.NONE else "",
        )
        try:
            # A savepoint, so that a reminder written twice at once costs only its own row.
            with transaction.atomic():
                notification.save()
        except IntegrityError:
            if not key:
                raise
            continue
        created.append(notification)
        if delivery == Delivery.IMMEDIATE:
            immediate.append(notification.pk)
    if immediate:
        from .tasks import send_notification_email

        transaction.on_commit(
            lambda: [send_notification_email.delay(pk) for pk in immediate], robust=True
        )
    return created


def delivery_for(user, kind: str) -> str:
    chosen = (
        EmailPreference.objects.filter(user=user, kind=kind)
        .values_list("delivery", flat=True)
        .first()
    )
    return chosen or DEFAULT_DELIVERY[kind]


def preferences_of(user) -> dict[str, str]:
    """Kind → delivery, with the defaults filled in."""
    chosen = dict(EmailPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, DEFAULT_DELIVERY[kind]) for kind in Kind.values}


@transaction.atomic
def set_preferences(*, user, choices: dict[str, str]) -> dict[str, str]:
    for kind, delivery in choices.items():
        if kind not in Kind.values or delivery not in Delivery.values:
            raise ValueError(f"Unknown kind or delivery: {kind}={delivery}")
        EmailPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"delivery": delivery}
        )
    return preferences_of(user)


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user).unread().count()


def mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them without ``ids``)."""
    rows = Notification.objects.filter(recipient=user).unread()
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())


def settle(*, kind: str, target: models.Model) -> int:
    """Mark read every unread notification of this kind about this object: what it asked for
    was done (a step answered), by whoever did it."""
    return (
        Notification.objects.unread()
        .filter(
            kind=kind,
            content_type=ContentType.objects.get_for_model(target),
            object_id=target.pk,
        )
        .update(read_at=timezone.now())
    )


def absolute(url: str) -> str:
    return urljoin(settings.SITE_URL, url) if url else settings.SITE_URL


def _skip_reason(user) -> str:
    if not (user.email or "").strip():
        return NO_ADDRESS
    bounce = MailBounce.objects.filter(user=user).first()
    if bounce is not None:
        if bounce.address.lower() == user.email.strip().lower():
            return BOUNCED
        bounce.delete()  # The user changed the address since: try the new one.
    return ""


def _send(user, subject: str, body: str) -> None:
    """Send one mail; a refused address is recorded as a bounce, other SMTP errors raise."""
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email.strip()],
    )
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as refused:
        MailBounce.objects.update_or_create(
            user=user, defaults={"address": user.email.strip(), "reason": str(refused)[:300]}
        )
        raise AddressBounced(user.email) from refused


class AddressBounced(Exception):
    pass


def deliver(notification_id: int) -> str:
    """E-mail one notification now, unless it was already sent or cannot be.

    Returns what happened: "sent", "already sent", "skipped: …". SMTP errors other than a
    refused address propagate (the task retries them); nothing is marked then.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return "gone"
        if notification.emailed_at is not None or notification.email_skipped:
            return "already sent"
        user = notification.recipient
        reason = _skip_reason(user)
        if not reason and delivery_for(user, notification.kind) == Delivery.NONE:
            reason = NOT_WANTED
        if not reason:
            try:
                with translation.override(language_of(user)):
                    subject = _("[CityMatch] %(title)s") % {"title": notification.title}
                    body = _single_body(notification)
                _send(user, subject, body)
            except AddressBounced:
                reason = BOUNCED
        if reason:
            notification.email_skipped = reason
            notification.save(update_fields=["email_skipped"])
            logger.info("Notification %s not e-mailed: %s", notification_id, reason)
            return f"skipped: {reason}"
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        return "sent"


def _single_body(notification: Notification) -> str:
    lines = [notification.title, ""]
    if notification.body:
        lines += [notification.body, ""]
    if notification.url:
        lines += [_("Open it: %(url)s") % {"url": absolute(notification.url)}, ""]
    lines += _footer()
    return "\n".join(lines)


def _footer() -> list[str]:
    return [
        _("All your notifications: %(url)s") % {"url": absolute("/inbox/")},
        _("Choose what is e-mailed to you: %(url)s") % {"url": absolute("/inbox/settings/")},
    ]


def digest_recipients() -> list[int]:
    """Users with digest notifications not yet e-mailed."""
    return list(
        Notification.objects.unsent()
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )


def send_digest(user_id: int) -> int:
    """One mail with every digest notification of the user not yet e-mailed; returns how many
    it listed. Immediate ones still unsent (their task failed for good) join the digest."""
    with transaction.atomic():
        # ``of``: lock the notifications, not the user row joined to them.
        rows = list(
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(recipient_id=user_id)
            .unsent()
            .order_by("created_at", "id")
        )
        if not rows:
            return 0
        user = rows[0].recipient
        choices = preferences_of(user)
        # An immediate one is still in its task's hands unless that task gave up long ago.
        given_up = timezone.now() - IMMEDIATE_GRACE
        pending = [
            n for n in rows if choices[n.kind] != Delivery.IMMEDIATE or n.created_at < given_up
        ]
        if not pending:
            return 0
        unwanted = [n for n in pending if choices[n.kind] == Delivery.NONE]
        wanted = [n for n in pending if choices[n.kind] != Delivery.NONE]
        reason = _skip_reason(user)
        if not reason and wanted:
            try:
                with translation.override(language_of(user)):
                    subject, body = _digest_subject(wanted), _digest_body(wanted)
                _send(user, subject, body)
            except AddressBounced:
                reason = BOUNCED
        now = timezone.now()
        if reason:
            Notification.objects.filter(pk__in=[n.pk for n in wanted]).update(email_skipped=reason)
        else:
            Notification.objects.filter(pk__in=[n.pk for n in wanted]).update(emailed_at=now)
        Notification.objects.filter(pk__in=[n.pk for n in unwanted]).update(
            email_skipped=NOT_WANTED
        )
        return 0 if reason else len(wanted)


def _digest_subject(rows: list[Notification]) -> str:
    count = len(rows)
    return ngettext(
        "[CityMatch] %(count)s update for you", "[CityMatch] %(count)s updates for you", count
    ) % {"count": count}


def _digest_body(rows: list[Notification]) -> str:
    lines = [_("Since your last digest:"), ""]
    for kind in Kind:
        of_kind = [n for n in rows if n.kind == kind]
        if not of_kind:
            continue
        lines.append(_("%(kind)s (%(count)s)") % {"kind": kind.label, "count": len(of_kind)})
        for notification in of_kind:
            link = f"  {absolute(notification.url)}" if notification.url else ""
            lines.append(f"- {notification.title}{link}")
        lines.append("")
    lines += _footer()
    return "\n".join(lines)
