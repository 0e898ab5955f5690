"""API views of matches and match runs, and of a city's matches (stored or scored on the fly)."""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterable, Sequence

from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from cities.api.permissions import AgencyMayCreate
from cities.models import City
from matching import services
from matching.exports import matches_csv
from matching.filtersets import MatchFilterSet, MatchRunFilterSet, active_run_version
from matching.models import COMPONENTS, Match, MatchRun
from matching.services.pairs import UnknownCity, find_pair
from toolkit.api.exceptions import Conflict
from toolkit.api.listcache import CachedListMixin
from toolkit.api.mixins import CSVExportMixin
from toolkit.api.pagination import WindowCountPagination
from toolkit.keyed_rows import RowsByKey

from .serializers import (
    CityMatchSerializer,
    MatchRunSerializer,
    MatchSerializer,
    PairSerializer,
)

MATCH_EXAMPLE = {
    "id": 120,
    "run": 3,
    "donor": {
        "id": 1,
        "name": "Kitakyushu",
        "slug": "kitakyushu-jp",
        "country": "JP",
        "population": 940978,
    },
    "recipient": {
        "id": 2,
        "name": "Surabaya",
        "slug": "surabaya-id",
        "country": "ID",
        "population": 2874314,
    },
    "score": 78.4,
    "components": {
        "need_fit": 0.83,
        "evidence": 0.67,
        "reciprocity": 0.41,
        "size": 0.59,
        "industry": 0.92,
        "capacity": 0.85,
        "budget": 1.0,
        "language": 1.0,
    },
    "donor_rank": 1,
    "recipient_rank": 2,
    "top_areas": [
        {"area": "waste", "need": 3, "expertise": 3},
        {"area": "air", "need": 2, "expertise": 3},
    ],
    "practices": [{"id": 7, "title": "Takakura composting"}],
    "gives_back": ["economy"],
    "existing_partnership": True,
}


# A city's slug or id in a query: blank is refused (400), so the schema says so.
CITY_KEY_SCHEMA = {"type": "string", "minLength": 1, "pattern": r"\S"}


class MatchCSVMixin(CSVExportMixin):
    """The match download of the pages (``matching.exports``): same columns, streamed."""

    def csv_response(self, objects: QuerySet | Iterable) -> StreamingHttpResponse:
        stamp = timezone.localdate().isoformat()
        return matches_csv(objects, filename=f"citymatch-{self.get_csv_filename()}-{stamp}.csv")


# The rows of a page of matches, by their ids (WindowCountPagination): read as rows of the
# columns its JSON shows, not as model instances (building 75 instances, a match and two
# cities each, cost more than the page's SQL), by SQL compiled once per process.
PAGE_ROWS = RowsByKey(Match.objects.list_rows)


def active_run_list_version(request: Request) -> str | None:
    """The version of a stored match list: the active run's id and ``list_version``. Lists of
    an older run (``?run=``, rarely read) are not cached: their pages are built each time."""
    if "run" in request.query_params:
        return None
    found = active_run_version(request)
    if found is None:
        return None
    run_id, version, created_at = found
    return f"{run_id}.{version}.{created_at.timestamp():.6f}"


