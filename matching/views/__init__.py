"""Pages of matching alone: the runs and a city's map of partners.

Pages that show matches together with the cooperation around them (My city, the city page,
the match browser, the match page and its citizen brief) are served by ``partnerships.views``
(ARCHITECTURE.md: a page showing data of a higher app is served by that app) and built from
the parts here: ``common`` (runs, top matches), ``explain`` (why a match scores what it
scores), ``export`` (the match CSV) and ``matches`` (the match browser's filters).
"""

from .maps import city_map
from .runs import run_detail, run_list, run_start

__all__ = ["city_map", "run_detail", "run_list", "run_start"]
