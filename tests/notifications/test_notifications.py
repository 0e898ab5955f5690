"""Notifications: each kind written once by the service of its event and e-mailed once; the
digest groups the rest; failing SMTP is retried and loses nothing; users without a working
address are skipped; the inbox and the navigation's unread count."""

from __future__ import annotations

import datetime
import smtplib
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bestpractices import services as practices
from cities.models import PolicyArea
from cities.permissions import CURATOR_GROUP
from matching.services import runs
from notifications import services, tasks
from notifications.models import Delivery, Kind, MailBounce, Notification
from partnerships.models import Partnership
from partnerships.services import interest, reminders, steps
from tests.factories import (
    CityFactory,
    MatchFactory,
    MatchRunFactory,
    PartnershipFactory,
    UserFactory,
)
from tests.factories.bestpractices import complete_content

pytestmark = pytest.mark.django_db
Status = Partnership.Status


@pytest.fixture
def cities():
    donor = CityFactory(name="Kitakyushu", role="donor")
    recipient = CityFactory(name="Ho Chi Minh City", role="recipient")
    kita = UserFactory(username="kita", email="kita@example.org")
    hcmc = UserFactory(username="hcmc", email="hcmc@example.org")
    donor.editors.add(kita)
    recipient.editors.add(hcmc)
    return donor, recipient, kita, hcmc


def _events(cities, on_commit):
    """Every kind of event once, through the services that create them."""
    donor, recipient, kita, hcmc = cities
    match = MatchFactory(run=MatchRunFactory(is_active=True), donor=donor, recipient=recipient)
    areas = list(PolicyArea.objects.filter(code="waste"))
    with on_commit(execute=True):
        sent = interest.send_interest(
            user=hcmc,
            match=match,
            from_city=recipient,
            message="Teach us composting.",
            policy_areas=areas,
        )
    with on_commit(execute=True):
        partnership = interest.accept_interest(user=kita, interest=sent)
    with on_commit(execute=True):
        proposal = steps.propose_step(user=kita, partnership=partnership, to_status=Status.AGREED)
    with on_commit(execute=True):
        steps.confirm_step(user=hcmc, proposal=proposal)
    Partnership.objects.filter(pk=partnership.pk).update(
        review_on=timezone.localdate() + datetime.timedelta(days=10)
    )
    with on_commit(execute=True):
        reminders.remind_reviews()
    curator = UserFactory(username="cura", email="cura@example.org")
    curator.groups.add(Group.objects.get_or_create(name=CURATOR_GROUP)[0])
    with on_commit(execute=True):
        practice = practices.create_practice(user=hcmc, content=complete_content(recipient))
        practices.submit_practice(practice=practice, user=hcmc)
        practices.send_back_practice(practice=practice, user=curator, comment="Add a figure.")
        practices.submit_practice(practice=practice, user=hcmc)
        practices.publish_practice(practice=practice, user=curator)
    run = MatchRunFactory(created_by=kita, status="running")
    with on_commit(execute=True):
        runs.fail_run(run_id=run.pk, error="Out of memory.")
    return kita, hcmc, curator


def test_each_kind_is_created_once_for_the_right_person(cities, django_capture_on_commit_callbacks):
    kita, hcmc, curator = _events(cities, django_capture_on_commit_callbacks)
    got = sorted(Notification.objects.values_list("recipient__username", "kind"))
    assert got == sorted(
        [
            ("kita", Kind.INTEREST_RECEIVED),
            ("hcmc", Kind.INTEREST_ANSWERED),
            ("hcmc", Kind.STEP_WAITING),
            ("kita", Kind.STEP_DECIDED),
            ("kita", Kind.REVIEW_DUE),
            ("hcmc", Kind.REVIEW_DUE),
            ("cura", Kind.PRACTICE_WAITING),
            ("cura", Kind.PRACTICE_WAITING),
            ("hcmc", Kind.PRACTICE_RETURNED),
            ("hcmc", Kind.PRACTICE_PUBLISHED),
            ("kita", Kind.RUN_FAILED),
        ]
    )
    # The reminder is a scheduled task: running it again writes nothing new.
    assert reminders.remind_reviews() == 1
    assert Notification.objects.filter(kind=Kind.REVIEW_DUE).count() == 2


