"""Text written by users comes out inert: in the stored HTML, on the page and in the API."""

import re

import pytest

from bestpractices import services
from bestpractices.markup import render_markdown
from bestpractices.models import BestPractice
from tests.factories import CityFactory
from tests.factories.bestpractices import complete_content

PAYLOADS = [
    "<script>alert('script')</script>",
    "<img src=x onerror=\"alert('onerror')\">",
    "<p onclick=\"alert('onclick')\" onmouseover=\"alert('hover')\">click</p>",
    "[click me](javascript:alert('js-link'))",
    "<a href=\"JaVaScRiPt:alert('mixed-case')\">mixed</a>",
    "<a href=\"&#106;avascript:alert('entity')\">entity</a>",
    "<svg onload=\"alert('svg-onload')\"><circle r=1 /></svg>",
    "<svg><script>alert('svg-script')</script></svg>",
    "<math><mi xlink:href=\"javascript:alert('math')\">m</mi></math>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>',
    "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<iframe src="https://example.org/"></iframe>',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<form action="https://evil.example/"><input name=x></form>',
]
STORY = "\n\n".join(["A **real** story with [a link](https://example.org/report).", *PAYLOADS])


def assert_inert(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<svg" not in lowered and "<math" not in lowered
    assert "<iframe" not in lowered and "<style" not in lowered and "<form" not in lowered
    assert "<img" not in lowered
    assert not re.search(r"\son[a-z]+\s*=", lowered)
    assert "javascript:" not in lowered and "data:" not in lowered
    assert "alert(" not in lowered


def test_markdown_keeps_formatting_and_drops_every_payload():
    html = render_markdown(STORY)
    assert "<strong>real</strong>" in html
    assert (
        '<a href="https://example.org/report" rel="noopener noreferrer nofollow">a link</a>' in html
    )
    assert_inert(html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_payload_alone_is_inert(payload):
    assert_inert(render_markdown(payload))


def test_links_get_rel_noopener_and_mailto_is_kept():
    html = render_markdown("Write to <mailto:team@example.org> or [us](http://example.org).")
    assert 'href="mailto:team@example.org"' in html
    assert html.count('rel="noopener noreferrer nofollow"') == 2


@pytest.fixture
def practice(db, user, curator):
    content = complete_content(
        CityFactory(), body=STORY, title="<script>alert('title')</script> Composting"
    )
    content.lessons[0]["what_went_wrong"] = "<img src=x onerror=alert('lesson')>"
    practice = services.create_practice(user=user, content=content)
    return services.publish_practice(practice=practice, user=curator)


def test_the_practice_page_shows_the_story_inert(client, practice):
    html = client.get(practice.get_absolute_url()).content.decode()
    story = re.search(r'<div class="prose">(.*?)</div>', html, re.S).group(1)
    assert "<strong>real</strong>" in story
    assert_inert(story)
    # Plain fields are escaped by the templates, never interpreted.
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; Composting" in html
    assert "&lt;img src=x onerror=alert(&#x27;lesson&#x27;)&gt;" in html
    assert "<img src=x" not in html


def test_the_api_body_html_is_inert(api_client, practice):
    body = api_client.get(f"/api/best-practices/{practice.pk}/").json()
    assert "<strong>real</strong>" in body["body_html"]
    assert_inert(body["body_html"])
    # The raw Markdown is returned as written (JSON, not HTML): clients must not render it.
    assert body["body"] == STORY


@pytest.mark.django_db
def test_an_evidence_link_must_be_http(api_client, user):
    api_client.force_authenticate(user)
    for url in ["javascript:alert(1)", "data:text/html,hi"]:
        data = {
            "title": "T",
            "city": CityFactory().pk,
            "policy_areas": ["waste"],
            "summary": "S",
            "evidence": [{"title": "Source", "url": url}],
        }
        response = api_client.post("/api/best-practices/", data, format="json")
        assert response.status_code == 400
        assert "url" in response.json()["evidence"]["0"]
    assert not BestPractice.objects.exists()
