"""The partnership history is written at read time in the reader's language, from each event's
stored message; the person's own words stay as they wrote them."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from partnerships.models import PartnershipEvent
from partnerships.services import details, history, pipeline, steps
from tests.html import english_left
from tests.partnerships.history import (
    DECLINE_REASON,
    REVIEW_NOTE,
    USER_DATA,
    add_history,
)
from tests.partnerships.history import history as sample_history

LANGUAGES = ("en", "ja", "vi")


@pytest.fixture
def proposed(match, donor_editor, areas):
    return pipeline.propose_partnership(
        user=donor_editor,
        donor=match.donor,
        recipient=match.recipient,
        policy_areas=[areas["waste"]],
        reasons="They lead in composting; we need it.",
        match=match,
    )


def _sentences(events, language: str) -> list[str]:
    with translation.override(language):
        return [history.describe(event) for event in events]


def test_every_kind_of_event_reads_in_each_language(proposed, donor_editor):
    events = [
        event
        for event in add_history(proposed, donor_editor, "Kitakyushu", "Surabaya")
        if event.message
    ]
    english = _sentences(events, "en")
    assert all(english), english
    names = [*USER_DATA, "Kitakyushu", "Surabaya", "kita-editor"]
    for language in ("ja", "vi"):
        translated = _sentences(events, language)
        for event, en, sentence in zip(events, english, translated, strict=True):
            kind = event.message["kind"]
            assert sentence and sentence != en, (language, kind, sentence)
            left = english_left(sentence, names, english=en)
            assert left == [], (language, kind, sentence, left)
            # The names as given at the time stay as they were.
            for name in names:
                if name in en:
                    assert name in sentence, (language, kind, name, sentence)


def test_dates_money_labels_and_fields_follow_the_language(proposed, donor_editor):
    events = {
        (event.message or {}).get("kind", ""): event
        for event in add_history(proposed, donor_editor, "Kitakyushu", "Surabaya")
    }
    ledger = next(
        e
        for e in PartnershipEvent.objects.filter(message__kind="ledger")
        if e.message["amount"] is not None
    )
    en = dict(zip(events, _sentences(events.values(), "en"), strict=True))
    ja = dict(zip(events, _sentences(events.values(), "ja"), strict=True))
    vi = dict(zip(events, _sentences(events.values(), "vi"), strict=True))
    assert en["reviewed"] == "Next review March 3, 2027."
    assert ja["reviewed"] == "次回のレビューは2027年3月3日です。"
    assert "3 tháng 3 năm 2027" in vi["reviewed"]
    assert _sentences([ledger], "en") == [
        "Kitakyushu contributes: Staff days, 1,200.50 engineer-days."
    ]
    assert "1.200,50 engineer-days" in _sentences([ledger], "vi")[0]
    assert "職員の人日" in _sentences([ledger], "ja")[0]
    assert en["edited"] == "Changed policy areas."
    assert "政策分野" in ja["edited"] and "lĩnh vực chính sách" in vi["edited"]
    assert en["step_declined"] == "kita-editor (Surabaya) declined moving to scaling up."
    assert en["organization_joined"] == "Green Cities Fund joined (funding)."
    # An event written before messages existed keeps its note and has no sentence.
    assert all(_sentences([events[""]], language) == [""] for language in LANGUAGES)


def test_the_persons_own_words_stay_as_written(proposed, donor_editor, recipient_editor):
    today = timezone.localdate()
    details.record_review(
        user=donor_editor,
        partnership=proposed,
        note=f"  {REVIEW_NOTE}  ",
        next_review_on=today + datetime.timedelta(days=400),
    )
    proposal = steps.propose_step(
        user=donor_editor, partnership=proposed, to_status="agreed", note="Signed on our side."
    )
    steps.decline_step(user=recipient_editor, proposal=proposal, reason=DECLINE_REASON)
    reviewed = proposed.events.get(action="reviewed")
    assert reviewed.note == REVIEW_NOTE
    assert reviewed.message == {
        "kind": "reviewed",
        "next_review_on": (today + datetime.timedelta(days=400)).isoformat(),
    }
    step = proposed.events.get(action="step")
    assert step.note == "Signed on our side."
    assert step.message == {
        "kind": "step_proposed",
        "by": {"user": "kita-editor", "city": "Kitakyushu"},
        "waiting": "Surabaya",
    }
    declined = proposed.events.get(action="declined")
    assert declined.note == DECLINE_REASON
    with translation.override("ja"):
        assert (
            history.describe(declined)
            == "sura-editor（Surabaya）が「合意済み」への移行を辞退しました。"
        )


def test_the_page_reads_the_history_in_the_readers_language_at_a_fixed_cost(
    client, proposed, donor_editor
):
    client.force_login(donor_editor)
    url = reverse("partnership-detail", args=[proposed.pk])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, HTTP_ACCEPT_LANGUAGE="ja").status_code == 200
    add_history(proposed, donor_editor, "Kitakyushu", "Surabaya")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert len(many) == len(few)
    assert (
        "プロジェクト「Composting at the wet market」：マイルストーン「Buy the bins」を完了しました。"
        in page
    )
    assert DECLINE_REASON in page
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Project “Composting at the wet market”: milestone “Buy the bins” done." in english


def test_the_sample_history_covers_every_kind():
    kinds = {e["message"]["kind"] for e in sample_history("A", "B", "c") if "message" in e}
    assert kinds == set(history.MESSAGE_KINDS)
