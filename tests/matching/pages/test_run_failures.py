"""Why a run failed reads in the reader's language, on the run page and in the API; the
technical text stays in ``error`` for administrators, and older runs show it as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cities.models import UserPreferences
from matching import services
from matching.models import MatchRun
from matching.services import failures
from notifications.models import Kind, Notification
from tests.api_clients import token_client
from tests.factories import MatchRunFactory
from tests.html import english_left, text

pytestmark = pytest.mark.django_db

EXCEPTION = "RuntimeError: disk on fire"

ENGLISH = {
    failures.RAISED: f"A step of the run stopped on an error: {EXCEPTION}",
    failures.FAILED: "The run failed.",
    failures.TIMED_OUT: "No result within 2 minutes: the worker was lost or killed.",
    failures.WORKER_LOST: (
        "The worker was lost 3 times (no heartbeat for 240 s); the previous run stays active."
    ),
}


@pytest.fixture
def api(user):
    return token_client(user)


def _queued() -> MatchRun:
    return MatchRunFactory(status=MatchRun.Status.QUEUED, finished_at=None, progress=0)


@pytest.fixture
def failed_runs(settings) -> dict[str, MatchRun]:
    """A run failed in each way, through the code that fails runs."""
    settings.SCORING_RUN_TIME_LIMIT = 120
    settings.SCORING_HEARTBEAT_SECONDS = 60
    settings.SCORING_MAX_RECOVERIES = 2
    # One run at a time may be queued or running.
    raised = _queued()
    services.fail_run(run_id=raised.pk, error=EXCEPTION)
    failed = _queued()
    services.fail_run(run_id=failed.pk, error="")

    stuck = _queued()
    MatchRun.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert services.fail_stale_runs() == 1

    lost = MatchRunFactory(status=MatchRun.Status.RUNNING, finished_at=None, recoveries=2)
    long_ago = timezone.now() - timedelta(hours=1)
    MatchRun.objects.filter(pk=lost.pk).update(started_at=long_ago, heartbeat_at=long_ago)
    assert services.recover_lost_runs() == [lost.pk]

    runs = {
        failures.RAISED: raised,
        failures.FAILED: failed,
        failures.TIMED_OUT: stuck,
        failures.WORKER_LOST: lost,
    }
    for run in runs.values():
        run.refresh_from_db()
        assert run.status == MatchRun.Status.FAILED
    return runs


def test_each_failure_stores_its_kind_and_keeps_the_technical_text(failed_runs):
    assert {kind: run.error_message["kind"] for kind, run in failed_runs.items()} == {
        kind: kind for kind in failed_runs
    }
    assert failed_runs[failures.RAISED].error == EXCEPTION
    assert failed_runs[failures.FAILED].error == "The run failed."
    assert failed_runs[failures.TIMED_OUT].error_message["minutes"] == 2
    assert failed_runs[failures.TIMED_OUT].error.startswith("No result within 2 minutes")
    assert failed_runs[failures.WORKER_LOST].error_message == {
        "kind": failures.WORKER_LOST,
        "times": 3,
        "seconds": 240,
    }
    with translation.override("en"):
        assert {
            kind: services.describe_failure(run) for kind, run in failed_runs.items()
        } == ENGLISH


def test_the_run_page_says_why_in_each_language(editor_client, editor, failed_runs):
    user_data = [EXCEPTION, editor.get_username()]
    for kind, run in failed_runs.items():
        url = reverse("run-detail", args=[run.pk])
        english = text(editor_client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
        assert ENGLISH[kind] in english, kind
        for language in ("ja", "vi"):
            page = text(editor_client.get(url, HTTP_ACCEPT_LANGUAGE=language))
            with translation.override(language):
                sentence = services.describe_failure(run)
            assert sentence != ENGLISH[kind] and sentence in page, (kind, language)
            assert english_left(page, user_data, english=english) == [], (kind, language)


def test_the_api_says_why_in_the_language_asked_for(api, failed_runs):
    for kind, run in failed_runs.items():
        url = f"/api/match-runs/{run.pk}/"
        english = api.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["error"]
        assert english == ENGLISH[kind]
        for language in ("ja", "vi"):
            body = api.get(url, HTTP_ACCEPT_LANGUAGE=language).json()
            assert set(body) >= {"error", "status"} and body["status"] == "failed"
            assert body["error"] != english
            assert english_left(body["error"], [EXCEPTION], english=english) == []
    japanese = api.get(
        f"/api/match-runs/{failed_runs[failures.TIMED_OUT].pk}/", HTTP_ACCEPT_LANGUAGE="ja"
    ).json()["error"]
    assert (
        japanese == "2分以内に結果が得られませんでした。ワーカーが失われたか、強制終了されました。"
    )
    vietnamese = api.get(
        f"/api/match-runs/{failed_runs[failures.RAISED].pk}/", HTTP_ACCEPT_LANGUAGE="vi"
    ).json()["error"]
    assert vietnamese == f"Một bước của lượt tính điểm đã dừng do lỗi: {EXCEPTION}"


def test_a_run_that_failed_before_messages_shows_its_error_as_it_was(editor_client, api):
    old = MatchRunFactory(status=MatchRun.Status.FAILED, error="Worker lost")
    assert old.error_message == {}
    page = text(editor_client.get(reverse("run-detail", args=[old.pk]), HTTP_ACCEPT_LANGUAGE="ja"))
    assert "Worker lost" in page
    body = api.get(f"/api/match-runs/{old.pk}/", HTTP_ACCEPT_LANGUAGE="ja").json()
    assert body["error"] == "Worker lost"


def test_a_succeeded_run_has_no_error(api, active_run):
    assert api.get(f"/api/match-runs/{active_run.pk}/").json()["error"] == ""


@pytest.mark.parametrize("language", ["en", "ja", "vi"])
def test_run_lists_cost_the_same_queries_in_every_language(
    editor_client, api, django_assert_num_queries, failed_runs, language
):
    # Page: session, user, groups, count, runs, unread notifications. API: token, count, page.
    with django_assert_num_queries(6):
        response = editor_client.get(reverse("run-list"), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
    with django_assert_num_queries(3):
        response = api.get("/api/match-runs/", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
    assert len(response.json()["results"]) == len(failed_runs)


def test_the_starter_is_told_why_in_their_own_language(staff_user):
    UserPreferences.objects.create(user=staff_user, language="ja")
    run = MatchRunFactory(
        status=MatchRun.Status.QUEUED, finished_at=None, progress=0, created_by=staff_user
    )
    services.fail_run(run_id=run.pk, error=EXCEPTION)
    told = Notification.objects.get(kind=Kind.RUN_FAILED, recipient=staff_user)
    assert told.body == f"スコア計算の処理がエラーで停止しました：{EXCEPTION}"
