"""The catalogue pages: list, practice page, submit/edit form, curation buttons."""

import pytest
from django.urls import reverse

from bestpractices.models import ActionStep, BestPractice, Lesson
from cities.models import PolicyArea
from tests.factories import BestPracticeFactory, CityFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = BestPractice.Status


def test_the_list_shows_published_practices_only_with_a_count(client):
    BestPracticeFactory(title="Takakura home composting")
    BestPracticeFactory(title="Secret draft", status=Status.DRAFT)
    BestPracticeFactory(title="Old archived one", status=Status.ARCHIVED)

    response = client.get(reverse("practice-list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Takakura home composting" in html
    assert "Secret draft" not in html and "Old archived one" not in html
    assert "<strong>1</strong> practice" in html


def test_list_filters_work_as_a_plain_get_form(client):
    BestPracticeFactory(title="Waste one", areas=["waste"], scale="pilot")
    BestPracticeFactory(title="Water one", areas=["water"], scale="citywide")

    html = client.get(reverse("practice-list"), {"policy_area": "water"}).content.decode()
    assert "Water one" in html and "Waste one" not in html
    html = client.get(reverse("practice-list"), {"scale": "pilot"}).content.decode()
    assert "Waste one" in html and "Water one" not in html


def test_a_bad_filter_says_so_instead_of_failing(client):
    response = client.get(reverse("practice-list"), {"cost_max": "lots"})
    assert response.status_code == 200
    assert "Some filters are not valid" in response.content.decode()


def test_a_user_sees_own_drafts_with_status_draft(client, user):
    BestPracticeFactory(title="Mine", status=Status.DRAFT, author=user)
    BestPracticeFactory(title="Someone else's", status=Status.DRAFT)
    client.force_login(user)
    html = client.get(reverse("practice-list"), {"status": "draft"}).content.decode()
    assert "Mine" in html and "Someone else" not in html


@pytest.mark.parametrize("many", [1, 12])
def test_the_list_page_costs_a_fixed_number_of_queries(client, django_assert_num_queries, many):
    for _ in range(many):
        BestPracticeFactory(areas=["waste", "air"])
    # count, page of practices, their policy areas, then the filter form's area and sector
    # choices and the countries that have published practices.
    with django_assert_num_queries(6):
        response = client.get(reverse("practice-list"))
    assert response.content.decode().count('class="card practice-card"') == many


def test_the_practice_page_shows_steps_evidence_outcomes_and_lessons(client):
    practice = BestPracticeFactory(complete=True, title="Landfill gas")
    html = client.get(practice.get_absolute_url()).content.decode()
    assert 'class="steps action-checklist"' in html
    assert "Survey the sites" in html
    assert 'href="#evidence-1"' in html and 'id="evidence-1"' in html
    assert "Waste to landfill" in html and "120" in html
    assert "Challenges and mistakes" in html and "Sorting was poor." in html
    assert "A collection service" in html


@pytest.mark.parametrize("many", [1, 8])
def test_the_practice_page_costs_a_fixed_number_of_queries(client, django_assert_num_queries, many):
    practice = BestPracticeFactory(complete=True, areas=["waste"], sector_codes=["E"])
    for number in range(many):
        ActionStep.objects.create(practice=practice, position=number + 2, title=f"Step {number}")
        Lesson.objects.create(practice=practice, position=number + 2, what_went_wrong="Late.")
        BestPracticeFactory(areas=["waste"])
        CityFactory(role="recipient", needs={"waste": 3})
    # The practice with its city and author; its areas, sectors, partners, steps, the evidence
    # each step cites, evidence, outcomes, lessons; similar practices; the cities that could
    # use it, then their needs.
    with django_assert_num_queries(12):
        response = client.get(practice.get_absolute_url())
    html = response.content.decode()
    assert html.count('class="step-title"') == many + 1
    assert html.count('href="#evidence-1"') == 1


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.ARCHIVED])
def test_unpublished_practices_are_404_for_others(client, status):
    practice = BestPracticeFactory(status=status)
    assert client.get(practice.get_absolute_url()).status_code == 404
    client.force_login(UserFactory())
    assert client.get(practice.get_absolute_url()).status_code == 404


def test_the_author_and_curators_see_a_draft_with_its_checklist(client, curator):
    practice = BestPracticeFactory(status=Status.DRAFT)
    client.force_login(practice.author)
    html = client.get(practice.get_absolute_url()).content.decode()
    assert "Missing: </span>Action steps" in html
    assert 'value="submit"' in html
    client.force_login(curator)
    html = client.get(practice.get_absolute_url()).content.decode()
    assert 'value="publish"' in html


