"""Two-sided consent: one city alone cannot reach agreed or a later stage; the other city's
confirmation moves it; pausing and ending stay one-sided; admins act alone only as a recorded
override. Through the services, the pages and the API."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from notifications.models import Kind, Notification
from partnerships.models import Partnership, PartnershipEvent, StepProposal
from partnerships.services import history, pipeline, steps
from tests.api_clients import token_client as client_of
from tests.factories import PartnershipFactory, UserFactory

Status = Partnership.Status
Step = StepProposal.State


@pytest.fixture
def proposed(donor, recipient, donor_editor, recipient_editor):
    donor_editor.email = "kita@example.org"
    recipient_editor.email = "sura@example.org"
    donor_editor.save()
    recipient_editor.save()
    return PartnershipFactory(donor=donor, recipient=recipient)


def test_one_side_alone_cannot_agree(proposed, donor_editor):
    with pytest.raises(pipeline.ConfirmationNeeded, match="Surabaya has not confirmed"):
        pipeline.change_status(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    proposed.refresh_from_db()
    assert proposed.status == Status.PROPOSED


def test_the_other_sides_confirmation_moves_it_and_the_history_names_both(
    proposed, donor_editor, recipient_editor
):
    proposal = steps.propose_step(
        user=donor_editor, partnership=proposed, to_status=Status.AGREED, note="Ready to sign."
    )
    proposed.refresh_from_db()
    assert proposed.status == Status.PROPOSED
    assert pipeline.pending_step(proposed) == proposal
    # The proposer cannot confirm their own step.
    with pytest.raises(PermissionDenied, match="editor of Surabaya confirms"):
        steps.confirm_step(user=donor_editor, proposal=proposal)

    assert Notification.objects.get(recipient=recipient_editor).read_at is None
    moved = steps.confirm_step(user=recipient_editor, proposal=proposal)
    assert moved.status == Status.AGREED
    # Answered: the "waiting for you" is settled.
    assert Notification.objects.get(recipient=recipient_editor).read_at is not None
    assert moved.agreed_on is not None
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decided_by) == (Step.CONFIRMED, recipient_editor)
    line = PartnershipEvent.objects.get(partnership=proposed, action="status")
    assert line.note == ""
    assert history.describe(line) == (
        "Proposed by kita-editor (Kitakyushu), confirmed by sura-editor (Surabaya)."
    )
    assert line.user == recipient_editor


@pytest.mark.parametrize("later", [Status.PILOT, Status.SCALING, Status.EXPANDED])
def test_later_stages_need_the_other_side_too(proposed, donor_editor, recipient_editor, later):
    steps.confirm_step(
        user=donor_editor,
        proposal=steps.propose_step(
            user=recipient_editor, partnership=proposed, to_status=Status.AGREED
        ),
    )
    for stage in (Status.PILOT, Status.SCALING, Status.EXPANDED):
        with pytest.raises(pipeline.ConfirmationNeeded):
            pipeline.change_status(user=recipient_editor, partnership=proposed, to_status=stage)
        proposal = steps.propose_step(user=recipient_editor, partnership=proposed, to_status=stage)
        steps.confirm_step(user=donor_editor, proposal=proposal)
        if stage == later:
            break
    proposed.refresh_from_db()
    assert proposed.status == later


def test_a_declined_step_keeps_the_status_and_tells_the_reason(
    proposed, donor_editor, recipient_editor
):
    proposal = steps.propose_step(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    with pytest.raises(ValidationError, match="Say why"):
        steps.decline_step(user=recipient_editor, proposal=proposal, reason=" ")
    steps.decline_step(user=recipient_editor, proposal=proposal, reason="Council votes in May.")
    proposed.refresh_from_db()
    assert proposed.status == Status.PROPOSED
    told = Notification.objects.get(recipient=donor_editor, kind=Kind.STEP_DECIDED)
    assert told.body == "Council votes in May."
    assert "declined" in told.title


def test_pausing_and_ending_stay_one_sided(proposed, donor_editor, recipient_editor):
    proposal = steps.propose_step(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    steps.confirm_step(user=recipient_editor, proposal=proposal)
    paused = pipeline.change_status(
        user=recipient_editor, partnership=proposed, to_status=Status.PAUSED, reason="Elections."
    )
    assert paused.status == Status.PAUSED
    ended = pipeline.change_status(
        user=donor_editor, partnership=proposed, to_status=Status.ENDED, reason="Budget cut."
    )
    assert ended.status == Status.ENDED
    # The other city hears of it, with the reason.
    told = Notification.objects.filter(kind=Kind.STEP_DECIDED).order_by("id")
    assert [(n.recipient, n.body) for n in told][-2:] == [
        (donor_editor, "Elections."),
        (recipient_editor, "Budget cut."),
    ]
    assert told.last().title == (
        "Kitakyushu moved the partnership of Kitakyushu and Surabaya to ended"
    )


def test_ending_withdraws_a_waiting_step(proposed, donor_editor, recipient_editor):
    proposal = steps.propose_step(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    pipeline.change_status(
        user=recipient_editor, partnership=proposed, to_status=Status.ENDED, reason="No budget."
    )
    proposal.refresh_from_db()
    assert proposal.state == Step.WITHDRAWN
    with pytest.raises(ValidationError):
        steps.confirm_step(user=recipient_editor, proposal=proposal)


def test_an_admin_acts_alone_only_as_a_recorded_override(proposed, staff_user, donor_editor):
    with pytest.raises(pipeline.ConfirmationNeeded):
        pipeline.change_status(user=staff_user, partnership=proposed, to_status=Status.AGREED)
    with pytest.raises(PermissionDenied, match="override"):
        steps.propose_step(user=staff_user, partnership=proposed, to_status=Status.AGREED)
    proposal = steps.propose_step(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    with pytest.raises(PermissionDenied, match="override"):
        steps.confirm_step(user=staff_user, proposal=proposal)
    steps.confirm_step(user=staff_user, proposal=proposal, override=True)
    proposal.refresh_from_db()
    assert proposal.override is True
    line = PartnershipEvent.objects.get(partnership=proposed, action="status")
    assert line.message["override"] is True
    assert "admin override for Surabaya" in history.describe(line)

    moved = pipeline.change_status(
        user=staff_user, partnership=proposed, to_status=Status.PILOT, override=True
    )
    assert moved.status == Status.PILOT
    assert PartnershipEvent.objects.filter(message__override=True).exists()


def test_an_editor_cannot_override(proposed, donor_editor):
    with pytest.raises(PermissionDenied):
        pipeline.change_status(
            user=donor_editor, partnership=proposed, to_status=Status.AGREED, override=True
        )


def test_a_stranger_cannot_propose_or_answer(proposed, donor_editor):
    stranger = UserFactory()
    with pytest.raises(PermissionDenied):
        steps.propose_step(user=stranger, partnership=proposed, to_status=Status.AGREED)
    proposal = steps.propose_step(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    with pytest.raises(PermissionDenied):
        steps.confirm_step(user=stranger, proposal=proposal)


def test_proposing_the_step_the_other_side_proposed_confirms_it(
    proposed, donor_editor, recipient_editor
):
    steps.propose_step(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    steps.propose_step(user=recipient_editor, partnership=proposed, to_status=Status.AGREED)
    proposed.refresh_from_db()
    assert proposed.status == Status.AGREED


def test_the_waiting_city_is_told_once_and_mailed_at_once(
    proposed, donor_editor, recipient_editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        steps.propose_step(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    waiting = Notification.objects.get(kind=Kind.STEP_WAITING)
    assert waiting.recipient == recipient_editor
    assert "waiting for you" in waiting.title
    assert waiting.emailed_at is not None
    assert [m.to for m in mail.outbox] == [["sura@example.org"]]
    assert "waiting for you" in mail.outbox[0].subject


# --- Pages ------------------------------------------------------------------------------------


def test_pages_say_who_is_waiting_and_the_other_side_confirms(
    client, proposed, donor_editor, recipient_editor
):
    page = proposed.get_absolute_url()
    client.force_login(donor_editor)
    response = client.post(
        f"{page}status/", {"status": "agreed", "reason": "Signed by our mayor."}, follow=True
    )
    assert "Waiting for Surabaya" in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == Status.PROPOSED

    client.force_login(recipient_editor)
    html = client.get(page).content.decode()
    assert "Waiting for you" in html
    assert "Signed by our mayor." in html
    proposal = StepProposal.objects.get()
    response = client.post(f"{page}steps/{proposal.pk}/confirm/", follow=True)
    assert "the partnership is now agreed" in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == Status.AGREED
    assert "confirmed by sura-editor (Surabaya)" in response.content.decode()


def test_a_decline_without_a_reason_comes_back_with_the_error(
    client, proposed, donor_editor, recipient_editor
):
    proposal = steps.propose_step(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    client.force_login(recipient_editor)
    response = client.post(
        f"{proposed.get_absolute_url()}steps/{proposal.pk}/decline/", {"reason": ""}
    )
    assert response.status_code == 200
    assert "Say why" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.state == Step.PENDING


# --- API --------------------------------------------------------------------------------------


def _url(partnership, tail=""):
    return f"/api/partnerships/{partnership.pk}/{tail}"


def test_api_409_until_the_other_side_confirms(proposed, donor_editor, recipient_editor):
    donor_api = client_of(donor_editor)
    response = donor_api.patch(_url(proposed), {"status": "agreed"}, format="json")
    assert response.status_code == 409
    assert "Surabaya has not confirmed" in response.json()["detail"]

    response = donor_api.post(
        _url(proposed, "steps/"), {"to_status": "agreed", "note": "Ready."}, format="json"
    )
    assert response.status_code == 201, response.json()
    step = response.json()
    assert step["waiting_for_city"] == proposed.recipient_id
    detail = donor_api.get(_url(proposed)).json()
    assert detail["status"] == "proposed"
    assert detail["pending_step"]["id"] == step["id"]
    response = donor_api.patch(_url(proposed), {"status": "agreed"}, format="json")
    assert response.status_code == 409
    assert "waits for Surabaya" in response.json()["detail"]
    assert donor_api.post(_url(proposed, f"steps/{step['id']}/confirm/")).status_code == 403

    recipient_api = client_of(recipient_editor)
    response = recipient_api.post(_url(proposed, f"steps/{step['id']}/confirm/"))
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "confirmed"
    detail = recipient_api.get(_url(proposed)).json()
    assert (detail["status"], detail["pending_step"]) == ("agreed", None)


def test_api_decline_needs_a_reason_and_pausing_is_one_sided(
    proposed, donor_editor, recipient_editor
):
    proposal = steps.propose_step(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    recipient_api = client_of(recipient_editor)
    url = _url(proposed, f"steps/{proposal.pk}/decline/")
    response = recipient_api.post(url, {"reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert recipient_api.post(url, {"reason": "Not yet."}, format="json").status_code == 200
    response = recipient_api.patch(
        _url(proposed), {"status": "ended", "status_reason": "Other priorities."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "ended"


def test_api_admin_override_is_recorded(proposed, staff_user):
    api = client_of(staff_user)
    assert api.patch(_url(proposed), {"status": "agreed"}, format="json").status_code == 409
    response = api.patch(_url(proposed), {"status": "agreed", "override": True}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "agreed"
    assert PartnershipEvent.objects.filter(partnership=proposed, message__override=True).exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "The partnership moved to ended first."),
        ("ja", "先にパートナーシップが「%s」に移行しました。"),
        ("vi", "Quan hệ đối tác đã được chuyển sang trạng thái %s trước đó."),
    ],
)
def test_api_a_step_the_system_withdrew_says_why_in_the_readers_language(
    proposed, donor_editor, recipient_editor, language, expected
):
    proposal = steps.propose_step(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    pipeline.change_status(
        user=recipient_editor, partnership=proposed, to_status=Status.ENDED, reason="No budget."
    )
    proposal.refresh_from_db()
    assert proposal.reason_message == {"kind": "superseded", "status": "ended"}
    api = client_of(donor_editor)
    rows = api.get(_url(proposed, "steps/"), HTTP_ACCEPT_LANGUAGE=language).json()
    if "%s" in expected:
        with translation.override(language):
            ended = str(Status.ENDED.label).lower()
        assert ended != "ended"
        expected %= ended
    assert [row["reason"] for row in rows] == [expected]


def test_api_a_reason_a_person_wrote_stays_as_written(proposed, donor_editor, recipient_editor):
    proposal = steps.propose_step(user=donor_editor, partnership=proposed, to_status=Status.AGREED)
    steps.decline_step(user=recipient_editor, proposal=proposal, reason="Not before the budget.")
    api = client_of(donor_editor)
    for language in ("en", "ja", "vi"):
        rows = api.get(_url(proposed, "steps/"), HTTP_ACCEPT_LANGUAGE=language).json()
        assert [row["reason"] for row in rows] == ["Not before the budget."]
