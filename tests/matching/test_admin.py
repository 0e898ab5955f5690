"""The admin of matching: profiles are edited, runs started and watched, matches read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matching.models import MatchRun, ScoringProfile
from tests.factories import MatchRunFactory, ScoringProfileFactory, population

from .helpers import run_now

pytestmark = pytest.mark.django_db

START_URL = "admin:matching_matchrun_start"


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_run_list_shows_status_progress_and_a_start_button(admin_client):
    MatchRunFactory(is_active=True, cities=12)
    MatchRunFactory(status=MatchRun.Status.RUNNING, progress=47, finished_at=None)
    response = admin_client.get(reverse("admin:matching_matchrun_changelist"))
    html = response.content.decode()
    assert "Start a scoring run" in html and reverse(START_URL) in html
    assert "47 %" in html and "Running" in html and "Succeeded" in html


def test_the_run_list_costs_the_same_queries_for_one_run_or_many(admin_client, staff_user):
    url = reverse("admin:matching_matchrun_changelist")
    MatchRunFactory(created_by=staff_user, is_active=True)
    one = queries_of(admin_client, url)
    for _ in range(20):
        MatchRunFactory(created_by=staff_user, status=MatchRun.Status.FAILED)
    assert queries_of(admin_client, url) == one


def test_starting_a_run_from_the_admin(admin_client, django_capture_on_commit_callbacks):
    population(9)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse(START_URL), follow=True)
    run = MatchRun.objects.get()
    assert (run.trigger, run.created_by.is_superuser, run.status) == ("admin", True, "succeeded")
    assert f"Run {run.pk} queued." in response.content.decode()


def test_starting_a_run_while_one_runs_is_refused(admin_client):
    MatchRunFactory(status=MatchRun.Status.QUEUED, finished_at=None)
    response = admin_client.post(reverse(START_URL), follow=True)
    assert "already in progress" in response.content.decode()
    assert MatchRun.objects.count() == 1


def test_starting_needs_a_post_and_the_permission(admin_client, client, user):
    assert admin_client.get(reverse(START_URL)).status_code == 405
    user.is_staff = True
    user.save()
    client.force_login(user)
    client.post(reverse(START_URL))
    assert not MatchRun.objects.exists()


def test_runs_are_read_only(admin_client):
    run = MatchRunFactory(is_active=True)
    response = admin_client.get(reverse("admin:matching_matchrun_change", args=[run.pk]))
    assert response.status_code == 200
    assert b'name="status"' not in response.content  # shown, not editable
    assert admin_client.get(reverse("admin:matching_matchrun_add")).status_code == 403
    delete = reverse("admin:matching_matchrun_delete", args=[run.pk])
    assert admin_client.get(delete).status_code == 403  # the active run is what readers see


def test_making_a_profile_the_default_takes_the_flag_from_the_old_one(admin_client):
    old = ScoringProfile.objects.get(is_default=True)
    new = ScoringProfileFactory(name="Reciprocity first")
    data = {
        "name": new.name,
        "is_default": "on",
        **{f"weight_{name}": value for name, value in new.weights.items()},
        "weight_reciprocity": 0.6,
        "size_sigma": new.size_sigma,
        "default_cost_usd": new.default_cost_usd,
        "top_k": 20,
    }
    url = reverse("admin:matching_scoringprofile_change", args=[new.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 302
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.is_default and not old.is_default
    assert (new.weight_reciprocity, new.top_k) == (0.6, 20)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"is_default": ""}, "is_default", "One profile must stay the default"),
        (
            {f"weight_{name}": 0 for name in ScoringProfile().weights},
            "weight_need_fit",
            "At least one weight must be greater than 0.",
        ),
    ],
)
def test_a_profile_that_cannot_score_is_refused(admin_client, change, field, message):
    profile = ScoringProfile.objects.get(is_default=True)
    data = {
        "name": profile.name,
        "is_default": "on",
        **{f"weight_{name}": value for name, value in profile.weights.items()},
        "size_sigma": profile.size_sigma,
        "default_cost_usd": profile.default_cost_usd,
        "top_k": profile.top_k,
        **change,
    }
    if not data["is_default"]:
        del data["is_default"]
    url = reverse("admin:matching_scoringprofile_change", args=[profile.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors[field][0]
    profile.refresh_from_db()
    assert profile.is_default and profile.weight_need_fit == 0.3


def test_the_profile_action_starts_a_run_with_that_profile(
    admin_client, django_capture_on_commit_callbacks
):
    population(6)
    profile = ScoringProfileFactory()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:matching_scoringprofile_changelist"),
            {"action": "start_run_with_profile", "_selected_action": [profile.pk]},
        )
    assert MatchRun.objects.get().profile == profile


def test_the_match_list_costs_the_same_queries_for_one_match_or_many(
    admin_client, django_capture_on_commit_callbacks
):
    url = reverse("admin:matching_match_changelist")
    population(2, seed=1, prefix="Pair")
    run_now(django_capture_on_commit_callbacks)
    baseline = queries_of(admin_client, url)
    population(30, seed=2)
    run = run_now(django_capture_on_commit_callbacks)
    assert run.matches_stored > 30
    assert queries_of(admin_client, url) == baseline
    response = admin_client.get(url, {"run__id__exact": run.pk})
    assert response.status_code == 200
    assert response.context["cl"].result_list[0].run_id == run.pk
