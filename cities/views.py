"""City pages that need nothing above ``cities``: the city list and the profile form.

The city page itself shows matches, so ``partnerships.views`` serves it (ARCHITECTURE.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views import i18n
from django.views.decorators.http import require_POST

from toolkit.i18n import SESSION_LANGUAGE_KEY, supported
from toolkit.pages import active_filters, filter_form_for_people, paginate, set_choices

from . import services
from .countries import country_choices
from .filtersets import CityFilterSet
from .forms import CityProfileForm
from .models import City, PolicyArea, Sector
from .permissions import can_edit_city

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The English words; the page shows them in the reader's language.
SAVED_MESSAGE = gettext_noop("Saved. Your matches are being updated…")


# What a person reads next to the filters; the FilterSet's own help texts document the API.
CITY_FILTER_TEXT: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "q": (_("Name"), _("Part of the city's name.")),
    "country": (_("Country"), ""),
    "region": (_("Region"), ""),
    "role": (_("Role"), _("Donors include the cities that are both.")),
    "population_min": (_("Population at least"), ""),
    "population_max": (_("Population at most"), ""),
    "offers": (_("Offers expertise in"), _("Expertise level 2 (proven) or more.")),
    "needs": (_("Needs help in"), _("Need level 2 (medium) or more.")),
    "sector": (_("Economic sector"), _("At least a tenth of the city's economy.")),
    "has_international_department": (_("International department"), ""),
    "language": (_("Working language"), _("Two-letter code, such as en.")),
}


@login_required
def city_list(request: HttpRequest) -> HttpResponse:
    filterset = CityFilterSet(request.GET, queryset=City.objects.for_list())
    form = filter_form_for_people(filterset, CITY_FILTER_TEXT)
    set_choices(form.fields["country"], country_choices(City.objects.countries()))
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
        raise PermissionDenied(
            gettext("Only the editors of this city and administrators may edit it.")
        )
    form = CityProfileForm(
        request.POST or None,
        instance=city,
        policy_areas=PolicyArea.objects.all(),
        sectors=Sector.objects.all(),
    )
    if request.method == "POST" and form.is_valid() and _saved(request, form, city):
        messages.success(request, gettext(SAVED_MESSAGE))
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
            fields=form.profile_values(),
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


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switcher: Django's cookie and redirect, remembered for the user.

    The form posts the page's own path with its query string as ``next``, so the person stays
    on the same page with the same filters.
    """
    response = i18n.set_language(request)
    language = supported(request.POST.get("language"))
    if language and request.user.is_authenticated:
        services.save_language_choice(user=request.user, language=language)
        request.session[SESSION_LANGUAGE_KEY] = language
    return response


def restore_saved_language(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """On sign-in, the person's saved language becomes the session's (no query per page)."""
    if request is None or not hasattr(request, "session"):
        return
    language = supported(services.saved_language(user))
    if language:
        request.session[SESSION_LANGUAGE_KEY] = language
        translation.activate(language)
