"""/api/match-runs/: read by signed-in users, started by admins and agency users (202/409)."""

from __future__ import annotations

import pytest

from matching.models import MatchRun
from tests.factories import MatchRunFactory

pytestmark = pytest.mark.django_db

RUN_FIELDS = {
    "id", "status", "progress", "is_active", "cities", "pairs_scored", "matches_stored",
    "weights", "created_at", "started_at", "finished_at", "duration_s", "error",
    "heartbeat_at", "recoveries",
}  # fmt: skip


def test_run_list_and_detail_show_the_fields_of_api_md(user_client, active_run):
    body = user_client.get("/api/match-runs/").json()
    assert body["count"] == 1
    assert set(body["results"][0]) == RUN_FIELDS
    detail = user_client.get(f"/api/match-runs/{active_run.pk}/").json()
    assert detail["status"] == "succeeded"
    assert detail["is_active"] is True
    assert detail["progress"] == 100
    assert detail["duration_s"] == 2.0


def test_runs_filter_by_status_and_active(user_client, active_run):
    failed = MatchRunFactory(status="failed", error="worker lost")

    def ids(params: dict) -> list[int]:
        return [run["id"] for run in user_client.get("/api/match-runs/", params).json()["results"]]

    assert ids({"status": "failed"}) == [failed.pk]
    assert ids({"is_active": "true"}) == [active_run.pk]
    assert user_client.get("/api/match-runs/", {"status": "done"}).status_code == 400


def test_runs_need_sign_in(api_client, active_run):
    assert api_client.get("/api/match-runs/").status_code == 401
    assert api_client.post("/api/match-runs/").status_code == 401


@pytest.mark.parametrize("who", ["agency_client", "admin_client"])
def test_starting_a_run_answers_202_with_the_queued_run(
    request, who, django_capture_on_commit_callbacks
):
    client = request.getfixturevalue(who)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/api/match-runs/")
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == RUN_FIELDS
    assert body["status"] == "queued"
    run = MatchRun.objects.get(pk=body["id"])
    assert run.trigger == "api"
    assert response["Location"].endswith(f"/api/match-runs/{run.pk}/")
    # Polling the run shows its status.
    assert client.get(f"/api/match-runs/{run.pk}/").json()["status"] == "queued"


def test_second_start_while_one_is_queued_is_409(agency_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        assert agency_client.post("/api/match-runs/").status_code == 202
        response = agency_client.post("/api/match-runs/")
    assert response.status_code == 409
    assert "already" in response.json()["detail"]
    assert MatchRun.objects.count() == 1


def test_start_while_one_is_running_is_409(admin_client):
    MatchRunFactory(status="running", progress=40, finished_at=None)
    response = admin_client.post("/api/match-runs/")
    assert response.status_code == 409
    assert MatchRun.objects.count() == 1


def test_plain_user_cannot_start_a_run(user_client):
    assert user_client.post("/api/match-runs/").status_code == 403
    assert not MatchRun.objects.exists()


def test_runs_cannot_be_changed_over_the_api(admin_client, active_run):
    assert admin_client.patch(f"/api/match-runs/{active_run.pk}/", {}).status_code == 405
    assert admin_client.delete(f"/api/match-runs/{active_run.pk}/").status_code == 405


@pytest.mark.parametrize("page_size", [1, 100])
def test_run_list_costs_fixed_queries(user_client, django_assert_num_queries, page_size):
    for _ in range(page_size + 1):
        MatchRunFactory()
    with django_assert_num_queries(3):  # token, count, page
        response = user_client.get("/api/match-runs/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
