"""Every page of the site is known here, and every page of the cooperation, matching and
notification apps reads in Japanese and Vietnamese with no English left outside user data.

The root URLconf is walked for its named pages (the API and the admin aside): a new page fails
``test_every_page_is_in_the_mapping`` until it is added to ``PAGES`` with a way to build its
address, marked as answering POST only (checked: GET gets 405), or named as covered by the
language tests of its own app.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cities.countries import COUNTRY_NAMES
from cities.models import PolicyArea
from notifications.models import Kind, Notification
from partnerships.models import (
    Milestone,
    Partnership,
    PartnershipEvent,
    PartnershipOrganization,
    ProjectFigure,
    StepProposal,
)
from tests.factories import (
    BestPracticeFactory,
    InterestFactory,
    LedgerEntryFactory,
    OrganizationFactory,
    PartnershipFactory,
    ProjectFactory,
)
from tests.html import english_left, text
from tests.partnerships.history import USER_DATA as HISTORY_USER_DATA
from tests.partnerships.history import add_history

pytestmark = pytest.mark.django_db

LANGUAGES = ("ja", "vi")


@dataclass
class World:
    """What the pages show: a match, a partnership with everything around it, an inbox."""

    match: object
    donor: object
    recipient: object
    partnership: Partnership
    project: object
    run: object
    user_data: list[str]


# Pages whose language tests live with their own app (cities, best practices, sign-in and
# password pages of the site's shell) or in ``test_programme_languages`` (programmes and their
# rounds, which need a solved round).
COVERED_ELSEWHERE = "covered by its own app's language tests"
# Pages that answer POST only (a form's action): GET must be refused with 405.
POST_ONLY = "POST only"

PAGES: dict[str, Callable[[World], str] | str] = {
    # Cooperation (partnerships)
    "my-city": lambda w: reverse("my-city"),
    "city-detail": lambda w: reverse("city-detail", args=[w.donor.slug]),
    "match-list": lambda w: reverse("match-list") + f"?recipient={w.recipient.pk}",
    "match-moved": lambda w: reverse("match-moved", args=[w.match.pk]),
    "match-detail": lambda w: w.match.get_absolute_url(),
    "match-brief": lambda w: reverse("match-brief", args=[w.donor.slug, w.recipient.slug]),
    "interest-send": lambda w: reverse("interest-send", args=[w.donor.slug, w.recipient.slug]),
    "partnership-start": lambda w: reverse(
        "partnership-start", args=[w.donor.slug, w.recipient.slug]
    ),
    "interest-inbox": lambda w: reverse("interest-inbox"),
    "interest-accept": POST_ONLY,
    "interest-decline": POST_ONLY,
    "partnership-list": lambda w: reverse("partnership-list"),
    "partnership-detail": lambda w: w.partnership.get_absolute_url(),
    "partnership-edit": lambda w: reverse("partnership-edit", args=[w.partnership.pk]),
    "partnership-status": POST_ONLY,
    "partnership-step-confirm": POST_ONLY,
    "partnership-step-decline": POST_ONLY,
    "partnership-step-withdraw": POST_ONLY,
    "partnership-review": POST_ONLY,
    "partnership-organization": POST_ONLY,
    "partnership-organization-remove": POST_ONLY,
    "partnership-ledger": POST_ONLY,
    "project-create": lambda w: reverse("project-create", args=[w.partnership.pk]),
    "project-detail": lambda w: reverse("project-detail", args=[w.project.pk]),
    "project-edit": lambda w: reverse("project-edit", args=[w.project.pk]),
    "project-milestone": POST_ONLY,
    "project-figure": POST_ONLY,
    "project-propose": POST_ONLY,
    "milestone-toggle": POST_ONLY,
    "programme-list": COVERED_ELSEWHERE,
    "programme-detail": COVERED_ELSEWHERE,
    "programme-apply": POST_ONLY,
    "round-detail": COVERED_ELSEWHERE,
    "round-export": COVERED_ELSEWHERE,
    "round-solve": POST_ONLY,
    "round-decide": POST_ONLY,
    "round-capacity": POST_ONLY,
    "round-apply": POST_ONLY,
    "round-propose": POST_ONLY,
    # Matching
    "city-map": lambda w: reverse("city-map", args=[w.recipient.slug]),
    "run-list": lambda w: reverse("run-list"),
    "run-start": POST_ONLY,
    "run-detail": lambda w: reverse("run-detail", args=[w.run.pk]),
    # Notifications
    "notification-inbox": lambda w: reverse("notification-inbox"),
    "notification-preferences": lambda w: reverse("notification-preferences"),
    "notification-read-all": POST_ONLY,
    "notification-open": POST_ONLY,
    # Cities and best practices
    "city-list": COVERED_ELSEWHERE,
    "city-edit": COVERED_ELSEWHERE,
    "set-language": POST_ONLY,
    "practice-list": COVERED_ELSEWHERE,
    "practice-create": COVERED_ELSEWHERE,
    "practice-detail": COVERED_ELSEWHERE,
    "practice-edit": COVERED_ELSEWHERE,
    "practice-delete": COVERED_ELSEWHERE,
    "practice-workflow": COVERED_ELSEWHERE,
    "practice-revisions": COVERED_ELSEWHERE,
    "practice-revision-compare": COVERED_ELSEWHERE,
    "practice-revision-restore": COVERED_ELSEWHERE,
    # The site's shell: sign-in and passwords
    "login": COVERED_ELSEWHERE,
    "logout": POST_ONLY,
    "password_change": COVERED_ELSEWHERE,
    "password_change_done": COVERED_ELSEWHERE,
    "password_reset": COVERED_ELSEWHERE,
    "password_reset_done": COVERED_ELSEWHERE,
    "password_reset_confirm": COVERED_ELSEWHERE,
    "password_reset_complete": COVERED_ELSEWHERE,
}

# Pages that redirect to another page rather than render one.
REDIRECTS = {"match-moved"}
# POST-only pages that need an object to exist before refusing a GET.
POST_ONLY_ARGS: dict[str, Callable[[World], list]] = {
    "interest-accept": lambda w: [1],
    "interest-decline": lambda w: [1],
    "partnership-status": lambda w: [w.partnership.pk],
    "partnership-step-confirm": lambda w: [w.partnership.pk, 1],
    "partnership-step-decline": lambda w: [w.partnership.pk, 1],
    "partnership-step-withdraw": lambda w: [w.partnership.pk, 1],
    "partnership-review": lambda w: [w.partnership.pk],
    "partnership-organization": lambda w: [w.partnership.pk],
    "partnership-organization-remove": lambda w: [w.partnership.pk, 1],
    "partnership-ledger": lambda w: [w.partnership.pk],
    "project-milestone": lambda w: [w.project.pk],
    "project-figure": lambda w: [w.project.pk],
    "project-propose": lambda w: [w.project.pk],
    "milestone-toggle": lambda w: [1],
    "programme-apply": lambda w: ["a-programme"],
    "round-solve": lambda w: ["a-programme", 1],
    "round-decide": lambda w: ["a-programme", 1],
    "round-capacity": lambda w: ["a-programme", 1],
    "round-apply": lambda w: ["a-programme", 1],
    "round-propose": lambda w: ["a-programme", 1],
    "notification-open": lambda w: [1],
}


def named_pages() -> set[str]:
    """The names of the site's pages: named URL patterns outside the API and the admin."""

    def walk(patterns, prefix: str = ""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(("api/", "admin/")):
                continue
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_page_is_in_the_mapping():
    pages = named_pages()
    assert len(pages) > 40
    missing = sorted(pages - PAGES.keys())
    assert missing == [], f"pages to add to PAGES (with their URL builder): {missing}"
    gone = sorted(PAGES.keys() - pages)
    assert gone == [], f"pages in PAGES that no longer exist: {gone}"


@pytest.fixture
def world(match, donor, recipient, editor, active_run) -> World:
    today = timezone.localdate()
    practice = BestPracticeFactory(city=donor, title="Eco-Town recycling", areas=["waste"])
    partnership = PartnershipFactory(
        donor=donor,
        recipient=recipient,
        status=Partnership.Status.PILOT,
        agreed_on=today - datetime.timedelta(days=1200),
        review_on=today - datetime.timedelta(days=5),
        reasons="Kitakyushu cleaned its bay; Hue wants clean rivers.",
        created_by=editor,
    )
    partnership.policy_areas.set(PolicyArea.objects.filter(code="waste"))
    project = ProjectFactory(
        partnership=partnership,
        title="Composting at the wet market",
        summary="Market waste becomes compost.",
        outcomes="Half the market waste is composted.",
        lessons="Vendors must be paid for sorting.",
        practice=practice,
        budget_usd=120_000,
        funding_source="JICA grant",
    )
    Milestone.objects.create(
        project=project, title="Buy the bins", due_on=today + datetime.timedelta(days=30)
    )
    ProjectFigure.objects.create(
        project=project, indicator="Waste composted", baseline=0, result=12.5, unit="t/day"
    )
    LedgerEntryFactory(partnership=partnership, city=donor, description="Engineers on site")
    LedgerEntryFactory(
        partnership=partnership,
        city=recipient,
        direction="gains",
        kind="know_how",
        description="Sorting rules",
        amount=None,
        unit="",
    )
    organization = OrganizationFactory(name="Green Cities Fund")
    PartnershipOrganization.objects.create(
        partnership=partnership, organization=organization, role="funding"
    )
    PartnershipEvent.objects.create(
        partnership=partnership,
        user=editor,
        action=PartnershipEvent.Action.STATUS,
        from_status="agreed",
        to_status="pilot",
    )
    add_history(partnership, editor, donor.name, recipient.name)
    StepProposal.objects.create(
        partnership=partnership,
        from_status="pilot",
        to_status="scaling",
        proposed_by=None,
        proposed_for_city=donor,
        note="Ready for three more markets.",
    )
    InterestFactory(
        from_city=donor, to_city=recipient, from_role="donor", message="We would like to help."
    )
    Notification.objects.create(
        recipient=editor,
        kind=Kind.INTEREST_RECEIVED,
        content_type=ContentType.objects.get_for_model(partnership),
        object_id=partnership.pk,
        title="Kitakyushu would like to cooperate with Hue",
        body="We would like to help.",
    )
    user_data = [
        donor.name,
        recipient.name,
        editor.get_username(),
        practice.title,
        practice.summary,
        partnership.reasons,
        project.title,
        project.summary,
        project.outcomes,
        project.lessons,
        "JICA grant",
        "Buy the bins",
        "Waste composted",
        "Engineers on site",
        "Sorting rules",
        organization.name,
        "Ready for three more markets.",
        "We would like to help.",
        "Kitakyushu would like to cooperate with Hue",
        str(partnership),
        *HISTORY_USER_DATA,
        *COUNTRY_NAMES.values(),
    ]
    return World(match, donor, recipient, partnership, project, active_run, user_data)


def _my_pages(world: World) -> dict[str, str]:
    return {
        name: build(world)
        for name, build in PAGES.items()
        if callable(build) and name not in REDIRECTS
    }


def test_post_only_pages_refuse_get(editor_client, world):
    for name, build in PAGES.items():
        if build != POST_ONLY:
            continue
        args = POST_ONLY_ARGS[name](world) if name in POST_ONLY_ARGS else []
        response = editor_client.get(reverse(name, args=args))
        assert response.status_code == 405, name


def test_a_moved_match_address_leads_to_the_pair(editor_client, world):
    response = editor_client.get(PAGES["match-moved"](world))  # type: ignore[operator]
    assert response.status_code in (301, 302)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_of_the_cooperation_apps_is_translated(editor_client, world, language):
    for name, url in _my_pages(world).items():
        english = editor_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        translated = editor_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert english.status_code == translated.status_code == 200, name
        assert f'<html lang="{language}">' in translated.content.decode(), name
        # The English page has phrases to find, so an empty result below means something.
        assert english_left(text(english), world.user_data), name
        left = english_left(text(translated), world.user_data, english=text(english))
        assert left == [], f"{name} in {language}: {left}"


def test_lists_cost_the_same_queries_in_every_language(editor_client, world):
    lists = {
        "partnership list": reverse("partnership-list"),
        "inbox": reverse("notification-inbox"),
        "interest inbox": reverse("interest-inbox"),
        "match list": reverse("match-list") + f"?recipient={world.recipient.pk}",
    }
    for name, url in lists.items():
        counts = []
        for language in ("en", *LANGUAGES):
            editor_client.get(url, HTTP_ACCEPT_LANGUAGE=language)  # warm the caches
            with CaptureQueriesContext(connection) as queries:
                response = editor_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, name
            counts.append(len(queries))
        assert len(set(counts)) == 1, f"{name}: {counts}"