def test_cities_that_could_use_it_and_similar_practices():
    from bestpractices.querysets import cities_that_could_use, similar_practices

    practice = BestPracticeFactory(
        areas=["waste", "energy"],
        population_min=100_000,
        population_max=2_000_000,
        min_absorptive_capacity=2,
        min_budget_usd=10_000,
    )
    fits = CityFactory(
        name="Surabaya", role="recipient", population=1_000_000, needs={"waste": 3, "energy": 2}
    )
    CityFactory(name="Fits less", role="both", population=500_000, needs={"waste": 2})
    CityFactory(name="Too big", role="recipient", population=9_000_000, needs={"waste": 3})
    CityFactory(name="Donor only", role="donor", needs={"waste": 3})
    CityFactory(name="Low need", role="recipient", needs={"waste": 1})
    CityFactory(name="Weak admin", role="recipient", absorptive_capacity=1, needs={"waste": 3})
    CityFactory(name="No cofunding", role="recipient", cofunding_usd=0, needs={"waste": 3})

    cities = cities_that_could_use(practice)

    assert [c.name for c in cities] == ["Surabaya", "Fits less"]
    assert [level.policy_area.code for level in cities[0].matching_needs] == ["waste", "energy"]
    assert fits.pk == cities[0].pk

    two = BestPracticeFactory(title="Both areas", areas=["waste", "energy"])
    one = BestPracticeFactory(title="One area", areas=["energy"])
    BestPracticeFactory(title="Other area", areas=["air"])
    BestPracticeFactory(title="Draft", areas=["waste"], status=Status.DRAFT)
    assert similar_practices(practice) == [two, one]


BLANK_ROW = {"evidence": {"kind": "report"}, "partners": {"role": "technical"}}


def _form_data(city, **overrides):
    areas = PolicyArea.objects.filter(code__in=["waste"])
    data = {
        "title": "Landfill methane to power",
        "city": city.pk,
        "policy_areas": [a.pk for a in areas],
        "summary": "Gas from the landfill feeds engines.",
        "body": "Story <script>alert(1)</script> here.",
        "scale": "citywide",
        "start_year": "2008",
        "end_year": "2012",
        "preconditions": "A landfill",
    }
    for prefix, rows in {
        "steps": [{"title": "Drill wells", "evidence_refs": "1", "ORDER": "1"}],
        "evidence": [{"title": "Audit report", "kind": "report", "year": "2013"}],
        "outcomes": [{"indicator": "Power", "result": "6.5", "unit": "MW"}],
        "lessons": [{"what_went_wrong": "Leachate flooded the wells."}],
        "partners": [],
    }.items():
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows) + 1)
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        for number, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{number}-{key}"] = value
        # An untouched extra row, as a browser sends it (selects post their initial option).
        data.update(
            {
                f"{prefix}-{len(rows)}-{key}": value
                for key, value in BLANK_ROW.get(prefix, {}).items()
            }
        )
    data.update(overrides)
    return data


def test_submitting_the_form_creates_a_draft_and_sanitises_the_story(client, user):
    city = CityFactory()
    client.force_login(user)

    response = client.post(reverse("practice-create"), _form_data(city))

    practice = BestPractice.objects.get()
    assert response.status_code == 302 and response.url == practice.get_absolute_url()
    assert practice.status == Status.DRAFT and practice.author == user
    assert "<script" not in practice.body_html
    step = practice.steps.get()
    assert step.evidence.get().title == "Audit report"
    assert practice.outcomes.get().result == 6.5


