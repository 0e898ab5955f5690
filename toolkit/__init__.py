"""Machinery every app may use and that imports no app of CityMatch.

- ``api``: the API's error format, CSV export mixin and renderer, pagination;
- ``csv``: spreadsheet-safe CSV (one writer, one formula escaper);
- ``filters``: the FilterSet base and the filter classes the apps' FilterSets share;
- ``pages``: pagination and filter forms of the web pages;
- ``pgcopy``: PostgreSQL COPY with multi-row INSERT elsewhere;
- ``progress``: progress bars for management commands.
"""
