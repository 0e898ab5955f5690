"""Who may see which practice, and the one queryset method behind each list.

Each list reads through one method that holds all its joins and prefetches, so that it costs a
fixed number of queries whatever its length:

- ``for_list()``: the API (JSON and CSV) and a practice's own page: everything a practice has;
- ``for_cards()``: the catalogue page and a city's page: cards with their city and areas;
- ``for_match_page()``: a donor's practices on the match page and the brief;
- ``for_links()``: a line per practice linking to it, with its city ("similar practices");
- ``for_admin_list()``: the admin's change list.

``models`` imports this module, so the models a method needs are imported inside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Coalesce

from cities.permissions import is_curator

if TYPE_CHECKING:
    from cities.models import City

    from .models import BestPractice, Evidence
    from .permissions import AnyUser

PUBLISHED = "published"
SEARCH_CONFIG = "english"


def cost_estimate() -> Coalesce:
    """The cost as scoring uses it, in SQL: the amount, else the midpoint of the range (like
    ``BestPractice.cost``); NULL when neither is stated."""
    midpoint = (models.F("cost_min_usd") + models.F("cost_max_usd")) / 2.0
    return Coalesce(models.F("cost_usd"), midpoint, output_field=models.FloatField())


class BestPracticeQuerySet(models.QuerySet["BestPractice"]):
    def published(self) -> BestPracticeQuerySet:
        return self.filter(status=PUBLISHED)

    def visible_to(self, user: AnyUser) -> BestPracticeQuerySet:
        """Published practices for everyone; authors also see their own; curators see all."""
        if is_curator(user):
            return self
        if user.is_authenticated:
            return self.filter(Q(status=PUBLISHED) | Q(author=user))
        return self.published()

    def with_cost(self) -> BestPracticeQuerySet:
        """``cost_estimate``: what lists sort by when they sort by cost."""
        return self.annotate(cost_estimate=cost_estimate())

    def for_list(self) -> BestPracticeQuerySet:
        """The API's list (JSON and CSV), a single practice in the API, and a practice's page.

        A fixed number of queries whatever the page size: the practices with their city and
        author, then one query each for policy areas, sectors, partners, steps (and the
        evidence each step cites, by id and number), evidence, outcomes and lessons. The search
        vector is deferred: lists never show it and it is the widest column.
        """
        from .models import ActionStep, PracticePartner

        return (
            self.select_related("city", "author")
            .defer("search_vector")
            .with_cost()
            .prefetch_related(
                "policy_areas",
                "sectors",
                Prefetch(
                    "partner_links",
                    queryset=PracticePartner.objects.select_related("organization"),
                ),
                Prefetch(
                    "steps",
                    queryset=ActionStep.objects.prefetch_related(
                        # Id and number only: a step links to the sources it cites by number.
                        Prefetch("evidence", queryset=_evidence_ids())
                    ),
                ),
                "evidence",
                "outcomes",
                "lessons",
            )
        )

    def for_cards(self) -> BestPracticeQuerySet:
        """The lighter list the catalogue page and a city's page show: no steps, evidence or
        lessons, and not the long story (two queries)."""
        return (
            self.select_related("city")
            .defer("search_vector", "body", "body_html")
            .with_cost()
            .prefetch_related("policy_areas")
        )

    def for_match_page(self) -> BestPracticeQuerySet:
        """A donor's practices as the match page and the brief show them: with areas, ordered
        steps and lessons, in four queries whatever their number. The long text columns stay
        in the database: those pages show titles, steps and lessons, not the full story."""
        return (
            self.defer("search_vector", "body", "body_html", "context")
            .prefetch_related("policy_areas", "steps", "lessons")
            .order_by("title", "id")
        )

    def for_links(self) -> BestPracticeQuerySet:
        """A line per practice: its title linking to it and its city's name (one query)."""
        return self.select_related("city").only(
            "title", "slug", "summary", "city__name", "city__country", "city__slug"
        )

    def for_admin_list(self) -> BestPracticeQuerySet:
        """The admin's change list shows each practice's city and author: joined, one query."""
        return self.select_related("city", "author")

    def search(self, text: str) -> BestPracticeQuerySet:
        """Full-text search, best match first.

        PostgreSQL: the stored weighted vector (A title, B summary, C body, steps, lessons)
        against a web-style query (quotes, OR, -word) with English stemming, ranked. SQLite:
        every word must appear in one of those texts, in any case.
        """
        text = text.strip()
        if not text:
            return self
        if settings.USING_POSTGRES:
            from django.contrib.postgres.search import SearchQuery, SearchRank

            query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
            return (
                self.filter(search_vector=query)
                .annotate(rank=SearchRank(models.F("search_vector"), query))
                .order_by("-rank", "title", "id")
            )
        return self._plain_search(text)

    def _plain_search(self, text: str) -> BestPracticeQuerySet:
        from .models import ActionStep, Lesson

        queryset = self
        for word in text.split()[:10]:
            word = word.strip("\"'")
            if not word:
                continue
            in_steps = ActionStep.objects.filter(practice=OuterRef("pk")).filter(
                Q(title__icontains=word) | Q(detail__icontains=word)
            )
            in_lessons = Lesson.objects.filter(practice=OuterRef("pk")).filter(
                Q(what_went_wrong__icontains=word) | Q(do_differently__icontains=word)
            )
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(summary__icontains=word)
                | Q(body__icontains=word)
                | Exists(in_steps)
                | Exists(in_lessons)
            )
        return queryset


