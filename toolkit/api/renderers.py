"""CSV for every list: ``?format=csv`` answers the same rows as JSON, flattened into columns."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from rest_framework import renderers, serializers

from toolkit.csv import csv_lines, escape_formula


class CSVLayout:
    """How the nested objects of a serializer become flat columns.

    - ``inline`` fields are objects whose keys become columns of their own (a match's
      ``components`` give ``need_fit``, ``evidence``…);
    - ``mapping`` fields are objects keyed by data (a city's ``expertise`` ``{"waste": 3}``): one
      column written like the import format, ``waste:3;air:2``;
    - any other object becomes prefixed columns (``donor_id``, ``donor_name``…);
    - lists become one column, items separated by ``;`` (objects as ``value:value``).
    """

    def __init__(self, *, inline: Iterable[str] = (), mapping: Iterable[str] = ()):
        self.inline = frozenset(inline)
        self.mapping = frozenset(mapping)

    def header(self, serializer: serializers.Serializer) -> list[str]:
        columns: list[str] = []
        for name, field in serializer.fields.items():
            if isinstance(field, serializers.Serializer) and name not in self.mapping:
                prefix = "" if name in self.inline else f"{name}_"
                columns.extend(f"{prefix}{sub}" for sub in field.fields)
            else:
                columns.append(name)
        return columns

    def row(self, data: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                if key in self.mapping:
                    row[key] = ";".join(f"{sub}:{_text(item)}" for sub, item in value.items())
                else:
                    prefix = "" if key in self.inline else f"{key}_"
                    row.update({f"{prefix}{sub}": _text(item) for sub, item in value.items()})
            elif isinstance(value, list):
                row[key] = ";".join(_list_item(item) for item in value)
            else:
                row[key] = _text(value)
        return {key: escape_formula(value) for key, value in row.items()}


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return _list_item(value)
    return value


def _list_item(item: Any) -> str:
    if isinstance(item, dict):
        return ":".join(str(_text(value)) for value in item.values())
    if isinstance(item, list):
        return ":".join(str(_text(value)) for value in item)
    return str(_text(item))


class CSVRenderer(renderers.BaseRenderer):
    """Renders one object (a detail) or a list of objects as CSV.

    Big lists do not come through here: views stream them (see ``CSVExportMixin``).
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        context = renderer_context or {}
        view = context.get("view")
        layout = getattr(view, "csv_layout", None) or CSVLayout()
        items = data.get("results", data) if isinstance(data, dict) else data
        if isinstance(items, dict):
            items = [items]
        rows = [layout.row(item) for item in items]
        serializer = (
            view.get_serializer() if view is not None and hasattr(view, "get_serializer") else None
        )
        if isinstance(serializer, serializers.Serializer):
            header = layout.header(serializer)
        else:
            header = list(rows[0]) if rows else []
        buffer = io.StringIO()
        for line in csv_lines(header, rows, escape=False):
            buffer.write(line)
        return buffer.getvalue().encode(self.charset)