def test_form_errors_name_the_field_and_keep_what_was_typed(client, user):
    city = CityFactory()
    client.force_login(user)
    data = _form_data(
        city, end_year="2001", **{"evidence-0-doi": "nonsense", "steps-0-evidence_refs": "4"}
    )

    response = client.post(reverse("practice-create"), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert "The end year cannot be before the start year." in html
    assert "Enter a DOI such as" in html
    assert 'value="Landfill methane to power"' in html
    assert "Leachate flooded the wells." in html
    assert not BestPractice.objects.exists()


def test_a_step_citing_a_missing_source_is_refused_with_its_row(client, user):
    client.force_login(user)
    response = client.post(
        reverse("practice-create"), _form_data(CityFactory(), **{"steps-0-evidence_refs": "3"})
    )
    assert response.status_code == 200
    assert "step 1, evidence: there is no evidence item 3" in response.content.decode()
    assert not BestPractice.objects.exists()


def test_the_form_needs_a_signed_in_user(client):
    response = client.get(reverse("practice-create"))
    assert response.status_code == 302 and "login" in response.url


def test_editing_keeps_rows_and_updates(client, user):
    client.force_login(user)
    client.post(reverse("practice-create"), _form_data(CityFactory()))
    practice = BestPractice.objects.get()
    edit_url = reverse("practice-edit", args=[practice.slug])
    page = client.get(edit_url).content.decode()
    assert 'value="Drill wells"' in page

    data = _form_data(practice.city, title="Landfill methane, revised")
    for prefix in ("steps", "evidence", "outcomes", "lessons"):
        data[f"{prefix}-INITIAL_FORMS"] = "1"
    response = client.post(edit_url, data)

    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.title == "Landfill methane, revised"
    assert practice.steps.count() == 1
    assert practice.revisions.count() == 2


def test_others_may_not_edit(client, user):
    practice = BestPracticeFactory(status=Status.DRAFT)
    client.force_login(user)
    assert client.get(reverse("practice-edit", args=[practice.slug])).status_code == 404
    published = BestPracticeFactory()
    assert client.get(reverse("practice-edit", args=[published.slug])).status_code == 403


def test_curation_buttons_publish_or_explain_what_is_missing(client, curator):
    incomplete = BestPracticeFactory(status=Status.SUBMITTED)
    client.force_login(curator)
    url = reverse("practice-workflow", args=[incomplete.slug])

    response = client.post(url, {"action": "publish"}, follow=True)

    assert "cannot be published until it has: evidence of local impact" in (
        response.content.decode()
    )
    incomplete.refresh_from_db()
    assert incomplete.status == Status.SUBMITTED

    complete = BestPracticeFactory(status=Status.SUBMITTED, complete=True)
    client.post(reverse("practice-workflow", args=[complete.slug]), {"action": "publish"})
    complete.refresh_from_db()
    assert complete.status == Status.PUBLISHED


def test_a_non_curator_cannot_publish_through_the_page(client):
    practice = BestPracticeFactory(status=Status.SUBMITTED, complete=True)
    client.force_login(practice.author)
    response = client.post(
        reverse("practice-workflow", args=[practice.slug]), {"action": "publish"}
    )
    assert response.status_code == 403
    practice.refresh_from_db()
    assert practice.status == Status.SUBMITTED


def test_the_author_submits_from_the_page(client):
    practice = BestPracticeFactory(status=Status.DRAFT)
    client.force_login(practice.author)
    client.post(reverse("practice-workflow", args=[practice.slug]), {"action": "submit"})
    practice.refresh_from_db()
    assert practice.status == Status.SUBMITTED


def test_delete_asks_then_deletes(client):
    practice = BestPracticeFactory(status=Status.DRAFT)
    client.force_login(practice.author)
    url = reverse("practice-delete", args=[practice.slug])
    assert "Delete for good" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not BestPractice.objects.exists()


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1610000, "1,610,000"), (7.5, "7.5"), (7.25, "7.25"), (0.333, "0.33"), (None, ""), (3.0, "3")],
)
def test_figures_read_as_people_write_them(value, shown):
    from bestpractices.templatetags.catalogue import figure

    assert figure(value) == shown


def test_the_city_filter_names_the_city(client):
    practice = BestPracticeFactory(city=CityFactory(name="Durban", country="ZA"))
    BestPracticeFactory(title="Elsewhere")
    html = client.get(reverse("practice-list"), {"city": practice.city_id}).content.decode()
    assert "Practices of <strong>Durban</strong> (South Africa) only." in html
    assert "Elsewhere" not in html


def test_the_catalogue_filters_speak_to_an_officer(client):
    BestPracticeFactory(city=CityFactory(country="JP"), areas=["waste"])
    BestPracticeFactory(city=CityFactory(country="VN"), areas=["air"])
    CityFactory(country="FR")  # a city without practices: its country is no choice
    response = client.get(reverse("practice-list"))
    form = response.context["form"]
    assert list(form.fields["country"].choices) == [
        ("", "Any country"),
        ("JP", "Japan"),
        ("VN", "Vietnam"),
    ]
    sort = dict(form.fields["ordering"].choices)
    assert sort["-published_at"] == "Newest first"
    assert sort["-co2_avoided"] == "Most CO₂ avoided"
    page = response.content.decode()
    for api_words in ("ISO 3166-1", "Policy area code", "ISIC section letter", "published_at,"):
        assert api_words not in page
    assert "---------" not in page
    newest = client.get(reverse("practice-list"), {"ordering": "-published_at"})
    assert newest.context["filters_valid"]
