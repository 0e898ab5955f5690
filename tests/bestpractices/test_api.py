"""/api/best-practices/: visibility, nested writes, permissions, workflow, query counts."""

import pytest
from django.urls import reverse

from bestpractices.models import BestPractice
from tests.factories import BestPracticeFactory, CityFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = BestPractice.Status
LIST = "/api/best-practices/"


def detail(practice) -> str:
    return f"{LIST}{practice.pk}/"


def payload(city, **overrides):
    return {
        "title": "Landfill methane to electricity",
        "city": city.pk,
        "policy_areas": ["waste", "energy"],
        "sectors": ["E"],
        "summary": "Gas from the landfill runs engines.",
        "body": "The **story**.",
        "scale": "citywide",
        "start_year": 2007,
        "end_year": 2012,
        "cost_min_usd": 8_000_000,
        "cost_max_usd": 12_000_000,
        "co2_avoided_t_per_year": 60_000,
        "preconditions": "A landfill with enough gas.",
        "steps": [
            {"title": "Measure the gas", "evidence_refs": [1]},
            {"title": "Build the plant", "duration": "2 years", "evidence_refs": [1, 2]},
        ],
        "evidence": [
            {"title": "Project design document", "kind": "report", "year": 2006},
            {
                "title": "A study",
                "doi": "https://doi.org/10.1016/j.wasman.2010.01.001",
                "kind": "peer_reviewed",
            },
        ],
        "outcomes": [{"indicator": "Capacity", "result": 7.5, "unit": "MW", "year": 2012}],
        "lessons": [{"what_went_wrong": "Gas yields fell.", "do_differently": "Plan for it."}],
        **overrides,
    }


def test_anyone_lists_published_practices_only(api_client):
    shown = BestPracticeFactory(complete=True, title="Shown")
    BestPracticeFactory(status=Status.DRAFT)
    BestPracticeFactory(status=Status.SUBMITTED)
    BestPracticeFactory(status=Status.ARCHIVED)

    response = api_client.get(LIST)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    item = response.json()["results"][0]
    assert item["id"] == shown.pk
    assert item["city"] == {
        "id": shown.city_id,
        "name": shown.city.name,
        "slug": shown.city.slug,
        "country": "JP",
    }
    assert item["policy_areas"] == ["waste"]
    assert item["steps"][0]["title"] == "Survey the sites"
    assert item["steps"][0]["evidence_refs"] == [1]
    assert item["steps"][0]["evidence"] == [item["evidence"][0]["id"]]
    assert item["outcomes"][0]["result"] == 120
    assert item["lessons"][0]["what_went_wrong"] == "Sorting was poor."
    assert item["web_url"].endswith(f"/practices/{shown.slug}/")


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.ARCHIVED])
def test_unpublished_practices_are_404_for_the_public_and_other_users(api_client, status):
    practice = BestPracticeFactory(status=status)
    assert api_client.get(detail(practice)).status_code == 404
    api_client.force_authenticate(UserFactory())
    assert api_client.get(detail(practice)).status_code == 404
    assert api_client.patch(detail(practice), {"title": "x"}).status_code == 404
    assert api_client.delete(detail(practice)).status_code == 404


def test_authors_see_their_drafts_and_curators_filter_by_status(api_client, user, curator):
    mine = BestPracticeFactory(status=Status.DRAFT, author=user)
    other = BestPracticeFactory(status=Status.DRAFT)
    BestPracticeFactory()

    api_client.force_authenticate(user)
    assert api_client.get(detail(mine)).status_code == 200
    assert [p["id"] for p in api_client.get(LIST, {"status": "draft"}).json()["results"]] == [
        mine.pk
    ]
    assert api_client.get(LIST).json()["count"] == 1  # the catalogue: published only

    api_client.force_authenticate(curator)
    ids = {p["id"] for p in api_client.get(LIST, {"status": "draft"}).json()["results"]}
    assert ids == {mine.pk, other.pk}


