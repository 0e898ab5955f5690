"""Content negotiation where an unknown ``?format=`` is a 400 naming the formats (DRF answers
404, as if the resource did not exist)."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        requested = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if requested is not None and not format_suffix:
            formats = [renderer.format for renderer in renderers]
            if requested not in formats:
                raise ValidationError(
                    {"format": [f"Unknown format {requested!r}; one of: {', '.join(formats)}."]}
                )
        return super().select_renderer(request, renderers, format_suffix)
