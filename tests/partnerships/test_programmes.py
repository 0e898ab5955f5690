"""Programmes: eligibility rule by rule with the reason shown, applying, suggested member pairs
from the active run, and the programme page with its partnerships."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from partnerships.models import ProgrammeMembership
from partnerships.services import pipeline, programmes
from tests.factories import (
    CityFactory,
    MatchFactory,
    MatchRunFactory,
    MembershipFactory,
    PartnershipFactory,
    ProgrammeFactory,
    UserFactory,
)


@pytest.fixture
def programme(areas):
    programme = ProgrammeFactory(
        name="Clean Cities Asia",
        slug="clean-cities-asia",
        min_population=1_000_000,
        countries=["ID", "VN"],
        min_cofunding_usd=40_000,
        requires_adopted_plan=True,
        funding_usd=2_000_000,
    )
    programme.policy_areas.set([areas["waste"], areas["air"]])
    return programme


def rules_of(programme, city, **kwargs) -> dict:
    result = programmes.check_eligibility(
        programme,
        city,
        levels=list(city.area_levels.all()),
        membership=ProgrammeMembership.objects.filter(programme=programme, city=city).first(),
        **kwargs,
    )
    return {rule.key: rule for rule in result.rules}


def test_a_city_passing_every_rule_is_eligible(programme, recipient):
    # Surabaya: ID, 2.9 million, needs waste 3, co-funding 50,000.
    result = programmes.check_eligibility(
        programme,
        recipient,
        levels=list(recipient.area_levels.all()),
        membership=None,
        has_adopted_plan=True,
    )
    assert result.eligible and result.status == "eligible"
    assert [rule.key for rule in result.rules] == [
        "population",
        "countries",
        "policy_areas",
        "cofunding",
        "plan",
    ]


@pytest.mark.parametrize(
    ("change", "rule", "reason"),
    [
        (
            {"population": 300_000},
            "population",
            "300,000 inhabitants; the programme asks for at least 1,000,000.",
        ),
        (
            {"country": "TH"},
            "countries",
            "Thailand is not among the countries it covers (Indonesia, Vietnam).",
        ),
        (
            {"cofunding_usd": 10_000},
            "cofunding",
            "Brings USD 10,000; the programme asks for USD 40,000.",
        ),
    ],
)
def test_each_failed_rule_is_named_with_its_reason(programme, recipient, change, rule, reason):
    for name, value in change.items():
        setattr(recipient, name, value)
    rules = rules_of(programme, recipient, has_adopted_plan=True)
    assert not rules[rule].passed and rules[rule].detail == reason
    assert all(r.passed for key, r in rules.items() if key != rule)


def test_the_policy_area_rule(programme, areas):
    city = CityFactory(
        country="ID", population=2_000_000, cofunding_usd=50_000, needs={"water": 3, "waste": 1}
    )
    rules = rules_of(programme, city)
    assert not rules["policy_areas"].passed
    assert (
        "no need or expertise of medium level or more in its areas" in rules["policy_areas"].detail
    )


def test_the_adopted_plan_rule_reads_the_application(programme, recipient):
    assert not rules_of(programme, recipient)["plan"].passed
    MembershipFactory(
        programme=programme,
        city=recipient,
        status="applied",
        has_adopted_plan=True,
        plan_title="Surabaya climate plan 2030",
    )
    plan = rules_of(programme, recipient)["plan"]
    assert plan.passed and plan.detail == "“Surabaya climate plan 2030” adopted."


def test_empty_rules_let_every_city_in(recipient):
    open_programme = ProgrammeFactory()
    result = programmes.check_eligibility(open_programme, recipient, levels=[], membership=None)
    assert result.rules == () and result.eligible


def test_the_city_page_shows_eligible_programmes_and_why_not_the_others(
    client, programme, recipient, recipient_editor
):
    ProgrammeFactory(name="Open Network", slug="open-network")
    client.force_login(recipient_editor)
    page = client.get(reverse("city-detail", args=[recipient.slug])).content.decode()
    assert "Open Network" in page and "Clean Cities Asia" in page
    assert "not eligible" in page
    assert "Adopted plan: No adopted plan recorded" in page


def test_applying_with_a_plan_then_admitted(
    client, programme, recipient, recipient_editor, staff_user
):
    client.force_login(recipient_editor)
    url = reverse("programme-apply", args=[programme.slug])
    response = client.post(url, {"city": recipient.pk, "has_adopted_plan": "on", "plan_title": ""})
    assert response.status_code == 200 and "Name the adopted plan." in response.content.decode()
    response = client.post(
        url, {"city": recipient.pk, "has_adopted_plan": "on", "plan_title": "Clean air plan"}
    )
    assert response.status_code == 302
    membership = ProgrammeMembership.objects.get()
    assert membership.status == "applied" and membership.has_adopted_plan
    page = client.get(reverse("programme-detail", args=[programme.slug])).content.decode()
    assert "applied" in page
    programmes.admit(user=staff_user, membership=membership)
    membership.refresh_from_db()
    assert membership.status == "member"


def test_an_ineligible_application_is_refused_naming_every_failed_rule(
    client, programme, recipient, recipient_editor
):
    recipient.population = 300_000
    recipient.save()
    client.force_login(recipient_editor)
    response = client.post(
        reverse("programme-apply", args=[programme.slug]), {"city": recipient.pk}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Minimum population: 300,000 inhabitants" in page
    assert "Adopted plan: No adopted plan recorded" in page
    assert not ProgrammeMembership.objects.exists()


def test_only_editors_apply_for_their_city(programme, recipient):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        programmes.apply_to_programme(
            user=UserFactory(),
            programme=programme,
            city=recipient,
            has_adopted_plan=True,
            plan_title="x",
        )


def test_pair_suggestions_are_member_matches_in_its_areas_best_first(run, programme):
    members = [CityFactory(name=f"Member {i}") for i in range(4)]
    outsider = CityFactory(name="Outsider")
    for city in members:
        MembershipFactory(programme=programme, city=city)
    MembershipFactory(programme=programme, city=outsider, status="applied")
    waste = [{"area": "waste", "need": 3, "expertise": 3}]
    water = [{"area": "water", "need": 3, "expertise": 3}]
    best = MatchFactory(run=run, donor=members[0], recipient=members[1], score=90, top_areas=waste)
    second = MatchFactory(
        run=run,
        donor=members[2],
        recipient=members[3],
        score=70,
        top_areas=[
            {"area": "water", "need": 2, "expertise": 2},
            {"area": "air", "need": 2, "expertise": 3},
        ],
    )
    MatchFactory(run=run, donor=members[0], recipient=members[3], score=95, top_areas=water)
    MatchFactory(run=run, donor=outsider, recipient=members[1], score=99, top_areas=waste)
    old_run = MatchRunFactory(is_active=False)
    MatchFactory(run=old_run, donor=members[2], recipient=members[1], top_areas=waste)
    assert programmes.suggested_pairs(programme) == [best, second]


def test_programme_page_lists_pairs_members_and_partnerships_with_states(
    client, run, programme, recipient_editor, areas
):
    first, second = (
        CityFactory(name="Hue", role="recipient"),
        CityFactory(name="Osaka", role="donor"),
    )
    for city in (first, second):
        MembershipFactory(programme=programme, city=city)
    MatchFactory(run=run, donor=second, recipient=first, score=77.7)
    partnership = pipeline.propose_partnership(
        user=UserFactory(is_staff=True),
        donor=second,
        recipient=first,
        policy_areas=[areas["waste"]],
        programme=programme,
    )
    client.force_login(recipient_editor)
    response = client.get(reverse("programme-detail", args=[programme.slug]))
    page = response.content.decode()
    assert "77.7" in page and "Hue" in page and "Osaka" in page
    assert reverse("partnership-detail", args=[partnership.pk]) in page and ">proposed<" in page


def test_a_programme_partnership_links_two_members(programme, donor, recipient, areas, staff_user):
    with pytest.raises(ValidationError) as error:
        pipeline.propose_partnership(
            user=staff_user,
            donor=donor,
            recipient=recipient,
            policy_areas=[areas["waste"]],
            programme=programme,
        )
    assert error.value.message_dict["programme"] == [
        "Kitakyushu and Surabaya are not members of Clean Cities Asia."
    ]


@pytest.mark.parametrize("count", [1, 6])
def test_programme_pages_query_counts_are_fixed(
    client, django_assert_num_queries, run, programme, recipient_editor, areas, count
):
    for i in range(count):
        donor, recipient = CityFactory(role="donor"), CityFactory(role="recipient")
        for city in (donor, recipient):
            MembershipFactory(programme=programme, city=city)
        MatchFactory(run=run, donor=donor, recipient=recipient, score=50 + i)
        PartnershipFactory(donor=donor, recipient=recipient, programme=programme).policy_areas.set(
            [areas["waste"]]
        )
        ProgrammeFactory().policy_areas.set([areas["air"]])
    client.force_login(recipient_editor)
    # session, user, programme + areas, user's cities + levels, their memberships, members,
    # member ids, pairs, partnerships + areas, area names, rounds
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(15):
        response = client.get(reverse("programme-detail", args=[programme.slug]))
        assert response.status_code == 200
    # session, user, cities + levels, programmes + areas, memberships
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(8):
        assert client.get(reverse("programme-list")).status_code == 200
