"""The partnership pipeline: starting from a match, valid and invalid moves, who may move it,
the dated history, reviews, and the existing-partnership flag of the current run."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from matching.models import Match
from partnerships.models import Partnership, PartnershipEvent
from partnerships.services import details, history, pipeline
from tests.factories import PartnershipFactory, UserFactory
from tests.partnerships.steps import move_both

Status = Partnership.Status


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


def move(partnership, user, to, **kwargs):
    """A step as the cities take it: ``user`` proposes, an editor of the other city confirms;
    an admin who edits neither city moves it as an override; pausing and ending at once."""
    if not pipeline.needs_confirmation(to):
        return pipeline.change_status(user=user, partnership=partnership, to_status=to, **kwargs)
    if user.is_staff and pipeline.acting_city_id(user, partnership) is None:
        return pipeline.change_status(
            user=user, partnership=partnership, to_status=to, override=True, **kwargs
        )
    acting = pipeline.acting_city_id(user, partnership)
    other = partnership.recipient if acting == partnership.donor_id else partnership.donor
    confirmer = other.editors.first() or UserFactory(username=f"{other.slug}-editor")
    other.editors.add(confirmer)
    return move_both(partnership, user, confirmer, to, **kwargs)


def test_a_partnership_started_from_a_match_keeps_its_score_and_explanation(proposed, match):
    assert proposed.status == Status.PROPOSED
    assert proposed.match_ref == match.pk
    snapshot = proposed.match_snapshot
    assert snapshot["score"] == 81.5
    assert snapshot["components"]["need_fit"] == match.need_fit
    assert [a["area"] for a in snapshot["top_areas"]] == ["waste", "air"]
    assert snapshot["gives_back"] == ["economy"]
    # The snapshot outlives the run it came from.
    match.run.delete()
    proposed.refresh_from_db()
    assert proposed.match_snapshot["score"] == 81.5
    assert proposed.reasons == "They lead in composting; we need it."


def test_the_whole_pipeline_with_history_of_who_and_when(proposed, donor_editor, recipient_editor):
    steps = [
        (recipient_editor, Status.AGREED, {}),
        (donor_editor, Status.PILOT, {}),
        (recipient_editor, Status.SCALING, {}),
        (donor_editor, Status.EXPANDED, {}),
        (recipient_editor, Status.CONCLUDED, {"outcome": "good"}),
    ]
    for user, status, extra in steps:
        proposed = move(proposed, user, status, **extra)
        assert proposed.status == status
    events = list(proposed.events.filter(action=PartnershipEvent.Action.STATUS).order_by("id"))
    assert [(e.from_status, e.to_status) for e in events] == [
        ("proposed", "agreed"),
        ("agreed", "pilot"),
        ("pilot", "scaling"),
        ("scaling", "expanded"),
        ("expanded", "concluded"),
    ]
    # Each step names who proposed it; the other city's editor confirmed it.
    others = {donor_editor: recipient_editor, recipient_editor: donor_editor}
    assert [e.user for e in events] == [others[user] for user, _, _ in steps]
    assert all(
        history.describe(e).startswith(f"Proposed by {user.username}")
        for e, (user, _, _) in zip(events, steps, strict=True)
    )
    assert all(timezone.now() - e.created_at < datetime.timedelta(minutes=1) for e in events)
    assert proposed.events.filter(
        action=PartnershipEvent.Action.CREATED, user=donor_editor
    ).exists()
    assert proposed.outcome == "good"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.PROPOSED, Status.PILOT),
        (Status.PROPOSED, Status.SCALING),
        (Status.AGREED, Status.EXPANDED),
        (Status.PILOT, Status.AGREED),
        (Status.CONCLUDED, Status.PILOT),
        (Status.ENDED, Status.AGREED),
        (Status.SCALING, Status.PROPOSED),
    ],
)
def test_invalid_moves_are_refused_and_write_nothing(donor, recipient, donor_editor, start, target):
    partnership = PartnershipFactory(donor=donor, recipient=recipient, status=start)
    with pytest.raises(ValidationError) as error:
        move(partnership, donor_editor, target)
    assert "cannot move to" in error.value.message_dict["status"][0]
    partnership.refresh_from_db()
    assert partnership.status == start
    assert not partnership.events.exists()


def test_an_unknown_status_is_named(proposed, donor_editor):
    with pytest.raises(ValidationError) as error:
        move(proposed, donor_editor, "flying")
    assert "'flying'" in error.value.message_dict["status"][0]


def test_pause_and_end_need_a_reason_and_a_pause_resumes_where_it_was(proposed, donor_editor):
    proposed = move(proposed, donor_editor, Status.AGREED)
    proposed = move(proposed, donor_editor, Status.PILOT)
    with pytest.raises(ValidationError) as error:
        move(proposed, donor_editor, Status.PAUSED, reason="  ")
    assert "reason" in error.value.message_dict
    proposed = move(proposed, donor_editor, Status.PAUSED, reason="Elections: new council")
    assert proposed.status_reason == "Elections: new council"
    assert pipeline.next_statuses(proposed) == (Status.PILOT, Status.ENDED)
    with pytest.raises(ValidationError):
        move(proposed, donor_editor, Status.SCALING)
    proposed = move(proposed, donor_editor, Status.PILOT)
    assert proposed.status == Status.PILOT and proposed.status_reason == ""
    proposed = move(proposed, donor_editor, Status.ENDED, reason="Funding stopped")
    assert proposed.is_closed and pipeline.next_statuses(proposed) == ()


def test_concluding_needs_an_outcome(proposed, donor_editor):
    for status in (Status.AGREED, Status.PILOT):
        proposed = move(proposed, donor_editor, status)
    with pytest.raises(ValidationError) as error:
        move(proposed, donor_editor, Status.CONCLUDED)
    assert "outcome" in error.value.message_dict


def test_only_editors_of_either_city_and_admins_move_it(proposed, staff_user):
    stranger = UserFactory()
    with pytest.raises(PermissionDenied):
        move(proposed, stranger, Status.AGREED)
    assert move(proposed, staff_user, Status.AGREED).status == Status.AGREED


def test_only_editors_of_one_of_the_cities_may_propose(match, areas):
    with pytest.raises(PermissionDenied):
        pipeline.propose_partnership(
            user=UserFactory(),
            donor=match.donor,
            recipient=match.recipient,
            policy_areas=[areas["waste"]],
        )
    assert not Partnership.objects.exists()


def test_a_pair_has_one_open_partnership_whichever_side_proposes(
    proposed, recipient_editor, areas, donor, recipient
):
    with pytest.raises(ValidationError) as error:
        pipeline.propose_partnership(
            user=recipient_editor,
            donor=recipient,
            recipient=donor,
            kind=Partnership.Kind.PEERS,
            policy_areas=[areas["air"]],
        )
    assert "already have a partnership" in error.value.message_dict["recipient"][0]


def test_proposals_name_every_bad_field(donor, donor_editor):
    with pytest.raises(ValidationError) as error:
        pipeline.propose_partnership(
            user=donor_editor,
            donor=donor,
            recipient=donor,
            policy_areas=[],
            review_on=timezone.localdate(),
        )
    assert set(error.value.message_dict) >= {"recipient", "policy_areas", "review_on"}


def test_agreeing_sets_the_review_three_years_later_and_the_reminder_comes_after(
    proposed, donor_editor
):
    proposed = move(proposed, donor_editor, Status.AGREED)
    today = timezone.localdate()
    assert proposed.agreed_on == today
    assert proposed.review_on == pipeline.add_years(today, 3)
    assert not details.review_due(proposed, today=today)
    assert details.review_due(proposed, today=proposed.review_on)
    reviewed = details.record_review(user=donor_editor, partnership=proposed, note="Renewed.")
    assert reviewed.review_on == pipeline.add_years(today, 3)
    line = reviewed.events.get(action="reviewed")
    assert line.note == "Renewed."
    assert history.describe(line).startswith("Next review ")


def test_add_years_handles_the_29th_of_february():
    assert pipeline.add_years(datetime.date(2024, 2, 29), 3) == datetime.date(2027, 2, 28)


def test_an_active_partnership_flags_its_matches_in_the_current_run(proposed, match, donor_editor):
    reverse = Match.objects.create(
        **{
            **{f: getattr(match, f) for f in ("run_id", "score", "size_ratio")},
            **match.components,
            "donor": match.recipient,
            "recipient": match.donor,
        }
    )
    proposed = move(proposed, donor_editor, Status.AGREED)
    assert set(Match.objects.values_list("existing_partnership", flat=True)) == {True}
    move(proposed, donor_editor, Status.ENDED, reason="Council said no")
    assert not Match.objects.filter(existing_partnership=True).exists()
    assert reverse.pk


def test_editing_details_is_recorded(proposed, recipient_editor, areas):
    details.update_partnership(
        user=recipient_editor,
        partnership=proposed,
        policy_areas=[areas["waste"], areas["education"]],
        reasons="Also schools.",
    )
    proposed.refresh_from_db()
    assert set(proposed.policy_areas.values_list("code", flat=True)) == {"waste", "education"}
    event = proposed.events.get(action="edited")
    assert event.user == recipient_editor and event.note == ""
    assert history.describe(event) == "Changed policy areas, reasons."
