"""The two long forms an officer fills in, in Japanese and in Vietnamese, in a real browser: the
city profile and a new best practice, blank and with their error summaries; then a curator's
revisions of a practice and the comparison of two of them, whose field names are long.

Each state is checked at 1280 and 375 px and saved as a screenshot
(tests/e2e/screenshots/lang-*-form-*.png): longer labels, help and errors must not widen the
page, and a failed save keeps everything typed and writes nothing.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from bestpractices.models import BestPractice
from bestpractices.services.revisions import record_revision
from cities.models import City
from cities.permissions import CURATOR_GROUP
from tests.factories import UserFactory

from .conftest import SCREENSHOTS, WIDTHS, BrowserErrors
from .demo import PASSWORD, build_demo

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORDS = {
    "ja": {
        "sign_in": "ログイン",
        "edit": "Hueの編集",
        "rescore": "保存してスコアを再計算する",
        "limit": "人口は40,000,000人以下で入力してください",
        "new": "事例を投稿する",
        "draft": "下書きとして保存する",
        "required": "この項目は必須です。",
        "revisions": "の変更履歴",
        "compare": "第1版 → 第2版",
    },
    "vi": {
        "sign_in": "Đăng nhập",
        "edit": "Chỉnh sửa Hue",
        "rescore": "Lưu và tính lại điểm",
        "limit": "tối đa 40.000.000 người dân",
        "new": "Gửi một thực tiễn",
        "draft": "Lưu bản nháp",
        "required": "Trường này là bắt buộc.",
        "revisions": "Các phiên bản của",
        "compare": "Phiên bản 1 → phiên bản 2",
    },
}


def _sign_in(page, base: str, username: str, words: dict) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main").get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_url(base + "/")


def _shot(page, language: str, name: str) -> None:
    """Check and screenshot the page at each width (the same page, resized)."""
    for width, (viewport_width, viewport_height) in WIDTHS.items():
        page.set_viewport_size({"width": viewport_width, "height": viewport_height})
        assert page.locator("h1").count() == 1, f"{page.url}: one h1"
        assert page.evaluate("document.documentElement.lang") == language
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} ({name}) at {width} is {overflow}px too wide"
        page.screenshot(
            path=SCREENSHOTS / f"lang-{language}-{width}-form-{name}.png", full_page=True
        )
    page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})


@pytest.mark.parametrize("language", ["ja", "vi"])
def test_the_profile_and_practice_forms_in_the_partners_languages(live_server, browser, language):
    demo = build_demo()
    words = WORDS[language]
    errors = BrowserErrors()
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale={"ja": "ja-JP", "vi": "vi-VN"}[language]
    )
    page = context.new_page()
    errors.watch(page)

    _sign_in(page, live_server.url, demo.editor_username, words)

    # The city profile: blank, then refused past a plausible limit, the typed value kept.
    edit_url = live_server.url + reverse("city-edit", args=[demo.recipient.slug])
    page.goto(edit_url)
    assert page.inner_text("h1") == words["edit"]
    _shot(page, language, "city-edit")
    page.locator("input[name=population]").fill("50000000")
    page.get_by_role("button", name=words["rescore"]).click()
    page.wait_for_load_state()
    assert words["limit"] in page.inner_text("#form-errors")
    assert page.locator("input[name=population]").input_value() == "50000000"
    _shot(page, language, "city-edit-errors")
    assert City.objects.get(pk=demo.recipient.pk).population == 455_000

    # A new practice: blank, then refused with every problem named by its field and row.
    page.goto(live_server.url + reverse("practice-create"))
    assert page.inner_text("h1") == words["new"]
    _shot(page, language, "practice-new")
    page.locator("input[name='steps-0-title']").fill("Map the waste streams")
    page.locator("input[name='steps-0-evidence_refs']").fill("x")
    page.get_by_role("button", name=words["draft"]).click()
    page.wait_for_load_state()
    summary = page.inner_text("#form-errors")
    assert words["required"] in summary
    assert "x" in summary  # the step's bad source number, quoted
    assert page.locator("input[name='steps-0-title']").input_value() == "Map the waste streams"
    _shot(page, language, "practice-new-errors")
    assert not BestPractice.objects.filter(author__username=demo.editor_username).exists()

    context.close()

    # A curator's view of a practice's revisions and of what changed between two of them.
    curator = UserFactory(username="curator")
    curator.groups.add(Group.objects.get_or_create(name=CURATOR_GROUP)[0])
    practice = BestPractice.objects.filter(city=demo.kitakyushu).first()
    record_revision(practice=practice, user=curator, summary="Created")
    BestPractice.objects.filter(pk=practice.pk).update(
        waste_diverted_t_per_year=12_500, energy_saved_mwh_per_year=830, start_year=1997
    )
    practice.refresh_from_db()
    record_revision(practice=practice, user=curator, summary="Edited")
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale={"ja": "ja-JP", "vi": "vi-VN"}[language]
    )
    page = context.new_page()
    errors.watch(page)
    _sign_in(page, live_server.url, "curator", words)
    page.goto(live_server.url + reverse("practice-revisions", args=[practice.slug]))
    assert words["revisions"] in page.inner_text("h1")
    _shot(page, language, "practice-revisions")
    page.goto(
        live_server.url
        + reverse("practice-revision-compare", args=[practice.slug])
        + "?old=1&new=2"
    )
    assert page.inner_text("h1") == words["compare"]
    _shot(page, language, "practice-compare")
    context.close()
    assert errors.messages == []
