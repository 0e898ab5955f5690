"""The match browser's CSV: every row the filters select, in the order the page shows them.

The columns are those of the API's CSV (``/api/matches/?format=csv``): cities as prefixed
columns, components inline, lists joined with ``;``. Text cells that a spreadsheet would run as
a formula are escaped.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from toolkit.csv import csv_lines, csv_response

from ..models import COMPONENTS, Match

CITY_COLUMNS = ("id", "name", "slug", "country", "population")
HEADER = [
    "id",
    "run",
    *(f"donor_{column}" for column in CITY_COLUMNS),
    *(f"recipient_{column}" for column in CITY_COLUMNS),
    "score",
    *COMPONENTS,
    "donor_rank",
    "recipient_rank",
    "size_ratio",
    "top_areas",
    "practices",
    "gives_back",
    "existing_partnership",
]


def match_row(match: Match) -> list[object]:
    """One line of the file; ``csv_lines`` makes its text cells spreadsheet-safe."""
    row: list[object] = [match.pk, match.run_id]
    for city in (match.donor, match.recipient):
        row.extend(getattr(city, column) for column in CITY_COLUMNS)
    row.extend([match.score, *(getattr(match, name) for name in COMPONENTS)])
    row.extend(["" if match.donor_rank is None else match.donor_rank])
    row.extend(["" if match.recipient_rank is None else match.recipient_rank])
    row.append(match.size_ratio)
    row.append(
        ";".join(f"{a.get('area')}:{a.get('need')}:{a.get('expertise')}" for a in match.top_areas)
    )
    row.append(";".join(f"{p.get('id')}:{p.get('title')}" for p in match.practices))
    row.append(";".join(str(code) for code in match.gives_back))
    row.append("true" if match.existing_partnership else "false")
    return row


def matches_csv(
    matches: QuerySet[Match], *, filename: str = "citymatch-matches.csv"
) -> StreamingHttpResponse:
    rows = (match_row(match) for match in matches.iterator(chunk_size=2000))
    return csv_response(csv_lines(HEADER, rows), filename=filename)
