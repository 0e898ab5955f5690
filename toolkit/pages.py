"""What the web pages share: pages of a list, and filter forms worded for a person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.http import HttpRequest, QueryDict
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters import FilterSet
from django_filters.widgets import BooleanWidget

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 25
# Query-string keys that are not filters: paging, sorting, the format and "scope=all" (the
# match browser without its default city).
NOT_FILTERS = frozenset({"page", "ordering", "format", "scope"})


class QuickSelect(forms.Select):
    """A ``<select>`` written in Python rather than with one template per option.

    Django renders each option through a template (about 0.1 ms each): a country list of 250
    options cost 30 ms a page. Flat choices only (no option groups), as every list here is.
    """

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = {str(item) for item in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>{}</select>", flatatt(attrs), options)


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = PAGE_SIZE) -> dict:
    """The page asked for (an out-of-range number gives the last page) and its page links."""
    page: Page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    page_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return {"page": page, "page_range": page_range}


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows: an exact count of a million matches costs more than a page
    (with 10,000 cities, counting to 10,000 took 90 ms; to 1,000, under 10 ms). Forty pages are
    more than anyone reads: past them the page asks for narrower filters.

    ``capped`` tells the page to say "more than …"; the CSV export still has every row.
    ``counted`` is the queryset to count when the rows come from a wrapper around it (the
    mutually interested pairs first): the same rows, in another order.
    """

    cap = 1_000
    capped = False

    def __init__(self, object_list, per_page: int, *, counted: QuerySet | None = None) -> None:
        super().__init__(object_list, per_page)
        self.counted = counted if counted is not None else object_list

    @cached_property
    def count(self) -> int:
        # Only ids, in no order: the count needs neither the page's annotations nor a sort.
        found = self.counted.order_by().values("pk")[: self.cap + 1].count()
        self.capped = found > self.cap
        return min(found, self.cap)


def paginate_capped(
    request: HttpRequest, rows, per_page: int = 25, *, counted: QuerySet | None = None
) -> dict:
    paginator = CappedPaginator(rows, per_page, counted=counted)
    page = paginator.get_page(request.GET.get("page"))
    page_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return {"page": page, "page_range": page_range}


def filter_form_for_people(
    filterset: FilterSet, text: Mapping[str, tuple[StrOrPromise, StrOrPromise]] | None = None
) -> forms.Form:
    """The FilterSet's form as a person reads it: plain labels and help, "Any" for an unset
    filter. The API reads the same FilterSet; only the words change here.

    Call it before validating: the form keeps the labels of its first validation.
    """
    for name, field in filterset.form.fields.items():
        if text and name in text:
            field.label, field.help_text = text[name]
        if isinstance(field.widget, BooleanWidget):
            field.widget.choices = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
        elif type(field.widget) is forms.Select:
            field.widget = QuickSelect(attrs=field.widget.attrs, choices=_any_first(field))
    return filterset.form


def set_choices(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    """Give a page's filter these choices, its blank one included (before validation)."""
    if hasattr(field, "empty_label"):
        field.empty_label = None  # django-filter would add its own blank choice
    cast(forms.ChoiceField, field).choices = choices


def _any_first(field: forms.ChoiceField):
    """The field's choices with "Any" as the empty one.

    Fixed lists (countries…) are shared by every copy of the filter, so they are copied here
    rather than changed; a model choice field's own iterator reads ``empty_label`` lazily.
    """
    if isinstance(field, forms.ModelChoiceField):
        field.empty_label = _("Any")
        return field.choices
    # Django normalises choices when they are set: reading them gives (value, label) pairs.
    pairs = cast("Iterable[tuple[Any, Any]]", field.choices)
    return [("", _("Any")), *((key, label) for key, label in pairs if key != "")]


def signed_in_user(request: HttpRequest) -> User:
    """The user of a page behind ``login_required``: signed in, never anonymous."""
    user = request.user
    if not isinstance(user, get_user_model()):
        raise PermissionDenied(gettext("Sign in first."))
    return user


def active_filters(request: HttpRequest, query: QueryDict | None = None) -> int:
    """How many filters the query string sets (paging, sorting, format and scope are not
    filters); ``query`` when the page filters on more than its address says (a default)."""
    given = request.GET if query is None else query
    return sum(1 for key, value in given.items() if value and key not in NOT_FILTERS)