def test_waiting_for_you_is_mailed_at_once_and_the_rest_in_one_digest_each(
    cities, django_capture_on_commit_callbacks
):
    kita, hcmc, curator = _events(cities, django_capture_on_commit_callbacks)
    assert [(m.to, "waiting for you" in m.subject) for m in mail.outbox] == [
        (["hcmc@example.org"], True)
    ]
    mail.outbox.clear()
    assert tasks.send_daily_digests.delay().get() == 3
    by_address = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_address) == ["cura@example.org", "hcmc@example.org", "kita@example.org"]
    kita_mail = by_address["kita@example.org"]
    assert kita_mail.subject == "[CityMatch] 4 updates for you"
    assert "Interest received (1)" in kita_mail.body
    assert "A run you started failed (1)" in kita_mail.body
    assert "http://localhost:8000/partnerships/" in kita_mail.body
    # Every notification was e-mailed exactly once; a second digest sends nothing.
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    mail.outbox.clear()
    assert tasks.send_daily_digests.delay().get() == 0
    assert mail.outbox == []
    assert services.deliver(Notification.objects.first().pk) == "already sent"
    assert mail.outbox == []


def test_each_user_chooses_per_kind(cities, client, django_capture_on_commit_callbacks):
    donor, recipient, kita, hcmc = cities
    client.force_login(hcmc)
    page = client.get("/inbox/settings/")
    assert "In the daily digest" in page.content.decode()
    choices = dict.fromkeys(Kind.values, Delivery.DIGEST)
    choices[Kind.STEP_WAITING] = Delivery.NONE
    response = client.post("/inbox/settings/", choices)
    assert response.status_code == 302
    assert services.preferences_of(hcmc)[Kind.STEP_WAITING] == Delivery.NONE
    partnership = PartnershipFactory(donor=donor, recipient=recipient)
    with django_capture_on_commit_callbacks(execute=True):
        steps.propose_step(user=kita, partnership=partnership, to_status=Status.AGREED)
    assert mail.outbox == []
    assert Notification.objects.get(recipient=hcmc).email_skipped == services.NOT_WANTED


def _one_waiting(cities):
    donor, recipient, kita, hcmc = cities
    return services.notify(
        recipients=[hcmc],
        kind=Kind.STEP_WAITING,
        target=recipient,
        title="Kitakyushu proposes agreed: waiting for you",
        url="/partnerships/",
    )[0]


def test_a_failing_smtp_server_is_retried_and_nothing_is_lost(cities):
    notification = _one_waiting(cities)
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=smtplib.SMTPServerDisconnected("gone"),
    ):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            services.deliver(notification.pk)
        notification.refresh_from_db()
        assert notification.emailed_at is None and notification.email_skipped == ""
        # The task retries SMTP errors (eager: the retry raises ``Retry``).
        from celery.exceptions import Retry

        with mock.patch.object(
            tasks.send_notification_email, "retry", side_effect=Retry()
        ) as retry:
            with pytest.raises(Retry):
                tasks.send_notification_email.apply(args=[notification.pk], throw=True)
            assert retry.called
    # The server is back: the retry sends it, once.
    assert tasks.send_notification_email.delay(notification.pk).get() == "sent"
    assert tasks.send_notification_email.delay(notification.pk).get() == "already sent"
    assert len(mail.outbox) == 1


def test_users_without_a_working_address_are_skipped_not_errors(cities):
    donor, recipient, kita, hcmc = cities
    hcmc.email = ""
    hcmc.save()
    first = _one_waiting(cities)
    assert services.deliver(first.pk) == f"skipped: {services.NO_ADDRESS}"
    hcmc.email = "old@example.org"
    hcmc.save()
    second = _one_waiting(cities)
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=smtplib.SMTPRecipientsRefused({"old@example.org": (550, b"No such user")}),
    ):
        assert services.deliver(second.pk) == f"skipped: {services.BOUNCED}"
    assert MailBounce.objects.get(user=hcmc).address == "old@example.org"
    third = _one_waiting(cities)
    assert services.deliver(third.pk) == f"skipped: {services.BOUNCED}"
    # A new address is tried again.
    hcmc.email = "new@example.org"
    hcmc.save()
    fourth = _one_waiting(cities)
    assert services.deliver(fourth.pk) == "sent"
    assert [m.to for m in mail.outbox] == [["new@example.org"]]


def test_a_finished_run_tells_who_started_it(cities, monkeypatch):
    donor, recipient, kita, hcmc = cities
    run = MatchRunFactory(created_by=kita, status="running")
    runs._tell_starter(run, Kind.RUN_FINISHED, f"Your scoring run {run.pk} finished")
    assert Notification.objects.get(recipient=kita).url == f"/runs/{run.pk}/"
    # A scheduled run has no one to tell.
    runs._tell_starter(MatchRunFactory(created_by=None), Kind.RUN_FINISHED, "x")
    assert Notification.objects.count() == 1


