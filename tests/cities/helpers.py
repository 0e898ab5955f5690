"""Small helpers for building city import files in tests."""

from __future__ import annotations

import csv
import io
import json

from cities.importing import COLUMNS

KITAKYUSHU = {
    "name": "Kitakyushu",
    "country": "JP",
    "latitude": "33.88",
    "longitude": "130.88",
    "population": "940978",
    "role": "donor",
    "languages": "ja;en",
    "has_international_department": "true",
    "international_staff": "12",
    "years_of_cooperation": "30",
    "absorptive_capacity": "5",
    "cooperation_budget_usd": "800000",
    "cofunding_usd": "0",
    "expertise": "waste:3;air:3;water:2",
    "needs": "economy:2;education:1",
    "sectors": "C:0.3;E:0.1;H:0.1",
}


def city_row(n: int = 0, **overrides) -> dict[str, str]:
    """A valid row; ``n`` makes the name unique (``Town 7``)."""
    row = dict(KITAKYUSHU, name=f"Town {n}", population=str(10_000 + n), role="both")
    row.update({key: str(value) for key, value in overrides.items()})
    return row


def csv_bytes(rows, columns=COLUMNS, *, bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    text = out.getvalue()
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def json_bytes(rows) -> bytes:
    return json.dumps(list(rows)).encode("utf-8")


def upload(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
