"""The officer's journey in Japanese and in Vietnamese, in a real browser: sign in, My city,
a match, the citizen brief (also in a third language), an expression of interest.

Japanese comes from the browser's Accept-Language; Vietnamese is chosen with the header's
switcher from an English browser. Each page is checked and saved as a screenshot at 1280 and
375 px (tests/e2e/screenshots/lang-*.png): longer and taller text must not widen the page.
"""

from __future__ import annotations

import re

import pytest

from partnerships.models import ExpressionOfInterest

from .conftest import SCREENSHOTS, WIDTHS, BrowserErrors
from .demo import PASSWORD, build_demo

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORDS = {
    "ja": {
        "sign_in": "ログイン",
        "my_city": "わが都市",
        "helpers": "Hueを支援できる都市",
        "match": re.compile(r"はHueを支援できます"),
        "why": "このマッチングの理由",
        "brief_link": "市民向け説明資料（印刷用）",
        "brief": "なぜ地方税を他都市のために使うのでしょうか？",
        "brief_other": ("vi", "Vì sao dùng tiền thuế địa phương cho một thành phố khác?"),
        "send": re.compile(r"^\S+に送信$"),
        "sent": "の担当者にメッセージを送信しました。",
    },
    "vi": {
        "sign_in": "Đăng nhập",
        "my_city": "Thành phố của tôi",
        "helpers": "Các thành phố có thể hỗ trợ Hue",
        "match": re.compile(r"có thể hỗ trợ Hue"),
        "why": "Vì sao ghép nối này phù hợp",
        "brief_link": "Bản tóm tắt cho người dân (bản in)",
        "brief": "Vì sao dùng tiền thuế địa phương cho một thành phố khác?",
        "brief_other": ("ja", "なぜ地方税を他都市のために使うのでしょうか？"),
        "send": re.compile(r"^Gửi đến \S+$"),
        "sent": "Đã gửi thư đến cán bộ phụ trách của",
    },
}


class Visit:
    def __init__(self, page, base: str, language: str):
        self.page, self.base, self.language = page, base, language

    def shot(self, name: str) -> None:
        """Check and screenshot the page at each width (the same page, resized)."""
        page = self.page
        for width, (viewport_width, viewport_height) in WIDTHS.items():
            page.set_viewport_size({"width": viewport_width, "height": viewport_height})
            assert page.locator("h1").count() == 1, f"{page.url}: one h1"
            assert page.evaluate("document.documentElement.lang") == self.language
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{page.url} at {width} is {overflow}px too wide"
            path = SCREENSHOTS / f"lang-{self.language}-{width}-{name}.png"
            page.screenshot(path=path, full_page=True)
        page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})


@pytest.mark.parametrize("language", ["ja", "vi"])
def test_officer_journey_in_the_partners_languages(live_server, browser, language):
    demo = build_demo()
    words = WORDS[language]
    errors = BrowserErrors()
    # Japanese: the browser asks for it. Vietnamese: an English browser, and the switcher.
    locale = "ja-JP" if language == "ja" else "en-US"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    errors.watch(page)
    visit = Visit(page, live_server.url, language)

    page.goto(live_server.url + "/accounts/login/")
    if language == "vi":
        assert page.evaluate("document.documentElement.lang") == "en"
        page.locator(".language-switcher").get_by_role("button", name="Tiếng Việt").click()
        page.wait_for_url(live_server.url + "/accounts/login/")
    assert words["sign_in"] in page.inner_text("h1")
    visit.shot("01-sign-in")

    page.locator("input[name=username]").fill(demo.editor_username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main").get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_url(live_server.url + "/")
    assert page.inner_text("h1") == words["my_city"]
    assert words["helpers"] in page.inner_text("main")
    visit.shot("02-my-city")

    # The best partner of Hue: its score and why, in sentences of the language.
    page.locator("main table tbody tr").first.locator("a").first.click()
    page.wait_for_url(re.compile(r"/matches/[-\w]+/[-\w]+/$"))
    assert words["match"].search(page.inner_text("h1"))
    assert words["why"] in page.inner_text("main")
    visit.shot("03-match")
    match_url = page.url

    # The citizen brief in the language, then in the other one from its own switch.
    page.get_by_role("link", name=words["brief_link"]).click()
    page.wait_for_url(re.compile(r"/brief/$"))
    assert words["brief"] in page.inner_text("article")
    visit.shot("04-brief")
    other, question = words["brief_other"]
    page.locator(f'.brief-languages a[hreflang="{other}"]').click()
    page.wait_for_url(re.compile(rf"/brief/\?lang={other}$"))
    assert question in page.inner_text("article")
    assert page.locator("article").get_attribute("lang") == other
    visit.shot(f"05-brief-in-{other}")

    # An expression of interest, from the match page; the confirmation is in the language.
    page.goto(match_url)
    page.locator("#interest-message").fill("Chúng tôi muốn học hỏi / ぜひ学びたいです")
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_url(match_url)
    assert words["sent"] in page.inner_text(".messages")
    visit.shot("06-interest-sent")

    context.close()
    assert errors.messages == []
    assert ExpressionOfInterest.objects.filter(from_city=demo.recipient).count() == 1
