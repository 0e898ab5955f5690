"""The two long forms an officer fills in, in Japanese and in Vietnamese, in a real browser: the
city profile and a new best practice, blank and with their error summaries.

Each state is checked at 1280 and 375 px and saved as a screenshot
(tests/e2e/screenshots/lang-*-form-*.png): longer labels, help and errors must not widen the
page, and a failed save keeps everything typed and writes nothing.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from bestpractices.models import BestPractice
from cities.models import City

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
    },
    "vi": {
        "sign_in": "Đăng nhập",
        "edit": "Chỉnh sửa Hue",
        "rescore": "Lưu và tính lại điểm",
        "limit": "tối đa 40.000.000 người dân",
        "new": "Gửi một thực tiễn",
        "draft": "Lưu bản nháp",
        "required": "Trường này là bắt buộc.",
    },
}


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

    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=username]").fill(demo.editor_username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main").get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_url(live_server.url + "/")

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
    assert errors.messages == []
