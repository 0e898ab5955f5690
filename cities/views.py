"""City pages that need nothing above ``cities``: the city list and the profile form.

The city page itself shows matches, so ``partnerships.views`` serves it (ARCHITECTURE.md).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django_filters import FilterSet
from django_filters.widgets import BooleanWidget

from . import services
from .filtersets import CityFilterSet
from .forms import CityProfileForm, QuickSelect
from .models import City, PolicyArea, Sector
from .permissions import can_edit_city

PAGE_SIZE = 25
SAVED_MESSAGE = "Saved. Your matches are being updated…"
NOT_FILTERS = {"page", "ordering", "format"}


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = PAGE_SIZE) -> dict:
    """The page asked for (an out-of-range number gives the last page) and its page links."""
    page: Page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    page_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return {"page": page, "page_range": page_range}


# What a person reads next to the filters; the FilterSet's own help texts document the API.
CITY_FILTER_TEXT = {
    "q": ("Name", "Part of the city's name."),
    "country": ("Country", ""),
    "region": ("Region", ""),
    "role": ("Role", "Donors include the cities that are both."),
    "population_min": ("Population at least", ""),
    "population_max": ("Population at most", ""),
    "offers": ("Offers expertise in", "Expertise level 2 (proven) or more."),
    "needs": ("Needs help in", "Need level 2 (medium) or more."),
    "sector": ("Economic sector", "At least 10% of the city's economy."),
    "has_international_department": ("International department", ""),
    "language": ("Working language", "Two-letter code, such as en."),
}


def filter_form_for_people(
    filterset: FilterSet, text: dict[str, tuple[str, str]] | None = None
) -> forms.Form:
    """The FilterSet's form as a person reads it: plain labels and help, "Any" for an unset
    filter. The API reads the same FilterSet; only the words change here.

    Call it before validating: the form keeps the labels of its first validation.
    """
    for name, field in filterset.form.fields.items():
        if text and name in text:
            field.label, field.help_text = text[name]
        if isinstance(field.widget, BooleanWidget):
            field.widget.choices = [("", "Any"), ("true", "Yes"), ("false", "No")]
        elif type(field.widget) is forms.Select:
            field.widget = QuickSelect(attrs=field.widget.attrs, choices=_any_first(field))
    return filterset.form


def _any_first(field: forms.ChoiceField):
    """The field's choices with "Any" as the empty one.

    Fixed lists (countries…) are shared by every copy of the filter, so they are copied here
    rather than changed; a model choice field's own iterator reads ``empty_label`` lazily.
    """
    if isinstance(field, forms.ModelChoiceField):
        field.empty_label = "Any"
        return field.choices
    return [("", "Any"), *((key, label) for key, label in field.choices if key != "")]


def active_filters(request: HttpRequest) -> int:
    """How many filters the query string sets (paging, sorting and format are not filters)."""
    return sum(1 for key, value in request.GET.items() if value and key not in NOT_FILTERS)


@login_required
def city_list(request: HttpRequest) -> HttpResponse:
    filterset = CityFilterSet(request.GET, queryset=City.objects.for_list())
    form = filter_form_for_people(filterset, CITY_FILTER_TEXT)
    valid = filterset.is_valid()
    cities = filterset.qs if valid else City.objects.none()
    ctx = {
        "form": form,
        "filters_valid": valid,
        "filtered": active_filters(request),
        **paginate(request, cities),
    }
    return render(request, "cities/city_list.html", ctx)


@login_required
def city_edit(request: HttpRequest, slug: str) -> HttpResponse:
    city = get_object_or_404(City.objects.with_profile(), slug=slug)
    if not can_edit_city(request.user, city):
        raise PermissionDenied("Only the editors of this city and administrators may edit it.")
    form = CityProfileForm(
        request.POST or None,
        instance=city,
        policy_areas=PolicyArea.objects.all(),
        sectors=Sector.objects.all(),
    )
    if request.method == "POST" and form.is_valid() and _saved(request, form, city):
        messages.success(request, SAVED_MESSAGE)
        return redirect(city)
    return render(request, "cities/city_edit.html", {"city": city, "form": form})


def _saved(request: HttpRequest, form: CityProfileForm, city: City) -> bool:
    """Save through the service, which sends the rescoring signal once the write commits.

    The service checks the profile again; what it refuses is shown on the form.
    """
    expertise, needs = form.profile_levels()
    try:
        services.update_city_profile(
            city=city,
            fields={name: form.cleaned_data[name] for name in CityProfileForm.Meta.fields},
            expertise=expertise,
            needs=needs,
            sectors=form.sector_shares(),
            user=request.user,
            trigger="form",
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return False
    return True
