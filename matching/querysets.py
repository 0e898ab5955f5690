from __future__ import annotations

from django.db import models


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

    def of_active_run(self) -> MatchQuerySet:
        return self.filter(run__is_active=True)
