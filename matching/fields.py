"""Compact columns of the match table: a run writes ~1e6 rows, so every byte of a row counts.

``TopAreasField`` holds a match's top areas, ``[{area, need, expertise}]`` best first, as the
text ``"waste:3:2 air:2:1"`` instead of JSON: a third of the row's width as ``jsonb`` and the
server's costliest column to read during a run's COPY. Python code (pages, API, CSV, forms)
sees the same list of dicts as before; the text is only what the database stores.

``MillionthsField`` holds a number kept to six decimals (the eight components of a score) as a
4-byte integer count of millionths instead of an 8-byte float: Python reads back the same
float as ``round(value, 6)``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.expressions import Combinable
from django.utils.translation import gettext_lazy as _

SEPARATOR = " "
LEVELS = ":"


def format_top_areas(areas: list[dict[str, Any]] | None) -> str:
    """``[{"area": "waste", "need": 3, "expertise": 2}, …]`` → ``"waste:3:2 …"``."""
    parts = []
    for item in areas or ():
        code, need, expertise = str(item["area"]), int(item["need"]), int(item["expertise"])
        if not code or SEPARATOR in code or LEVELS in code:
            raise ValueError(f"Policy-area code {code!r} cannot be stored in top_areas.")
        parts.append(f"{code}{LEVELS}{need}{LEVELS}{expertise}")
    return SEPARATOR.join(parts)


def parse_top_areas(text: str) -> list[dict[str, Any]]:
    """The inverse of ``format_top_areas``."""
    areas = []
    for part in text.split():
        code, need, expertise = part.rsplit(LEVELS, 2)
        areas.append({"area": code, "need": int(need), "expertise": int(expertise)})
    return areas


class TopAreasField(models.Field):
    """A list of ``{area, need, expertise}`` stored as compact text (see the module)."""

    description = "Top policy areas with need and expertise levels"
    # For type checkers (django-stubs): what the attribute takes and what it gives.
    _pyi_private_set_type: list[dict[str, Any]] | str | Combinable
    _pyi_private_get_type: list[dict[str, Any]]

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value, expression, connection):
        return None if value is None else parse_top_areas(value)

    def to_python(self, value):
        if not isinstance(value, str):
            return value
        try:
            return parse_top_areas(value)
        except ValueError as exc:
            raise ValidationError(
                _("Enter the top areas as “area:need:expertise”, separated by spaces."),
                code="invalid",
            ) from exc

    def get_prep_value(self, value):
        if value is None or isinstance(value, str):
            return value
        return format_top_areas(value)

    def value_to_string(self, obj) -> str:
        return self.get_prep_value(self.value_from_object(obj)) or ""


MILLIONTHS = 1_000_000


class MillionthsField(models.Field):
    """A float kept to six decimals, stored as an integer number of millionths (see the module).

    Values up to ±2,147 fit; the score components are between 0 and 1.
    """

    description = "Number with six decimals"
    default_error_messages = models.FloatField.default_error_messages
    _pyi_private_set_type: float | int | Combinable
    _pyi_private_get_type: float

    def get_internal_type(self) -> str:
        return "IntegerField"

    def from_db_value(self, value, expression, connection):
        return None if value is None else value / MILLIONTHS

    def to_python(self, value):
        if value is None or isinstance(value, float):
            return value
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from exc

    def get_prep_value(self, value):
        if value is None or hasattr(value, "resolve_expression"):
            return value
        return round(float(value) * MILLIONTHS)

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(**{"form_class": forms.FloatField, **kwargs})
