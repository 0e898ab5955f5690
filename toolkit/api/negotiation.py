"""Content negotiation where an unknown ``?format=`` is a 400 naming the formats (DRF answers
404, as if the resource did not exist)."""

from __future__ import annotations

from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        requested = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if requested is not None and not format_suffix:
            formats = [renderer.format for renderer in renderers]
            if requested not in formats:
                raise ValidationError(
                    {
                        "format": [
                            gettext("Unknown format %(format)s; one of: %(formats)s.")
                            % {"format": repr(requested), "formats": ", ".join(formats)}
                        ]
                    }
                )
        return super().select_renderer(request, renderers, format_suffix)
