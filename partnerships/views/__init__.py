"""Pages that show matches (ARCHITECTURE.md: a page showing data of ``partnerships`` is served
here, whatever its URL): My city, the city page and map, the match browser, the match page, the
citizen brief and the runs."""

from .cities import city_detail, city_map
from .home import my_city
from .matches import match_brief, match_detail, match_list
from .runs import run_detail, run_list, run_start

__all__ = [
    "city_detail",
    "city_map",
    "match_brief",
    "match_detail",
    "match_list",
    "my_city",
    "run_detail",
    "run_list",
    "run_start",
]
