"""Request body parsers with the limits of settings (JSON_MAX_DEPTH)."""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from django.utils.translation import gettext
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from toolkit.jsonlimits import JSONTooDeep, loads


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than ``JSON_MAX_DEPTH`` with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return loads(text, max_depth=settings.JSON_MAX_DEPTH)
        except JSONTooDeep as exc:
            raise ParseError(
                gettext("JSON parse error - the body %(error)s.") % {"error": exc}
            ) from exc
        except (ValueError, json.JSONDecodeError) as exc:
            raise ParseError(gettext("JSON parse error - %(error)s") % {"error": exc}) from exc
