"""Notification e-mail on a real Celery worker, real Redis and real PostgreSQL: sent after the
commit, once, even when the task is delivered twice."""

from __future__ import annotations

import pytest
from django.db import transaction

from notifications import tasks
from notifications.models import Kind, Notification
from notifications.services import notify
from tests.factories import CityFactory, UserFactory

from .conftest import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _mails(folder) -> list[str]:
    return [path.read_text() for path in sorted(folder.glob("*.log"))]


def test_waiting_for_you_is_mailed_once_by_the_worker(celery_worker):
    folder = celery_worker["mail"]
    before = len(_mails(folder))
    user = UserFactory(username="hcmc-editor", email="hcmc@example.org")
    city = CityFactory(name="Ho Chi Minh City")
    with transaction.atomic():
        (notification,) = notify(
            recipients=[user],
            kind=Kind.STEP_WAITING,
            target=city,
            title="Kitakyushu proposes agreed: waiting for you",
            url="/partnerships/",
        )

    def sent():
        notification.refresh_from_db()
        return notification.emailed_at

    wait_for(sent, timeout=30, what="the notification e-mail", log=celery_worker["log"])
    # The same task delivered again (a redelivery after a lost acknowledgement) sends nothing.
    assert tasks.send_notification_email.delay(notification.pk).get(timeout=30) == "already sent"
    mails = _mails(folder)[before:]
    assert len(mails) == 1
    assert "To: hcmc@example.org" in mails[0]
    assert "waiting for you" in mails[0]
    assert Notification.objects.get().emailed_at is not None


def test_a_rolled_back_event_mails_no_one(celery_worker):
    folder = celery_worker["mail"]
    before = len(_mails(folder))
    user = UserFactory(email="someone@example.org")
    city = CityFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[user], kind=Kind.STEP_WAITING, target=city, title="Never sent")
        raise RuntimeError("the event failed")
    # Round trip through the worker, so that a task sent by mistake would have run.
    other = UserFactory(email="other@example.org")
    with transaction.atomic():
        (marker,) = notify(recipients=[other], kind=Kind.STEP_WAITING, target=city, title="Marker")
    wait_for(
        lambda: Notification.objects.filter(pk=marker.pk, emailed_at__isnull=False).exists(),
        timeout=30,
        what="the marker e-mail",
        log=celery_worker["log"],
    )
    mails = _mails(folder)[before:]
    assert len(mails) == 1 and "Marker" in mails[0]