# --- Pages ------------------------------------------------------------------------------------


def test_the_inbox_lists_marks_read_and_opens_the_object(cities, client):
    notification = _one_waiting(cities)
    donor, recipient, kita, hcmc = cities
    client.force_login(hcmc)
    html = client.get("/inbox/").content.decode()
    assert "waiting for you" in html
    assert '<span class="unread-count" aria-label="1 unread">1</span>' in html
    response = client.post(f"/inbox/{notification.pk}/open/")
    assert response.url == notification.url
    notification.refresh_from_db()
    assert notification.is_read
    html = client.get("/inbox/").content.decode()
    assert "unread-count" not in html
    # Someone else's notification is not theirs to open.
    client.force_login(kita)
    assert client.post(f"/inbox/{notification.pk}/open/").status_code == 404


def test_mark_all_read(cities, client):
    _one_waiting(cities)
    _one_waiting(cities)
    client.force_login(cities[3])
    client.post("/inbox/read-all/")
    assert services.unread_count(cities[3]) == 0


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_unread_count_costs_one_query_whatever_the_number(cities, client):
    donor, recipient, kita, hcmc = cities
    client.force_login(hcmc)
    before = _queries(client, "/inbox/settings/")
    for _ in range(5):
        _one_waiting(cities)
    after = _queries(client, "/inbox/settings/")
    assert after == before
    html = client.get("/inbox/settings/").content.decode()
    assert 'aria-label="5 unread"' in html


# --- API --------------------------------------------------------------------------------------


def test_the_api_lists_only_your_own_and_marks_them_read(cities, api_client):
    donor, recipient, kita, hcmc = cities
    notification = _one_waiting(cities)
    assert api_client.get("/api/notifications/").status_code == 401
    api_client.force_authenticate(kita)
    assert api_client.get("/api/notifications/").json()["results"] == []
    assert api_client.post(f"/api/notifications/{notification.pk}/read/").status_code == 404
    api_client.force_authenticate(hcmc)
    refused = api_client.get("/api/notifications/?unread=maybe")
    assert refused.status_code == 400 and list(refused.json()) == ["unread"]
    rows = api_client.get("/api/notifications/?unread=true").json()["results"]
    assert [(r["kind"], r["is_read"], r["about"]) for r in rows] == [
        ("step_waiting", False, {"type": "city", "id": recipient.pk})
    ]
    assert api_client.post(f"/api/notifications/{notification.pk}/read/").json()["is_read"]
    assert api_client.get("/api/notifications/?unread=true").json()["results"] == []
    _one_waiting(cities)
    assert api_client.post("/api/notifications/read-all/").json() == {"marked_read": 1}


def test_a_digest_that_fails_to_send_loses_nothing(cities):
    donor, recipient, kita, hcmc = cities
    for title in ("First", "Second"):
        services.notify(recipients=[hcmc], kind=Kind.INTEREST_RECEIVED, target=donor, title=title)
    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=smtplib.SMTPDataError(451, b"Try again later"),
        ),
        pytest.raises(smtplib.SMTPDataError),
    ):
        services.send_digest(hcmc.pk)
    assert Notification.objects.unsent().count() == 2
    assert services.send_digest(hcmc.pk) == 2
    assert len(mail.outbox) == 1 and "- First" in mail.outbox[0].body


def test_a_review_is_announced_when_near_and_again_when_passed(cities):
    donor, recipient, kita, hcmc = cities
    today = timezone.localdate()
    partnership = PartnershipFactory(
        donor=donor,
        recipient=recipient,
        status=Status.PILOT,
        review_on=today + datetime.timedelta(days=40),
    )
    assert reminders.remind_reviews(today=today) == 0
    assert reminders.remind_reviews(today=today + datetime.timedelta(days=10)) == 1
    assert reminders.remind_reviews(today=today + datetime.timedelta(days=11)) == 1
    assert Notification.objects.filter(recipient=kita).count() == 1
    reminders.remind_reviews(today=today + datetime.timedelta(days=41))
    titles = list(Notification.objects.filter(recipient=kita).values_list("title", flat=True))
    assert len(titles) == 2 and "was due" in titles[0]
    # A concluded partnership is reviewed no more.
    Partnership.objects.filter(pk=partnership.pk).update(status=Status.CONCLUDED)
    assert reminders.remind_reviews(today=today + datetime.timedelta(days=90)) == 0
