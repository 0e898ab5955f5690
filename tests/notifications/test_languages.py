"""Notifications and e-mails are written in the language each recipient saved in their
profile, whatever the language of the person whose action caused them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from cities.models import PolicyArea, UserPreferences
from notifications import tasks
from notifications.models import Kind, Notification
from partnerships.models import Partnership
from partnerships.services import interest, steps
from tests.factories import CityFactory, MatchFactory, MatchRunFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cities():
    donor = CityFactory(name="Kitakyushu", role="donor")
    recipient = CityFactory(name="Da Nang", role="recipient")
    kita = UserFactory(username="kita", email="kita@example.org")
    danang = UserFactory(username="danang", email="danang@example.org")
    donor.editors.add(kita)
    recipient.editors.add(danang)
    UserPreferences.objects.create(user=kita, language="ja")
    UserPreferences.objects.create(user=danang, language="vi")
    return donor, recipient, kita, danang


def test_each_editor_reads_notifications_and_mails_in_their_language(
    cities, django_capture_on_commit_callbacks
):
    donor, recipient, kita, danang = cities
    match = MatchFactory(run=MatchRunFactory(is_active=True), donor=donor, recipient=recipient)
    areas = list(PolicyArea.objects.filter(code="waste"))
    # Both officers act from an English page: their own language does not leak to the other.
    with translation.override("en"):
        with django_capture_on_commit_callbacks(execute=True):
            sent = interest.send_interest(
                user=danang,
                match=match,
                from_city=recipient,
                message="Teach us composting.",
                policy_areas=areas,
            )
        with django_capture_on_commit_callbacks(execute=True):
            partnership = interest.accept_interest(user=kita, interest=sent)
        with django_capture_on_commit_callbacks(execute=True):
            steps.propose_step(
                user=kita, partnership=partnership, to_status=Partnership.Status.AGREED
            )

    received = Notification.objects.get(recipient=kita, kind=Kind.INTEREST_RECEIVED)
    assert received.title == "Da Nang が Kitakyushu との協力を希望しています"
    assert received.body == "Teach us composting."  # what the officer wrote stays as written
    answered = Notification.objects.get(recipient=danang, kind=Kind.INTEREST_ANSWERED)
    assert answered.title == (
        "Kitakyushu đã chấp nhận bày tỏ quan tâm của Da Nang: quan hệ đối tác đã được đề xuất"
    )

    # A step waiting for Da Nang is e-mailed at once, in Vietnamese.
    [waiting_mail] = mail.outbox
    assert waiting_mail.to == ["danang@example.org"]
    assert waiting_mail.subject == (
        "[CityMatch] Kitakyushu đề xuất chuyển quan hệ đối tác sang đã thống nhất: đang chờ quý vị"
    )
    assert "Tất cả thông báo của quý vị: http://localhost:8000/inbox/" in waiting_mail.body

    # The daily digest reaches Kitakyushu's editor in Japanese, with the kinds' names.
    mail.outbox.clear()
    with translation.override("en"):
        assert tasks.send_daily_digests.delay().get() == 2
    by_address = {message.to[0]: message for message in mail.outbox}
    kita_mail = by_address["kita@example.org"]
    assert kita_mail.subject == "[CityMatch] 1件の新しいお知らせがあります"
    assert "前回のまとめメール以降のお知らせです:" in kita_mail.body
    assert "関心表明を受信（1件）" in kita_mail.body
    assert "- Da Nang が Kitakyushu との協力を希望しています" in kita_mail.body
    assert "Kể từ bản tổng hợp gần nhất:" in by_address["danang@example.org"].body


def test_a_user_without_a_choice_reads_the_site_language(cities):
    donor, recipient, kita, danang = cities
    UserPreferences.objects.filter(user=kita).update(language="")
    partnership = Partnership.objects.create(donor=donor, recipient=recipient)
    with translation.override("vi"):
        steps.propose_step(
            user=danang, partnership=partnership, to_status=Partnership.Status.AGREED
        )
    note = Notification.objects.get(recipient=kita)
    assert note.title == "Da Nang proposes moving your partnership to agreed: waiting for you"
