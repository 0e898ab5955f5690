"""The cooperation pages in Japanese and in Vietnamese, in a real browser, at 1280 and 375 px:
the partnership list, a partnership, its edit form, a project and its form, the city's map and
the inbox. Longer and taller text must not widen any of them; each is saved as a screenshot
(tests/e2e/screenshots/coop-*.png) for a person to look at."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cities.models import PolicyArea
from notifications.services import notify
from partnerships.models import Milestone, Partnership, ProjectFigure
from tests.factories import LedgerEntryFactory, PartnershipFactory, ProjectFactory

from .conftest import SCREENSHOTS, WIDTHS, BrowserErrors
from .demo import PASSWORD, build_demo

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEADINGS = {
    "ja": {
        "partnerships": "パートナーシップ",
        "edit": "の編集",
        "new_project": "の新しいプロジェクト",
        "map": "Hue と最適なパートナー都市",
        "inbox": "通知",
        "ledger": "互恵性の記録",
    },
    "vi": {
        "partnerships": "Quan hệ đối tác",
        "edit": "Chỉnh sửa quan hệ đối tác",
        "new_project": "Dự án mới cho",
        "map": "Hue và các đối tác phù hợp nhất",
        "inbox": "Thông báo",
        "ledger": "Sổ ghi nhận tính tương hỗ",
    },
}


def _cooperation(demo) -> tuple[Partnership, object]:
    """A partnership of Kitakyushu and Hue in its pilot, with a project, a ledger and news."""
    today = timezone.localdate()
    partnership = PartnershipFactory(
        donor=demo.kitakyushu,
        recipient=demo.recipient,
        status=Partnership.Status.PILOT,
        agreed_on=today - datetime.timedelta(days=1200),
        review_on=today - datetime.timedelta(days=3),
        reasons="Kitakyushu cleaned its bay; Hue wants clean rivers.",
    )
    partnership.policy_areas.set(PolicyArea.objects.filter(code__in=["waste", "air"]))
    project = ProjectFactory(
        partnership=partnership,
        title="Composting at Dong Ba market",
        summary="Market waste becomes compost for the city's parks.",
        budget_usd=1_250_000,
        funding_source="JICA grant",
        outcomes="Half of the market's waste is composted.",
    )
    Milestone.objects.create(
        project=project, title="Buy the bins", due_on=today + datetime.timedelta(days=40)
    )
    ProjectFigure.objects.create(
        project=project, indicator="Waste composted", baseline=0, result=12.5, unit="t/day"
    )
    LedgerEntryFactory(partnership=partnership, city=demo.kitakyushu, amount=45, unit="days")
    notify(
        recipients=list(demo.recipient.editors.all()),
        kind="review_due",
        target=partnership,
        title="Kitakyushu – Hue",
        url=partnership.get_absolute_url(),
    )
    return partnership, project


@pytest.mark.parametrize("language", ["ja", "vi"])
def test_cooperation_pages_fit_in_the_partners_languages(live_server, browser, language):
    demo = build_demo()
    partnership, project = _cooperation(demo)
    words = HEADINGS[language]
    errors = BrowserErrors()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors.watch(page)
    base = live_server.url

    page.goto(base + "/accounts/login/")
    page.locator(".language-switcher").get_by_role(
        "button", name="日本語" if language == "ja" else "Tiếng Việt"
    ).click()
    page.wait_for_url(base + "/accounts/login/")
    page.locator("input[name=username]").fill(demo.editor_username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/")

    visits = [
        ("01-partnerships", "/partnerships/", words["partnerships"]),
        ("02-partnership", partnership.get_absolute_url(), None),
        ("03-partnership-edit", f"/partnerships/{partnership.pk}/edit/", words["edit"]),
        ("04-project", f"/projects/{project.pk}/", project.title),
        ("05-project-new", f"/partnerships/{partnership.pk}/projects/new/", words["new_project"]),
        ("06-city-map", f"/cities/{demo.recipient.slug}/map/", words["map"]),
        ("07-inbox", "/inbox/", words["inbox"]),
    ]
    for name, path, heading in visits:
        page.goto(base + path)
        assert page.evaluate("document.documentElement.lang") == language
        if heading is not None:
            assert heading in page.inner_text("h1"), (name, page.inner_text("h1"))
        if name == "02-partnership":
            assert words["ledger"] in page.inner_text("main")
        for width, (viewport_width, viewport_height) in WIDTHS.items():
            page.set_viewport_size({"width": viewport_width, "height": viewport_height})
            assert page.locator("h1").count() == 1, f"{path}: one h1"
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} in {language} at {width} is {overflow}px too wide"
            page.screenshot(
                path=SCREENSHOTS / f"coop-{language}-{width}-{name}.png", full_page=True
            )
        page.set_viewport_size({"width": 1280, "height": 900})

    context.close()
    assert errors.messages == []