def _evidence_ids() -> models.QuerySet[Evidence]:
    from .models import Evidence

    return Evidence.objects.only("id", "position", "practice_id")


def similar_practices(practice: BestPractice, *, limit: int = 5) -> list[BestPractice]:
    """Published practices sharing the most policy areas with this one (one query)."""
    from .models import BestPractice

    area_ids = [area.pk for area in practice.policy_areas.all()]
    if not area_ids:
        return []
    return list(
        BestPractice.objects.published()
        .exclude(pk=practice.pk)
        .filter(policy_areas__in=area_ids)
        # Counted over the filtered join: the number of areas shared with this practice.
        .annotate(shared=models.Count("policy_areas"))
        .for_links()
        .order_by("-shared", "title", "id")[:limit]
    )


def cities_that_could_use(practice: BestPractice, *, limit: int = 10) -> list[City]:
    """Recipient cities that need help (level 2 or more) in the practice's areas and fit its
    transferability (population range, absorptive capacity, co-funding); most need first.

    Two queries: the cities, then their matching needs to show why each was chosen.
    """
    from cities.models import City, CityAreaLevel

    area_ids = [area.pk for area in practice.policy_areas.all()]
    if not area_ids:
        return []
    matching_need = Q(area_levels__policy_area__in=area_ids, area_levels__need__gte=2)
    cities = City.objects.filter(role__in=[City.Role.RECIPIENT, City.Role.BOTH]).exclude(
        pk=practice.city_id
    )
    if practice.population_min is not None:
        cities = cities.filter(population__gte=practice.population_min)
    if practice.population_max is not None:
        cities = cities.filter(population__lte=practice.population_max)
    if practice.min_absorptive_capacity is not None:
        cities = cities.filter(absorptive_capacity__gte=practice.min_absorptive_capacity)
    if practice.min_budget_usd is not None:
        cities = cities.filter(cofunding_usd__gte=practice.min_budget_usd)
    return list(
        cities.annotate(
            need_total=models.Sum("area_levels__need", filter=matching_need),
        )
        .filter(need_total__isnull=False)
        .only("name", "slug", "country", "population", "is_synthetic")
        .order_by("-need_total", "-population", "id")
        .prefetch_related(
            Prefetch(
                "area_levels",
                queryset=CityAreaLevel.objects.filter(policy_area__in=area_ids, need__gte=2)
                .select_related("policy_area")
                .order_by("-need", "policy_area__position"),
                to_attr="matching_needs",
            )
        )[:limit]
    )
