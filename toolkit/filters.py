"""The FilterSet base and the filter classes the apps' FilterSets share.

One FilterSet serves a list's web page and its API (the same query string in both); these
classes make that cheap per request and safe with any input.
"""

from __future__ import annotations

import copy
import re

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

# The largest value a 64-bit integer column holds: bigger numbers are refused as bad input
# rather than reaching the database.
MAX_BIGINT = 2**63 - 1

language_code = RegexValidator(
    r"^[a-z]{2}$", _("Use a two-letter ISO 639-1 code in lower case, such as 'en'.")
)


class SharedChoiceField(django_filters.fields.ChoiceField):
    """A choice field whose copies share its choices (a fixed list such as the 250 countries).

    Django deep-copies every form field for every form; copying the country list of two
    filters took longer than the whole SQL of a match page (see bench/api.py).
    """

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self._choices
        return result


class CodeChoiceFilter(django_filters.ChoiceFilter):
    """A choice among fixed codes (countries, continents, roles, kinds)."""

    field_class = SharedChoiceField


class LightFilterSet(django_filters.FilterSet):
    """A FilterSet that copies its filters shallowly for each request.

    django-filter deep-copies every filter per FilterSet, and with them their choices and
    querysets: for the match filters that was most of an API request's time (bench/api.py).
    A filter holds no per-request state but its ``parent``, ``model`` and the method bound to
    it, so a shallow copy that sets those three again is enough. The form fields are built
    once per filter and shared (Django copies them into every form instance), and so is the
    form class built from them.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {
            name: self._bind(filter_, queryset.model) for name, filter_ in self.base_filters.items()
        }

    def get_form_class(self):
        # The form's fields are those of the class's own filters (see _bind): one form class
        # per FilterSet class serves every request.
        form_class = type(self).__dict__.get("_light_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._light_form_class = form_class
        return form_class

    def _bind(self, filter_: django_filters.Filter, model) -> django_filters.Filter:
        if "_field" not in filter_.__dict__:
            # Build the form field once, on the class's own filter, and share it: a form
            # copies its fields for every instance anyway.
            filter_.model = model
            filter_.field  # noqa: B018 (the property builds and keeps the field)
        bound = copy.copy(filter_)
        bound.extra = dict(filter_.extra)
        bound.model = model
        bound.parent = self
        if filter_.method is not None:
            bound.method = filter_.method  # re-binds the FilterMethod to this copy
        return bound


class WholeNumberField(forms.IntegerField):
    """Digits only: Django's IntegerField also takes ``7.0`` and ``1e3``-like text."""

    def to_python(self, value):
        if value not in self.empty_values and not WHOLE_NUMBER.fullmatch(str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


WHOLE_NUMBER = re.compile(r"\s*[+-]?\d+\s*")


class IntegerFilter(django_filters.NumberFilter):
    """A whole-number filter bounded to what the database stores (no 500 on huge numbers)."""

    field_class = WholeNumberField

    def __init__(self, *args, min_value: int = 0, max_value: int = MAX_BIGINT, **kwargs):
        kwargs.setdefault("min_value", min_value)
        kwargs.setdefault("max_value", max_value)
        super().__init__(*args, **kwargs)


class FlagFilter(django_filters.BooleanFilter):
    """``true``/``false`` in the query string, in the API and on the web page alike."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", BooleanWidget)
        super().__init__(*args, **kwargs)


class LanguageFilter(django_filters.CharFilter):
    """An ISO 639-1 code; the value is checked before it is used in a LIKE pattern."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [language_code])
        kwargs.setdefault("max_length", 2)
        super().__init__(*args, **kwargs)


class TaxonomyCodeFilter(django_filters.CharFilter):
    """A code of the taxonomy tables, checked against their (cached) codes.

    A text filter with a choice field: the schema documents it as a string with its help text,
    without reading the tables to list the codes.
    """

    field_class = SharedChoiceField