def test_anonymous_status_filter_shows_nothing_unpublished(api_client):
    BestPracticeFactory(status=Status.SUBMITTED)
    assert api_client.get(LIST, {"status": "submitted"}).json()["count"] == 0


def test_a_signed_in_user_posts_a_draft_with_nested_rows(api_client, user):
    organization = OrganizationFactory()
    api_client.force_authenticate(user)
    data = payload(CityFactory(), partners=[{"organization": organization.pk, "role": "funder"}])

    response = api_client.post(LIST, data, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["author"] == user.username
    assert body["cost"] == 10_000_000
    assert body["body_html"] == "<p>The <strong>story</strong>.</p>"
    assert [s["title"] for s in body["steps"]] == ["Measure the gas", "Build the plant"]
    assert body["steps"][1]["evidence_refs"] == [1, 2]
    assert body["evidence"][1]["doi"] == "10.1016/j.wasman.2010.01.001"
    assert body["partners"] == [
        {"organization": organization.pk, "organization_name": organization.name, "role": "funder"}
    ]
    practice = BestPractice.objects.get()
    assert practice.revisions.count() == 1


def test_anonymous_post_is_401(api_client):
    response = api_client.post(LIST, payload(CityFactory()), format="json")
    assert response.status_code == 401
    assert not BestPractice.objects.exists()


def test_bad_input_is_400_naming_fields_and_rows(api_client, user):
    api_client.force_authenticate(user)
    data = payload(CityFactory(), end_year=2001, policy_areas=["nope"])
    data["evidence"][1]["doi"] = "junk"
    data["steps"][0]["title"] = ""

    response = api_client.post(LIST, data, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert "policy_areas" in errors
    assert errors["evidence"]["1"]["doi"] == ["Enter a DOI such as 10.1016/j.wasman.2010.01.001."]
    assert errors["steps"]["0"]["title"] == ["This field may not be blank."]
    assert not BestPractice.objects.exists()

    response = api_client.post(LIST, payload(CityFactory(), end_year=2001), format="json")
    assert response.status_code == 400
    assert response.json() == {"end_year": ["The end year cannot be before the start year."]}

    bad_ref = payload(CityFactory())
    bad_ref["steps"][0]["evidence_refs"] = [5]
    response = api_client.post(LIST, bad_ref, format="json")
    assert response.status_code == 400
    assert response.json()["steps"] == [
        "step 1, evidence: there is no evidence item 5 (the practice has 2)."
    ]


def test_the_author_patches_a_draft_and_nested_lists_replace(api_client, user):
    api_client.force_authenticate(user)
    practice_id = api_client.post(LIST, payload(CityFactory()), format="json").json()["id"]
    url = f"{LIST}{practice_id}/"

    response = api_client.patch(
        url, {"title": "Renamed", "lessons": [{"what_went_wrong": "Only this one."}]}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["title"] == "Renamed"
    assert [lesson["what_went_wrong"] for lesson in body["lessons"]] == ["Only this one."]
    assert len(body["steps"]) == 2  # left out: kept


def test_a_signed_in_user_who_may_see_but_not_change_gets_403(api_client, user):
    practice = BestPracticeFactory(complete=True)
    api_client.force_authenticate(user)
    assert api_client.patch(detail(practice), {"title": "x"}, format="json").status_code == 403
    assert api_client.delete(detail(practice)).status_code == 403
    practice.refresh_from_db()
    assert practice.title != "x"


def test_the_author_cannot_change_a_submitted_practice_but_a_curator_can(api_client, curator):
    practice = BestPracticeFactory(status=Status.SUBMITTED)
    api_client.force_authenticate(practice.author)
    assert api_client.patch(detail(practice), {"title": "x"}, format="json").status_code == 403
    api_client.force_authenticate(curator)
    assert api_client.patch(detail(practice), {"title": "x"}, format="json").status_code == 200
    assert api_client.delete(detail(practice)).status_code == 204
    assert not BestPractice.objects.exists()


def test_workflow_actions_and_their_refusals(api_client, user, curator):
    api_client.force_authenticate(user)
    practice_id = api_client.post(LIST, payload(CityFactory()), format="json").json()["id"]
    url = f"{LIST}{practice_id}/"

    assert api_client.post(url + "submit/").json()["status"] == "submitted"
    assert api_client.post(url + "publish/").status_code == 403
    api_client.force_authenticate(curator)
    assert api_client.post(url + "send-back/", {"comment": ""}).status_code == 400
    assert api_client.post(url + "publish/").json()["status"] == "published"
    assert api_client.post(url + "publish/").status_code == 409
    assert api_client.post(url + "archive/", {"comment": "old"}).json()["status"] == "archived"


def test_publishing_an_incomplete_practice_lists_what_is_missing(api_client, curator):
    practice = BestPracticeFactory(status=Status.SUBMITTED)
    api_client.force_authenticate(curator)
    response = api_client.post(detail(practice) + "publish/")
    assert response.status_code == 400
    assert "action steps" in response.json()["checklist"]


def test_filters_through_the_api(api_client):
    cheap = BestPracticeFactory(cost_usd=50_000, areas=["waste"], co2_avoided_t_per_year=10)
    BestPracticeFactory(
        cost_min_usd=100_000, cost_max_usd=300_000, areas=["air"], co2_avoided_t_per_year=500
    )
    with_evidence = BestPracticeFactory(complete=True, areas=["air"])

    def ids(**params):
        return [p["id"] for p in api_client.get(LIST, params).json()["results"]]

    assert ids(cost_max=150_000) == [cheap.pk]
    assert ids(cost_max=200_000, ordering="cost") == [cheap.pk, ids(cost_max=200_000)[1]]
    assert ids(has_evidence="true") == [with_evidence.pk]
    assert ids(policy_area="waste") == [cheap.pk]
    assert ids(co2_avoided_min=100) != [] and cheap.pk not in ids(co2_avoided_min=100)
    assert ids(ordering="-co2_avoided")[0] != cheap.pk
    assert ids(ordering="-co2_avoided")[-1] == with_evidence.pk  # no figure: last
    assert api_client.get(LIST, {"policy_area": "nope"}).status_code == 400


@pytest.mark.parametrize("many", [1, 15])
def test_the_api_list_costs_a_fixed_number_of_queries(api_client, django_assert_num_queries, many):
    for _ in range(many):
        BestPracticeFactory(complete=True, areas=["waste", "air"], sector_codes=["E"])
    # count, practices (with city and author), policy areas, sectors, partners, steps, the
    # evidence each step cites, evidence, outcomes, lessons.
    with django_assert_num_queries(10):
        response = api_client.get(LIST, {"page_size": 50})
    assert len(response.json()["results"]) == many


@pytest.mark.parametrize("many", [1, 15])
def test_the_csv_export_costs_a_fixed_number_of_queries(
    api_client, django_assert_num_queries, many
):
    for _ in range(many):
        BestPracticeFactory(complete=True, areas=["waste", "air"], sector_codes=["E"])
    # The list's queries without the count: every row, unpaginated.
    with django_assert_num_queries(9):
        response = api_client.get(LIST, {"format": "csv"})
        lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 + many


def test_csv_lists_one_row_per_practice(api_client):
    BestPracticeFactory(complete=True, title='=HYPERLINK("x")')
    response = api_client.get(LIST, {"format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    header, row = text.splitlines()[:2]
    assert header.startswith("id,title,city,country,policy_areas")
    assert "'=HYPERLINK" in row


def test_the_router_names_the_practice_detail():
    assert reverse("api:best-practice-detail", args=[3]) == "/api/best-practices/3/"