class MatchViewSet(CachedListMixin, MatchCSVMixin, viewsets.ReadOnlyModelViewSet):
    """Scored donor/recipient pairs of a run (the active run unless ``run`` is given)."""

    serializer_class = MatchSerializer
    filterset_class = MatchFilterSet
    pagination_class = WindowCountPagination
    permission_classes = [IsAuthenticated]
    csv_filename = "matches"

    def list_cache_version(self) -> str | None:
        return active_run_list_version(self.request) if self.action == "list" else None

    def get_page_rows(self, keys: builtins.list[int]) -> builtins.list[dict]:
        return PAGE_ROWS.fetch(keys)

    def get_queryset(self) -> QuerySet:
        # Only the columns the answer shows (CSV and detail read instances).
        queryset = Match.objects.for_list()
        if self.action == "retrieve":
            # A match of a run still in progress (or failed) is not there to be read.
            queryset = queryset.filter(run__status=MatchRun.Status.SUCCEEDED)
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # The list filters (and its default, the active run) do not narrow a detail: a match of
        # an older run stays readable by its id.
        if self.action == "retrieve":
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(examples=[OpenApiExample("A match", value=MATCH_EXAMPLE)])
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "donor", CITY_KEY_SCHEMA, required=True, description="Donor's slug or id."
            ),
            OpenApiParameter(
                "recipient", CITY_KEY_SCHEMA, required=True, description="Recipient's slug or id."
            ),
        ],
        responses={
            200: PairSerializer,
            400: OpenApiResponse(description="donor or recipient not given."),
            404: OpenApiResponse(description="No city has that slug or id."),
        },
        description=(
            "The match of two cities in the active run, by their slugs (or ids): the address "
            "to keep, since match ids change with every rescoring and run. A pair the run does "
            "not store is scored now with the run's weights (``stored`` false)."
        ),
        filters=False,
    )
    @action(detail=False, url_path="pair", pagination_class=None, filterset_class=None)
    def pair(self, request: Request) -> Response:
        keys = {side: request.query_params.get(side, "").strip() for side in ("donor", "recipient")}
        missing = {
            side: [gettext("Give the city's slug or id.")] for side, key in keys.items() if not key
        }
        if missing:
            raise ValidationError(missing)
        try:
            found = find_pair(donor=keys["donor"], recipient=keys["recipient"])
        except UnknownCity as error:
            raise NotFound(str(error)) from None
        page = reverse(
            "match-detail", kwargs={"donor": found.donor.slug, "recipient": found.recipient.slug}
        )
        data = {
            "donor": found.donor,
            "recipient": found.recipient,
            "stored": found.stored,
            "match": found.match,
            "page": request.build_absolute_uri(page),
        }
        return Response(PairSerializer(data).data)


