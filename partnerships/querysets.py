from __future__ import annotations

from django.db import models


class MatchRunQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True).first()


class MatchQuerySet(models.QuerySet):
    def for_list(self) -> MatchQuerySet:
        """Every list of matches (pages, API, CSV) reads through this: two cities per row."""
        return self.select_related("donor", "recipient")

    def of_active_run(self) -> MatchQuerySet:
        return self.filter(run__is_active=True)
