"""The server-drawn SVG map of a city and its top matches."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from matching.views.worldmap import WIDTH, fit_view, project
from tests.html import text
from tests.pages import many_matches

pytestmark = pytest.mark.django_db


def test_map_draws_lines_to_the_partners_linked_to_their_matches(editor_client, match, recipient):
    response = editor_client.get(reverse("city-map", args=[recipient.slug]))
    body = response.content.decode()
    assert re.search(r'<svg viewBox="[\d. ]+"', body) and '<desc id="map-desc">' in body
    assert (
        f'<a href="{reverse("match-detail", args=[match.donor.slug, match.recipient.slug])}">'
        in body
    )
    # Hue at 16.46 N, 107.59 E; Kitakyushu (the factory's) at 33.88 N, 130.88 E.
    hx, hy = project(16.46, 107.59)
    kx, ky = project(33.88, 130.88)
    assert f'x1="{hx:.1f}" y1="{hy:.1f}" x2="{kx:.1f}" y2="{ky:.1f}"' in body
    # The line is as wide as the score is good: 1 + 5 × 78.4/100.
    assert 'stroke-width="4.92"' in body
    # The same partners as a list, for screen readers and for printing.
    assert "Donors that could help Hue" in text(response)
    assert "Kitakyushu, Japan: score 78.4" in text(response)


def test_projection_is_equirectangular():
    assert project(0, 0) == (480.0, 240.0)
    assert project(90, -180) == (0.0, 0.0)
    assert project(-90, 180) == (960.0, 480.0)


def test_the_map_zooms_to_the_city_and_its_partners():
    hue, kitakyushu = project(16.46, 107.59), project(33.88, 130.88)
    near = fit_view([hue, kitakyushu])
    assert WIDTH / 6 <= near.width < WIDTH / 3 and near.height == near.width / 2
    assert near.x <= hue[0] <= kitakyushu[0] <= near.x + near.width
    assert near.y <= kitakyushu[1] <= hue[1] <= near.y + near.height
    curitiba = project(-25.43, -49.27)
    far = fit_view([hue, curitiba])
    assert far.width > near.width and far.x < curitiba[0] < hue[0] < far.x + far.width
    assert fit_view([project(60, -170), project(-50, 170)]).width == WIDTH


def test_map_without_a_run(editor_client, recipient):
    response = editor_client.get(reverse("city-map", args=[recipient.slug]))
    assert response.status_code == 200
    assert "None: no run yet." in text(response)
    assert re.search(r'<path class="map-land" d="M[\d.]+ ', response.content.decode())


@pytest.mark.parametrize("count", [0, 15])
def test_map_query_count_is_fixed(editor_client, django_assert_num_queries, match, count):
    many_matches(match.run, match.recipient, count)
    # session, user, city, runs, donors, recipients
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(7):
        response = editor_client.get(reverse("city-map", args=[match.recipient.slug]))
        assert response.status_code == 200
