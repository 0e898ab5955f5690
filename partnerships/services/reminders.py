"""Review reminders: the scheduled task tells both cities when a review date nears or passes."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from notifications.languages import Text

from ..models import Partnership
from .notices import Kind, tell_city

# A review is announced this many days ahead, and once more when its date has passed.
REMIND_DAYS_AHEAD = 30


@transaction.atomic
def remind_reviews(*, today: datetime.date | None = None) -> int:
    """Notify the editors of both cities of every open partnership whose review date is
    within ``REMIND_DAYS_AHEAD`` days or passed. Safe to run every day: each (partnership,
    date, "soon"/"passed") is announced once. Returns how many partnerships were due."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=REMIND_DAYS_AHEAD)
    due = (
        Partnership.objects.exclude(status__in=Partnership.CLOSED)
        .filter(review_on__isnull=False, review_on__lte=horizon)
        .select_related("donor", "recipient")
        .order_by("review_on", "pk")
    )
    count = 0
    for partnership in due:
        review_on = partnership.review_on
        assert review_on is not None
        passed = review_on <= today
        title = Text(
            gettext_lazy("The review of %(donor)s – %(recipient)s was due on %(date)s")
            if passed
            else gettext_lazy("The review of %(donor)s – %(recipient)s is due on %(date)s"),
            donor=partnership.donor.name,
            recipient=partnership.recipient.name,
            date=review_on,
        )
        key = f"review:{partnership.pk}:{review_on.isoformat()}:{'passed' if passed else 'soon'}"
        for city_id in partnership.city_ids:
            tell_city(
                city_id,
                kind=Kind.REVIEW_DUE,
                target=partnership,
                title=title,
                url=partnership.get_absolute_url() + "#review-title",
                key=key,
            )
        count += 1
    return count
