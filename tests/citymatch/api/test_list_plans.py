"""The lists answer from indexes (issue 12): each list's page query, as the API sends it, is
planned by PostgreSQL with sequential scans and sorts priced out; a list or filter whose table
has no usable index still gets a ``Seq Scan``, and an order no index holds gets a ``Sort``."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    BestPracticeFactory,
    CityFactory,
    MatchFactory,
    PartnershipFactory,
)

pytestmark = pytest.mark.usefixtures("postgres")


def page_query(client, url: str, params: dict, table: str) -> str:
    """The SQL of the request's page query on ``table`` (its keys or its rows, in order)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    ordered = [
        query["sql"]
        for query in captured.captured_queries
        if f'FROM "{table}"' in query["sql"] and "ORDER BY" in query["sql"]
    ]
    assert ordered, f"no ordered query on {table}"
    return ordered[0]


def plan_nodes(sql: str) -> list[tuple[str, str]]:
    """(node type, relation) of every node of the plan, with sequential scans, bitmap scans
    and sorts priced out: on a handful of rows the planner would otherwise pick them whatever
    the indexes, so what is left shows whether an index can find the rows and give their
    order (a scan or sort no index can replace still shows)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in ("seqscan", "bitmapscan", "sort", "incremental_sort"):
            cursor.execute(f"SET LOCAL enable_{setting} = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (plan,) = cursor.fetchone()[0]
    nodes: list[tuple[str, str]] = []
    stack = [plan["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append((node["Node Type"], node.get("Relation Name", "")))
        stack.extend(node.get("Plans", []))
    return nodes


def assert_indexed(nodes: list[tuple[str, str]], table: str, *, ordered: bool) -> None:
    scans = [relation for kind, relation in nodes if kind == "Seq Scan"]
    assert not [name for name in scans if name.startswith(table)], nodes
    if ordered:
        assert not [kind for kind, _ in nodes if kind.endswith("Sort")], nodes


@pytest.fixture
def matches(active_run):
    cities = CityFactory.create_batch(4, country="JP") + CityFactory.create_batch(4, country="VN")
    for donor in cities[:4]:
        for recipient in cities[4:]:
            MatchFactory(run=active_run, donor=donor, recipient=recipient)
    return cities


MATCH_FILTERS = {
    "default order": ({}, True),
    "by score": ({"ordering": "-score"}, True),
    "by donor rank": ({"ordering": "donor_rank"}, True),
    "by recipient rank": ({"ordering": "recipient_rank"}, True),
    "donor country": ({"donor_country": "JP"}, True),
    "recipient country": ({"recipient_country": "VN"}, True),
    "policy area": ({"policy_area": "waste"}, True),
    "lowest score": ({"min_score": 50}, True),
    "country and area": ({"donor_country": "JP", "policy_area": "waste"}, True),
    "recipient": ({"recipient": "RECIPIENT"}, False),
    "donor": ({"donor": "DONOR"}, False),
    "either side": ({"city": "DONOR"}, False),
    "recipient and area": ({"recipient": "RECIPIENT", "policy_area": "waste"}, False),
}


@pytest.mark.parametrize("name", MATCH_FILTERS)
def test_match_list_reads_an_index(user_client, matches, name):
    params, ordered = MATCH_FILTERS[name]
    ids = {"DONOR": matches[0].pk, "RECIPIENT": matches[-1].pk}
    params = {key: ids.get(str(value), value) for key, value in params.items()}
    sql = page_query(user_client, "/api/matches/", params, "matching_match")
    assert_indexed(plan_nodes(sql), "matching_match", ordered=ordered)


def test_city_list_reads_an_index(user_client):
    CityFactory.create_batch(3)
    sql = page_query(user_client, "/api/cities/", {}, "cities_city")
    assert_indexed(plan_nodes(sql), "cities_city", ordered=True)
    sql = page_query(user_client, "/api/cities/", {"country": "JP"}, "cities_city")
    assert_indexed(plan_nodes(sql), "cities_city", ordered=False)


@pytest.mark.parametrize("reader", ["anonymous", "curator"])
def test_practice_list_reads_an_index(client, admin_client, reader):
    BestPracticeFactory.create_batch(3, status="published")
    reading = client if reader == "anonymous" else admin_client
    sql = page_query(reading, "/api/best-practices/", {}, "bestpractices_bestpractice")
    assert_indexed(plan_nodes(sql), "bestpractices_bestpractice", ordered=True)


def test_partnership_list_reads_an_index(user_client):
    PartnershipFactory.create_batch(3)
    sql = page_query(user_client, "/api/partnerships/", {}, "partnerships_partnership")
    assert_indexed(plan_nodes(sql), "partnerships_partnership", ordered=True)