@extend_schema_view(
    create=extend_schema(
        request=None,
        responses={
            202: MatchRunSerializer,
            409: OpenApiResponse(description="A run is already queued or running."),
        },
        description=(
            "Start a scoring run with the default profile (admins and agency users). Answers "
            "202 with the queued run at once; poll its URL for status and progress."
        ),
    )
)
class MatchRunViewSet(CSVExportMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Scoring runs: what they scored, their progress, and which one is active."""

    queryset = MatchRun.objects.all()
    serializer_class = MatchRunSerializer
    filterset_class = MatchRunFilterSet
    permission_classes = [IsAuthenticated, AgencyMayCreate]
    csv_filename = "match-runs"

    def create(self, request: Request, *args, **kwargs) -> Response:
        try:
            run = services.start_run(trigger=MatchRun.Trigger.API, user=request.user)
        except services.RunInProgress as exc:
            raise Conflict(
                gettext(
                    "A scoring run is already queued or running; wait for it to finish, then "
                    "start another."
                )
                + (f" ({exc.run.pk}, {exc.run.status})" if exc.run is not None else "")
            ) from exc
        run.refresh_from_db()
        location = reverse("api:match-run-detail", kwargs={"pk": run.pk})
        return Response(
            self.get_serializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": request.build_absolute_uri(location)},
        )


def parse_weights(text: str) -> dict[str, float]:
    """``need_fit:0.5,size:0.2`` → weights; the components not named keep their defaults."""
    weights: dict[str, float] = {}
    errors: list[str] = []
    for part in filter(None, (item.strip() for item in text.split(","))):
        name, colon, number = (piece.strip() for piece in part.partition(":"))
        if not colon:
            errors.append(
                gettext("'%(part)s' is not name:number, such as need_fit:0.5.") % {"part": part}
            )
        elif name not in COMPONENTS:
            errors.append(
                gettext("Unknown weight '%(name)s'; use one of %(names)s.")
                % {"name": name, "names": ", ".join(COMPONENTS)}
            )
        else:
            try:
                value = float(number)
            except ValueError:
                errors.append(
                    gettext("%(name)s: '%(number)s' is not a number.")
                    % {"name": name, "number": number}
                )
                continue
            if not math.isfinite(value) or value > 1e6:
                errors.append(
                    gettext("%(name)s: '%(number)s' is not a usable weight.")
                    % {"name": name, "number": number}
                )
            elif value < 0:
                errors.append(
                    gettext("%(name)s: a weight cannot be negative (%(number)s).")
                    % {"name": name, "number": number}
                )
            else:
                weights[name] = value
    if errors:
        raise ValidationError({"weights": errors})
    return weights


ROLES = ("recipient", "donor")


@extend_schema(
    parameters=[
        OpenApiParameter(
            "weights",
            OpenApiTypes.STR,
            description=(
                "Score this city on the fly with these weights, e.g. need_fit:0.5,size:0.2 "
                f"(names: {', '.join(COMPONENTS)}; the rest keep their defaults; no negative "
                "weights). The answer then holds matches with run and id null, ranked."
            ),
            examples=[OpenApiExample("Needs first", value="need_fit:0.5,size:0.2")],
        ),
        OpenApiParameter(
            "as",
            OpenApiTypes.STR,
            enum=ROLES,
            description=(
                "The side of this city: recipient (the default when scoring on the fly) or "
                "donor. For stored matches, without it the city may be on either side."
            ),
        ),
    ],
)
class CityMatchesView(CachedListMixin, MatchCSVMixin, generics.ListAPIView):
    """Matches of one city, with the filters of /api/matches/ (the city on either side)."""

    serializer_class = CityMatchSerializer
    filterset_class = MatchFilterSet
    pagination_class = WindowCountPagination
    permission_classes = [IsAuthenticated]

    def list_cache_version(self) -> str | None:
        # Scored on the fly, a list depends on every profile and practice as they are now.
        if "weights" in self.request.query_params:
            return None
        return active_run_list_version(self.request)

    def get_csv_filename(self) -> str:
        return f"matches-{self.city.slug}"

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no city
            return Match.objects.none()
        side = self.side()
        city_filter = {
            "recipient": Q(recipient=self.city),
            "donor": Q(donor=self.city),
            None: Q(recipient=self.city) | Q(donor=self.city),
        }[side]
        return Match.objects.for_list().filter(city_filter)

    def get_page_rows(self, keys: builtins.list[int]) -> builtins.list[dict]:
        return PAGE_ROWS.fetch(keys)

    def side(self) -> str | None:
        side = self.request.query_params.get("as")
        if side is None:
            return "recipient" if "weights" in self.request.query_params else None
        if side not in ROLES:
            raise ValidationError(
                {"as": [gettext("Use recipient or donor, not '%(side)s'.") % {"side": side}]}
            )
        return side

    # DRF answers whatever HttpResponseBase a handler returns; the stubs say Response only.
    def list(  # type: ignore[override]
        self, request: Request, *args, **kwargs
    ) -> Response | StreamingHttpResponse:
        self.city = get_object_or_404(City.objects.only("id", "slug"), pk=kwargs["pk"])
        if "weights" not in request.query_params:
            return super().list(request, *args, **kwargs)
        matches = self.scored_on_the_fly()
        if self.wants_csv():
            return self.csv_response(matches)
        # DRF's paginators page lists as well; the stubs take a QuerySet only.
        page = self.paginate_queryset(matches)  # type: ignore[arg-type]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    # ``builtins``: in this class, ``list`` is the view's method.
    def scored_on_the_fly(self) -> Sequence[services.ScoredMatch]:
        weights = parse_weights(self.request.query_params["weights"])
        # With weights, side() gives the recipient when ``as`` is not given.
        side = self.side() or "recipient"
        filterset = MatchFilterSet(
            self.request.query_params, queryset=Match.objects.none(), request=self.request
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        if filterset.form.cleaned_data.get("run"):
            raise ValidationError({"run": [gettext("A run cannot be combined with weights.")]})
        city = City.objects.get(pk=self.city.pk)
        data = filterset.form.cleaned_data
        try:
            if not filterset.narrows():
                # Only ordered: a page builds its own rows, not every match of the city.
                return services.ranked_city_rows(
                    city=city, as_role=side, weights=weights, ordering=data.get("ordering")
                )
            matches = services.score_city_rows(
                city=city, as_role=side, weights=weights, languages=bool(data.get("language"))
            )
        except services.InvalidWeights as exc:
            # What only the service can tell, such as every weight of the profile being 0.
            raise ValidationError({"weights": [str(exc)]}) from exc
        return filterset.filter_list(matches)
