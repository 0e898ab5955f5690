"""Who is told about what happens in cooperation: the editors of the city concerned."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models

from notifications.languages import Message
from notifications.models import Kind
from notifications.services import notify, settle

__all__ = ["Kind", "editors_of", "settle", "tell_city"]


def editors_of(city_id: int) -> list:
    return list(
        get_user_model().objects.filter(edited_cities=city_id, is_active=True).order_by("pk")
    )


def tell_city(
    city_id: int,
    *,
    kind: str,
    target: models.Model,
    title: Message,
    body: Message = "",
    url: str = "",
    key: str = "",
    exclude=None,
) -> None:
    """Notify every editor of the city (the user who caused the event excepted)."""
    notify(
        recipients=editors_of(city_id),
        kind=kind,
        target=target,
        title=title,
        body=body,
        url=url,
        key=key,
        exclude=exclude,
    )
