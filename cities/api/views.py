"""API viewsets of the taxonomies, cities and organizations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from cities import services
from cities.api.permissions import AgencyMayCreate, CityEditorMayChange, MayImport
from cities.filtersets import (
    CityFilterSet,
    OrganizationFilterSet,
    PolicyAreaFilterSet,
    SectorFilterSet,
)
from cities.importing import CityImportError, import_cities
from cities.models import City, Organization, PolicyArea, Sector
from cities.profile import MAP_FIELDS
from toolkit.api.exceptions import PayloadTooLarge
from toolkit.api.mixins import CSVExportMixin
from toolkit.api.renderers import CSVLayout

from .serializers import (
    CitySerializer,
    ImportErrorsSerializer,
    ImportReportSerializer,
    ImportUploadSerializer,
    OrganizationSerializer,
    PolicyAreaSerializer,
    SectorSerializer,
)

CITY_EXAMPLE = {
    "id": 1,
    "name": "Kitakyushu",
    "slug": "kitakyushu-jp",
    "country": "JP",
    "region": "AS",
    "latitude": 33.88,
    "longitude": 130.88,
    "population": 940978,
    "role": "donor",
    "languages": ["en", "ja"],
    "has_international_department": True,
    "international_staff": 12,
    "years_of_cooperation": 30,
    "absorptive_capacity": 5,
    "cooperation_budget_usd": 800000,
    "cofunding_usd": 0,
    "expertise": {"waste": 3, "air": 3, "water": 2},
    "needs": {"economy": 2, "education": 1},
    "sectors": {"C": 0.3, "E": 0.1, "H": 0.1},
    "updated_at": "2025-01-01T00:00:00Z",
}


class PolicyAreaViewSet(CSVExportMixin, viewsets.ReadOnlyModelViewSet):
    """The policy areas cities cooperate in (public)."""

    queryset = PolicyArea.objects.all()
    serializer_class = PolicyAreaSerializer
    filterset_class = PolicyAreaFilterSet
    permission_classes = [AllowAny]
    lookup_field = "code"
    csv_filename = "policy-areas"


class SectorViewSet(CSVExportMixin, viewsets.ReadOnlyModelViewSet):
    """The ISIC Rev.4 sections that describe a city's economy (public)."""

    queryset = Sector.objects.all()
    serializer_class = SectorSerializer
    filterset_class = SectorFilterSet
    permission_classes = [AllowAny]
    lookup_field = "code"
    csv_filename = "sectors"


@extend_schema_view(
    create=extend_schema(
        description="Create a city (admins and agency users).",
        examples=[OpenApiExample("Kitakyushu", value=CITY_EXAMPLE)],
    ),
    retrieve=extend_schema(examples=[OpenApiExample("Kitakyushu", value=CITY_EXAMPLE)]),
    update=extend_schema(description="Replace a city's profile (its editors and admins)."),
    partial_update=extend_schema(
        description="Change some fields of a city's profile (its editors and admins). "
        "expertise, needs and sectors, when given, replace the stored ones."
    ),
    destroy=extend_schema(description="Delete a city (its editors and admins)."),
)
class CityViewSet(CSVExportMixin, viewsets.ModelViewSet):
    """City profiles: who they are, what they offer and need, their economy and capacity."""

    queryset = City.objects.for_list()
    serializer_class = CitySerializer
    filterset_class = CityFilterSet
    permission_classes = [IsAuthenticated, AgencyMayCreate, MayImport, CityEditorMayChange]
    csv_filename = "cities"
    csv_layout = CSVLayout(mapping=("expertise", "needs", "sectors"))

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.create_city(
            **_profile_parts(serializer.validated_data), user=self.request.user, trigger="api"
        )

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        # What the service refuses is a 400 naming the field (toolkit.api.exceptions).
        serializer.instance = services.update_city_profile(
            # An update's serializer always holds the city get_object() found.
            city=cast(City, serializer.instance),
            **_profile_parts(serializer.validated_data),
            user=self.request.user,
            trigger="api",
        )

    def perform_destroy(self, instance: City) -> None:
        services.delete_city(city=instance, user=self.request.user)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            200: ImportReportSerializer,
            400: ImportErrorsSerializer,
            413: OpenApiResponse(description="The file is larger than the import limit."),
        },
        examples=[
            OpenApiExample(
                "Rejected file",
                value={
                    "errors": [
                        {"row": 7, "field": "population", "message": "must be a positive integer"}
                    ]
                },
                response_only=True,
                status_codes=["400"],
            )
        ],
        description=(
            "Import city profiles from a CSV or JSON file (field `file`) in the import format of "
            "API.md. The whole file is checked first; one bad row rejects it and the report "
            "names every bad row and field. A city is identified by name and country. "
            "Admins write any row; agency users create cities and update cities no editor "
            "maintains; editors update their own cities. A row the user may not write is "
            "refused and named in the report, and nothing is written."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser],
        serializer_class=ImportUploadSerializer,
        filterset_class=None,
    )
    def import_file(self, request: Request) -> Response:
        # Refuse a body that is too big before reading it into a temporary file.
        if _content_length(request) > settings.IMPORT_MAX_BYTES + 64 * 1024:
            raise PayloadTooLarge(_too_large_message())
        upload = ImportUploadSerializer(data=request.data)
        if not upload.is_valid():
            # The same shape as a rejected file's report, so clients read one format.
            errors = [
                {"row": None, "field": field, "message": str(message)}
                for field, messages in upload.errors.items()
                for message in messages
            ]
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        file = upload.validated_data["file"]
        if file.size > settings.IMPORT_MAX_BYTES:
            raise PayloadTooLarge(_too_large_message())
        try:
            result = import_cities(file, filename=file.name, user=request.user)
        except CityImportError as exc:
            errors = [error.as_dict() for error in exc.errors]
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        report = {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "city_ids": list(result.city_ids),
        }
        return Response(report, status=status.HTTP_200_OK)


def _profile_parts(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated data as the profile service takes it: the row's fields, and each of expertise,
    needs and sectors as given (None: left as stored)."""
    fields = dict(data)
    maps = {name: fields.pop(name, None) for name in MAP_FIELDS}
    return {"fields": fields, **maps}


def _content_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_large_message() -> str:
    return f"The file is larger than {settings.IMPORT_MAX_BYTES // (1024 * 1024)} MB."


class OrganizationViewSet(CSVExportMixin, viewsets.ReadOnlyModelViewSet):
    """Agencies, banks, networks and others that support city cooperation (admins edit them
    in the admin site)."""

    queryset = Organization.objects.for_list()
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet
    permission_classes = [IsAuthenticated]
    csv_filename = "organizations"
