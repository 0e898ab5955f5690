"""Programme rounds from the database: the problem built from the run, solving and keeping the
result, explanations and remedies, the agency's decisions, capacities, applications, proposing
the partnerships (once) and the notifications, and who may do what."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.models import Notification
from partnerships.models import Partnership, Round, RoundApplication, RoundCapacity, RoundPair
from partnerships.services import rounds
from tests.factories import CityFactory, MembershipFactory, UserFactory

from .rounds import OPTIMAL, build_round, names_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(areas):
    return build_round()


def test_default_capacity_follows_staff_and_experience():
    assert (
        rounds.default_capacity(CityFactory.build(international_staff=0, years_of_cooperation=0))
        == 1
    )
    assert (
        rounds.default_capacity(CityFactory.build(international_staff=14, years_of_cooperation=45))
        == 3
    )
    assert (
        rounds.default_capacity(CityFactory.build(international_staff=15, years_of_cooperation=5))
        == 3
    )
    assert (
        rounds.default_capacity(CityFactory.build(international_staff=90, years_of_cooperation=30))
        == 5
    )


def test_the_problem_reads_capacities_applicants_and_the_runs_scores(setup):
    inputs = rounds.build_inputs(setup.round)
    problem = inputs.problem
    assert sorted(problem.donors) == sorted(c.pk for c in setup.donors.values())
    assert sorted(problem.recipients) == sorted(c.pk for c in setup.recipients.values())
    assert len(problem.pairs) == 12 and inputs.scored_now == 0
    option = next(
        o
        for o in problem.pairs
        if o.pair == (setup.donors["Yokohama"].pk, setup.recipients["Dhaka"].pk)
    )
    assert (option.score, option.reciprocity, option.areas) == (65.0, 0.9, frozenset({"waste"}))
    assert problem.areas == frozenset({"waste", "air"}) and problem.recipient_max == 1


def test_a_pair_the_run_does_not_store_is_scored_now_in_one_batch(areas):
    setup = build_round(store_all=False)
    inputs = rounds.build_inputs(setup.round)
    pair = (setup.donors["Yokohama"].pk, setup.recipients["Dhaka"].pk)
    assert inputs.scored_now == 1 and pair not in inputs.stored
    option = next(o for o in inputs.problem.pairs if o.pair == pair)
    assert 0 < option.score <= 100 and "waste" in option.areas


def test_solve_keeps_the_optimal_and_stable_pairs_and_explains_the_left_out(setup):
    rounds.solve(user=setup.agency, round_=setup.round)
    setup.round.refresh_from_db()
    optimal = RoundPair.objects.filter(round=setup.round, method="optimal")
    assert names_of(optimal) == OPTIMAL
    solution = setup.round.solution
    assert solution["status"] == "optimal" and solution["optimal"]["total_score"] == 232.0
    assert solution["stable"]["total_score"] <= 232.0
    assert RoundPair.objects.filter(round=setup.round, method="stable").count() == 3
    names = rounds.city_names(setup.round)
    (left,) = rounds.explained_left_out(setup.agency, setup.round, names)
    assert left["name"] == "Dhaka" and left["reasons"] == ["donors_full"]
    assert "Dhaka is left out" in left["message"] and "Yokohama" in left["message"]
    assert "Raise Yokohama's capacity to 2 to include Dhaka." in left["remedy_messages"]


def test_raising_the_capacity_the_remedy_names_brings_the_recipient_in(setup):
    rounds.solve(user=setup.agency, round_=setup.round)
    rounds.set_capacity(
        user=setup.agency, round_=setup.round, donor=setup.donors["Yokohama"], capacity=2
    )
    rounds.solve(user=setup.agency, round_=setup.round)
    chosen = names_of(RoundPair.objects.filter(round=setup.round, method="optimal"))
    assert ("Yokohama", "Dhaka") in chosen and len(chosen) == 4
    setup.round.refresh_from_db()
    assert setup.round.solution["left_out"] == []


def test_locked_and_ruled_out_pairs_hold(setup):
    donors, recipients = setup.donors, setup.recipients
    rounds.decide(
        user=setup.agency,
        round_=setup.round,
        donor=donors["Kitakyushu"],
        recipient=recipients["Bandung"],
        decision="lock",
    )
    rounds.decide(
        user=setup.agency,
        round_=setup.round,
        donor=donors["Yokohama"],
        recipient=recipients["Da Nang"],
        decision="rule_out",
    )
    rounds.solve(user=setup.agency, round_=setup.round)
    rows = RoundPair.objects.filter(round=setup.round, method="optimal")
    chosen = names_of(rows)
    assert ("Kitakyushu", "Bandung") in chosen and ("Yokohama", "Da Nang") not in chosen
    assert rows.get(donor=donors["Kitakyushu"]).locked
    # Clearing the decisions gives the free optimum back.
    for donor, recipient in (("Kitakyushu", "Bandung"), ("Yokohama", "Da Nang")):
        rounds.decide(
            user=setup.agency,
            round_=setup.round,
            donor=donors[donor],
            recipient=recipients[recipient],
            decision="clear",
        )
    rounds.solve(user=setup.agency, round_=setup.round)
    assert names_of(RoundPair.objects.filter(round=setup.round, method="optimal")) == OPTIMAL


def test_an_infeasible_round_says_why_and_cannot_be_proposed(setup):
    for recipient in ("Bandung", "Cebu"):
        rounds.decide(
            user=setup.agency,
            round_=setup.round,
            donor=setup.donors["Osaka"],
            recipient=setup.recipients[recipient],
            decision="lock",
        )
    rounds.solve(user=setup.agency, round_=setup.round)
    setup.round.refresh_from_db()
    assert setup.round.solution["status"] == "infeasible"
    assert not RoundPair.objects.filter(round=setup.round, method="optimal").exists()
    (message,) = rounds.infeasible_messages(setup.round, rounds.city_names(setup.round))
    assert message.startswith("Osaka can take 1 new partnership, but 2 are locked:")
    assert "Osaka → Bandung" in message and "Osaka → Cebu" in message
    with pytest.raises(ValidationError) as error:
        rounds.propose(user=setup.agency, round_=setup.round)
    assert "round" in error.value.message_dict


def test_the_budget_limits_the_pairs_and_is_named(areas):
    setup = build_round(budget_usd=100_000)
    rounds.solve(user=setup.agency, round_=setup.round)
    setup.round.refresh_from_db()
    solution = setup.round.solution
    assert solution["optimal"]["pairs"] == 2 and solution["optimal"]["total_cost_usd"] <= 100_000
    reasons = {entry["recipient"]: entry["reasons"] for entry in solution["left_out"]}
    assert len(reasons) == 2
    assert all("budget_spent" in r or "donors_full" in r for r in reasons.values())
    messages = rounds.explained_left_out(setup.agency, setup.round, rounds.city_names(setup.round))
    assert any("A budget of USD" in m for entry in messages for m in entry["remedy_messages"])


def test_propose_creates_the_partnerships_once_and_tells_both_cities(setup):
    rounds.solve(user=setup.agency, round_=setup.round)
    proposed = rounds.propose(user=setup.agency, round_=setup.round)
    assert len(proposed.created) == 3 and proposed.existing == 0
    partnerships = Partnership.objects.filter(programme=setup.programme)
    assert {(p.donor.name, p.recipient.name) for p in partnerships} == OPTIMAL
    assert {p.status for p in partnerships} == {Partnership.Status.PROPOSED}
    for donor, recipient in OPTIMAL:
        for name in (donor, recipient):
            notes = Notification.objects.filter(recipient=setup.editors[name])
            assert notes.count() == 1, name
            assert "Clean Cities Asia proposes a partnership" in notes.get().title
    assert not Notification.objects.filter(recipient=setup.editors["Dhaka"]).exists()
    setup.round.refresh_from_db()
    assert setup.round.state == Round.State.PROPOSED
    again = rounds.propose(user=setup.agency, round_=setup.round)
    assert again.created == [] and again.existing == 3
    assert Partnership.objects.filter(programme=setup.programme).count() == 3
    assert Notification.objects.count() == 6
    # Solving again keeps the links to the partnerships already proposed.
    rounds.solve(user=setup.agency, round_=setup.round)
    assert rounds.propose(user=setup.agency, round_=setup.round).created == []


def test_the_cities_agree_through_the_two_sided_steps(setup):
    from partnerships.services import steps

    rounds.solve(user=setup.agency, round_=setup.round)
    rounds.propose(user=setup.agency, round_=setup.round)
    partnership = Partnership.objects.get(donor=setup.donors["Osaka"])
    step = steps.propose_step(
        user=setup.editors["Osaka"], partnership=partnership, to_status="agreed"
    )
    steps.confirm_step(user=setup.editors["Bandung"], proposal=step)
    partnership.refresh_from_db()
    assert partnership.status == Partnership.Status.AGREED


def test_only_the_agency_and_admins_manage_a_round(setup):
    editor = setup.editors["Kitakyushu"]
    for action in (
        lambda user: rounds.solve(user=user, round_=setup.round),
        lambda user: rounds.propose(user=user, round_=setup.round),
        lambda user: rounds.decide(
            user=user,
            round_=setup.round,
            donor=setup.donors["Osaka"],
            recipient=setup.recipients["Cebu"],
            decision="lock",
        ),
    ):
        with pytest.raises(PermissionDenied):
            action(editor)
    admin = UserFactory(is_staff=True)
    rounds.solve(user=admin, round_=setup.round)


def test_a_donors_editor_may_state_its_capacity_but_not_anothers(setup):
    editor = setup.editors["Kitakyushu"]
    rounds.set_capacity(
        user=editor, round_=setup.round, donor=setup.donors["Kitakyushu"], capacity=3
    )
    assert RoundCapacity.objects.get(donor=setup.donors["Kitakyushu"]).capacity == 3
    with pytest.raises(PermissionDenied):
        rounds.set_capacity(
            user=editor, round_=setup.round, donor=setup.donors["Osaka"], capacity=3
        )


@pytest.mark.parametrize("capacity", [-1, 51, "two", True])
def test_a_bad_capacity_names_the_field_and_writes_nothing(setup, capacity):
    with pytest.raises(ValidationError) as error:
        rounds.set_capacity(
            user=setup.agency, round_=setup.round, donor=setup.donors["Osaka"], capacity=capacity
        )
    assert list(error.value.message_dict) == ["capacity"]
    assert RoundCapacity.objects.get(donor=setup.donors["Osaka"]).capacity == 1


def test_a_member_recipient_applies_once_and_others_are_refused(setup):
    newcomer = CityFactory(name="Hue", country="VN", role="recipient", needs={"waste": 2})
    editor = UserFactory()
    newcomer.editors.add(editor)
    with pytest.raises(ValidationError) as error:
        rounds.apply_to_round(user=editor, round_=setup.round, recipient=newcomer)
    assert "recipient" in error.value.message_dict
    MembershipFactory(programme=setup.programme, city=newcomer)
    _, created = rounds.apply_to_round(user=editor, round_=setup.round, recipient=newcomer)
    _, again = rounds.apply_to_round(user=editor, round_=setup.round, recipient=newcomer)
    assert created and not again
    assert RoundApplication.objects.filter(round=setup.round, recipient=newcomer).count() == 1
    with pytest.raises(PermissionDenied):
        rounds.apply_to_round(
            user=setup.editors["Cebu"], round_=setup.round, recipient=setup.recipients["Dhaka"]
        )


def test_decisions_name_a_donor_and_an_applicant_of_the_round(setup):
    outsider = CityFactory(name="Lyon", country="FR", role="donor")
    with pytest.raises(ValidationError) as error:
        rounds.decide(
            user=setup.agency,
            round_=setup.round,
            donor=outsider,
            recipient=setup.recipients["Cebu"],
            decision="lock",
        )
    assert list(error.value.message_dict) == ["donor"]
    with pytest.raises(ValidationError) as error:
        rounds.decide(
            user=setup.agency,
            round_=setup.round,
            donor=setup.donors["Osaka"],
            recipient=setup.recipients["Cebu"],
            decision="maybe",
        )
    assert list(error.value.message_dict) == ["decision"]


def test_opening_a_round_checks_its_fields_and_gives_donors_their_default_capacity(setup):
    with pytest.raises(ValidationError) as error:
        rounds.open_round(
            user=setup.agency,
            programme=setup.programme,
            title="Air 2028",
            opens_on=datetime.date(2028, 3, 1),
            closes_on=datetime.date(2028, 1, 1),
        )
    assert "__all__" in error.value.message_dict or "closes_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        rounds.open_round(
            user=setup.agency,
            programme=setup.programme,
            title="Air 2028",
            opens_on=datetime.date(2028, 1, 1),
            closes_on=datetime.date(2028, 3, 1),
            budget_usd=200_000,
        )
    assert list(error.value.message_dict) == ["expected_cost_usd"]
    assert Round.objects.count() == 1
    opened = rounds.open_round(
        user=setup.agency,
        programme=setup.programme,
        title="Air 2028",
        opens_on=datetime.date(2028, 1, 1),
        closes_on=datetime.date(2028, 3, 1),
    )
    # Staff 3, 5 years: one partnership each.
    assert sorted(opened.capacities.values_list("capacity", flat=True)) == [1, 1, 1]


def test_editors_see_only_their_own_pairs(setup):
    rounds.solve(user=setup.agency, round_=setup.round)
    mine = rounds.pairs_for(setup.editors["Cebu"], setup.round)
    assert names_of(mine) == {("Kitakyushu", "Cebu")}
    assert rounds.left_out_for(setup.editors["Cebu"], setup.round) == []
    assert len(rounds.left_out_for(setup.editors["Dhaka"], setup.round)) == 1
    assert len(rounds.pairs_for(setup.agency, setup.round)) == 3


def test_remedies_are_searched_within_the_time_given_and_thoroughly_on_demand(setup):
    inputs = rounds.build_inputs(setup.round)
    brief = rounds.solve_inputs(inputs, remedy_seconds=0)
    assert not brief.remedies_complete
    (left,) = brief.explanations.left_out
    assert left.reasons and left.remedies == ()
    thorough = rounds.solve(user=setup.agency, round_=setup.round, thorough=True)
    assert thorough.remedies_complete and thorough.explanations.left_out[0].remedies
    setup.round.refresh_from_db()
    assert setup.round.solution["remedies_complete"] is True


def test_practices_costs_count_when_the_round_says_so(setup):
    from matching.models import Match
    from tests.factories import BestPracticeFactory

    practice = BestPracticeFactory(city=setup.donors["Yokohama"], cost_usd=20_000)
    row = Match.objects.get(donor=setup.donors["Yokohama"], recipient=setup.recipients["Dhaka"])
    row.practices = [[practice.pk, practice.title]]
    row.save()
    setup.round.costing = "practices"
    setup.round.save()
    problem = rounds.build_inputs(setup.round).problem
    costs = {o.pair: problem.cost_of(o) for o in problem.pairs}
    assert costs[(setup.donors["Yokohama"].pk, setup.recipients["Dhaka"].pk)] == 20_000
    assert costs[(setup.donors["Osaka"].pk, setup.recipients["Dhaka"].pk)] == 50_000
