"""django-filter's backend, strict about yes/no filters: django-filter reads any value it does
not know (``?is_active=-1``) as "no filter"; here it is a 400 naming the parameter."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

BOOLEAN_WORDS = frozenset({"", "true", "false", "1", "0", "yes", "no", "on", "off"})


class FilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = {
                name: [gettext("Must be true or false.")]
                for name, field in filterset.filters.items()
                if isinstance(field, django_filters.BooleanFilter)
                and name in request.query_params
                and request.query_params[name].strip().lower() not in BOOLEAN_WORDS
            }
            if errors:
                raise ValidationError(errors)
        return filterset
