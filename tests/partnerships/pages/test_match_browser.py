"""The match browser: the shared MatchFilterSet, sorting, paging, CSV and empty states."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import CityFactory, MatchFactory, MatchRunFactory, UserFactory
from tests.html import parse, text, unlabelled_controls
from tests.pages import many_matches
from toolkit.pages import CappedPaginator

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_match(match):
    """Another pair of the active run: Osaka → Da Nang, in transport, no shared language."""
    return MatchFactory(
        run=match.run,
        donor=CityFactory(name="Osaka", role="donor", is_synthetic=True, languages=["ja"]),
        recipient=CityFactory(name="Da Nang", country="VN", role="recipient", languages=["vi"]),
        score=55.0,
        language=0.0,
        top_areas=[{"area": "transport", "need": 3, "expertise": 3}],
        existing_partnership=True,
        recipient_rank=1,
        donor_rank=1,
    )


def _rows(response) -> list[str]:
    return [m.donor.name for m in response.context["page"].object_list]


def test_lists_the_active_run_with_badges_and_labelled_filters(editor_client, second_match):
    response = editor_client.get(reverse("match-list"), {"scope": "all"})
    page = text(response)
    assert "2 matches" in page
    assert _rows(response) == ["Kitakyushu", "Osaka"]
    assert "synthetic" in page and "already partners" in page
    assert unlabelled_controls(response) == []
    assert parse(response).h1 == 1
    body = response.content.decode()
    assert '<label for="id_min_score">Lowest score</label>' in body
    assert '<label for="id_language">Shared language</label>' in body
    assert "---------" not in body


def test_filters_narrow_the_list_and_live_in_the_url(editor_client, second_match):
    url = reverse("match-list")
    assert _rows(editor_client.get(url, {"policy_area": "transport"})) == ["Osaka"]
    assert _rows(editor_client.get(url, {"policy_area": "air"})) == ["Kitakyushu"]
    assert _rows(editor_client.get(url, {"min_score": "60"})) == ["Kitakyushu"]
    assert _rows(editor_client.get(url, {"language": "en"})) == ["Kitakyushu"]
    assert _rows(editor_client.get(url, {"exclude_existing": "true"})) == ["Kitakyushu"]
    assert _rows(editor_client.get(url, {"recipient_country": "VN", "q": "nang"})) == ["Osaka"]
    filtered = editor_client.get(url, {"policy_area": "transport", "ordering": "score"})
    body = filtered.content.decode()
    # Sorting, paging and the CSV link keep the filters: the view can be shared.
    assert "?policy_area=transport&amp;ordering=-score" in body
    assert "?policy_area=transport&amp;ordering=score&amp;format=csv" in body
    assert 'aria-sort="ascending"' in body


def test_either_side_and_one_side_filters_name_the_city(editor_client, match, second_match):
    hue = match.recipient
    either = editor_client.get(reverse("match-list"), {"city": hue.pk})
    assert _rows(either) == ["Kitakyushu"]
    assert "Either side: Hue" in text(either)
    as_donor = editor_client.get(reverse("match-list"), {"donor": match.donor.pk})
    assert _rows(as_donor) == ["Kitakyushu"] and "Donor: Kitakyushu" in text(as_donor)
    assert _rows(editor_client.get(reverse("match-list"), {"recipient": 99999})) == []


def test_sorting(editor_client, match, second_match):
    url = reverse("match-list")
    assert _rows(editor_client.get(url, {"ordering": "score"})) == ["Osaka", "Kitakyushu"]
    assert _rows(editor_client.get(url, {"ordering": "-score"})) == ["Kitakyushu", "Osaka"]


def test_bad_filters_are_shown_not_ignored(editor_client, match):
    response = editor_client.get(reverse("match-list"), {"min_score": "500"})
    page = text(response)
    assert "Some filters are not valid" in page
    assert "less than or equal to 100" in page
    assert response.context["page"].object_list == []


def test_csv_has_exactly_the_filtered_rows_and_escapes_formulas(editor_client, second_match):
    sneaky = CityFactory(name='=HYPERLINK("http://evil")', role="donor")
    MatchFactory(run=second_match.run, donor=sneaky, recipient=second_match.recipient, score=40)
    response = editor_client.get(
        reverse("match-list"), {"recipient_country": "VN", "ordering": "score", "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [row["donor_name"] for row in rows] == [
        '\'=HYPERLINK("http://evil")',
        "Osaka",
        "Kitakyushu",
    ]
    assert rows[2]["need_fit (0-1)"] == "0.9"
    assert rows[2]["top_areas (area:need:expertise, 0-3)"] == "waste:3:3;air:2:3"
    only_transport = editor_client.get(
        reverse("match-list"), {"policy_area": "transport", "format": "csv"}
    )
    lines = b"".join(only_transport.streaming_content).decode().strip().splitlines()
    assert len(lines) == 2 and "Osaka" in lines[1]


def test_no_run_yet(editor_client, recipient):
    page = text(editor_client.get(reverse("match-list")))
    assert "No run yet" in page


def test_no_matches_yet_complete_your_needs(client, active_run):
    user = UserFactory()
    city = CityFactory(name="Needless", role="recipient")
    city.editors.add(user)
    client.force_login(user)
    page = text(client.get(reverse("match-list"), {"recipient": city.pk}))
    assert "No matches yet: complete your needs" in page
    assert "State Needless's needs" in page


def test_no_match_for_these_filters(editor_client, match):
    page = text(editor_client.get(reverse("match-list"), {"policy_area": "health"}))
    assert "No match for these filters" in page


def test_an_earlier_run_is_marked(editor_client, match):
    old_run = MatchRunFactory(is_active=False)
    MatchFactory(run=old_run, recipient=match.recipient)
    page = text(editor_client.get(reverse("match-list"), {"run": old_run.pk}))
    assert f"These matches come from run {old_run.pk}, not from the current run" in page


def test_count_is_capped_for_speed(editor_client, match, monkeypatch):
    many_matches(match.run, match.recipient, 6)
    monkeypatch.setattr(CappedPaginator, "cap", 5)
    page = text(editor_client.get(reverse("match-list")))
    assert "More than 5 matches" in page


def test_pagination(editor_client, match):
    many_matches(match.run, match.recipient, 30)
    second = editor_client.get(reverse("match-list"), {"page": 2, "recipient": match.recipient.pk})
    assert "31 matches · page 2 of 2" in text(second)
    assert len(second.context["page"].object_list) == 6


@pytest.mark.parametrize("count", [0, 40])
def test_query_count_is_fixed(editor_client, django_assert_num_queries, match, count):
    many_matches(match.run, match.recipient, count)
    # session, user, runs, the policy-area and sector codes of the filters (the page reads the
    # area names from the same cache), my cities, the countries that have cities, count, the
    # mutually interested pairs, the page
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(11):
        response = editor_client.get(reverse("match-list"), {"policy_area": "waste"})
        assert response.status_code == 200


def test_an_officer_lands_on_their_own_citys_matches(editor_client, match, second_match):
    """The editor of Hue sees Hue's matches on both sides first; "All matches" shows all."""
    response = editor_client.get(reverse("match-list"))
    page = text(response)
    hue = match.recipient
    assert f"Either side: {hue.name}" in page
    shown = response.context["page"].object_list
    assert shown and all(hue.pk in (m.donor_id, m.recipient_id) for m in shown)
    everything = editor_client.get(reverse("match-list"), {"scope": "all"})
    assert len(everything.context["page"].object_list) > len(shown)
    assert 'href="/matches/?scope=all" aria-current="true"' in everything.content.decode()


def test_a_rank_outside_the_top_list_is_explained(editor_client, match):
    match.donor_rank = None
    match.save(update_fields=["donor_rank"])
    page = text(editor_client.get(reverse("match-list"), {"scope": "all"}))
    assert f"not in {match.donor.name}'s top" in page


def test_synthetic_cities_can_be_hidden(editor_client, match, second_match):
    second_match.donor.is_synthetic = True
    second_match.donor.save(update_fields=["is_synthetic"])
    url = reverse("match-list")
    both = _rows(editor_client.get(url, {"scope": "all"}))
    real = _rows(editor_client.get(url, {"scope": "all", "real_only": "true"}))
    assert second_match.donor.name in both and second_match.donor.name not in real
    assert "Hide synthetic demonstration cities" in text(editor_client.get(url))


def test_the_country_filters_offer_only_countries_with_cities(editor_client, second_match):
    form = editor_client.get(reverse("match-list"), {"scope": "all"}).context["form"]
    for side in ("recipient", "donor"):
        choices = list(form.fields[f"{side}_country"].choices)
        assert choices[0] == ("", "Any country")
        assert ("VN", "Vietnam") in choices and ("AQ", "Antarctica") not in choices
