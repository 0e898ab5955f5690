from __future__ import annotations

from django.db import models
from django.db.models import BooleanField, ExpressionWrapper


class MatchRunQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True).first()


class MatchQuerySet(models.QuerySet):
    def for_list(self) -> MatchQuerySet:
        """Every list of matches (pages, API, CSV) reads through this: two cities per row.

        One query whatever the page size: both cities come in the same join. A profile's
        free-text sources can be long and no list shows them, so they stay in the database.
        """
        return self.select_related("donor", "recipient").defer(
            "donor__sources", "recipient__sources"
        )

    def with_cooperation(self) -> MatchQuerySet:
        """Marks the pages show: ``mutual_interest`` (each city told the other it is
        interested) and ``experienced_mentor`` (the donor has mentored a city before).

        Correlated EXISTS on small indexed tables: no extra query, and when the list is read in
        index order only the rows of the page are checked.
        """
        from .cooperation.interest import mutual_filter
        from .cooperation.support import has_mentored

        return self.annotate(
            mutual_interest=ExpressionWrapper(mutual_filter(), output_field=BooleanField()),
            experienced_mentor=has_mentored("donor_id"),
        )

    def of_active_run(self) -> MatchQuerySet:
        return self.filter(run__is_active=True)
