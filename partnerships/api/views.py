"""The partnerships API (API.md): agencies track the partnerships they fund, cities' editors
propose and move them.

- ``GET /api/partnerships/``, ``GET /api/partnerships/{id}/``: any signed-in user or token
  (agencies are not cities' editors, and a partnership is no secret); anonymous: 401.
- ``POST /api/partnerships/``: editors of one of its two cities, and admins; others 403.
- ``PATCH /api/partnerships/{id}/``: editors of either city, and admins; others 403. A ``status``
  moves the partnership one step along its pipeline, through the same service as the pages.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from cities.api.serializers import CitySummarySerializer
from cities.models import City, PolicyArea
from matching.models import Match
from toolkit.api.mixins import CSVExportMixin
from toolkit.api.renderers import CSVLayout

from ..filtersets import PartnershipFilterSet
from ..models import Partnership, PartnershipOrganization, Programme
from ..permissions import can_change_partnership
from ..services import details, pipeline

PARTNERSHIP_EXAMPLE = {
    "id": 4,
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
    "kind": "donor_recipient",
    "status": "pilot",
    "status_reason": "",
    "outcome": "",
    "policy_areas": ["waste"],
    "match": 120,
    "match_snapshot": {"score": 78.4, "run_id": 3, "top_areas": [{"area": "waste"}]},
    "reasons": "Kitakyushu composts market waste; Surabaya needs it most.",
    "programme": None,
    "organizations": [{"id": 7, "name": "JICA", "role": "funding", "note": ""}],
    "agreed_on": "2025-03-01",
    "review_on": "2028-03-01",
    "review_due": False,
    "created_at": "2025-02-01T09:00:00Z",
    "updated_at": "2025-06-01T09:00:00Z",
}


class SupportingOrganizationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="organization_id", read_only=True)
    name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = PartnershipOrganization
        fields = ["id", "name", "role", "note"]
        read_only_fields = fields


class PartnershipSerializer(serializers.ModelSerializer):
    donor = CitySummarySerializer(read_only=True, help_text="The donor (city A for peers).")
    recipient = CitySummarySerializer(read_only=True, help_text="The recipient (city B).")
    policy_areas: serializers.SlugRelatedField[PolicyArea] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    match = serializers.IntegerField(
        source="match_ref",
        read_only=True,
        allow_null=True,
        help_text="Id of the match it started from; runs are dropped, so it may be gone.",
    )
    match_snapshot = serializers.JSONField(
        read_only=True,
        help_text="The match's score, components and explanation when it started.",
    )
    organizations = SupportingOrganizationSerializer(
        source="organization_links", many=True, read_only=True
    )
    review_due = serializers.SerializerMethodField(
        help_text="Still running and its review date has passed."
    )

    class Meta:
        model = Partnership
        fields = [
            "id",
            "donor",
            "recipient",
            "kind",
            "status",
            "status_reason",
            "outcome",
            "policy_areas",
            "match",
            "match_snapshot",
            "reasons",
            "programme",
            "organizations",
            "agreed_on",
            "review_on",
            "review_due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_review_due(self, partnership: Partnership) -> bool:
        return details.review_due(partnership, today=timezone.localdate())


def _area_codes(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=PolicyArea.objects.all(), many=True, **kwargs
    )


class PartnershipCreateSerializer(serializers.Serializer):
    donor = serializers.PrimaryKeyRelatedField(
        queryset=City.objects.all(), help_text="Id of the donor (city A for peers)."
    )
    recipient = serializers.PrimaryKeyRelatedField(
        queryset=City.objects.all(), help_text="Id of the recipient (city B for peers)."
    )
    kind = serializers.ChoiceField(
        choices=Partnership.Kind.choices, default=Partnership.Kind.DONOR_RECIPIENT
    )
    policy_areas = _area_codes(help_text="Policy area codes; at least one.")
    reasons = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text="Why this partner."
    )
    match = serializers.PrimaryKeyRelatedField(
        queryset=Match.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the match of these two cities it starts from (kept as a snapshot); "
        "without it, their match in the active run, if any.",
    )
    programme = serializers.PrimaryKeyRelatedField(
        queryset=Programme.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of a programme both cities are members of.",
    )
    review_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Review date; default three years after agreeing.",
    )

    def validate(self, data: dict) -> dict:
        match = data.get("match")
        if match is not None and (match.donor_id, match.recipient_id) != (
            data["donor"].pk,
            data["recipient"].pk,
        ):
            raise serializers.ValidationError(
                {"match": "This match is not between the given donor and recipient."}
            )
        return data


class PartnershipUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Partnership.Status.choices,
        required=False,
        help_text="Move one step along the pipeline: proposed → agreed → pilot → scaling → "
        "expanded → concluded, or paused/ended (with status_reason).",
    )
    status_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Needed to pause or end."
    )
    outcome = serializers.ChoiceField(
        choices=Partnership.Outcome.choices, required=False, help_text="Needed to conclude."
    )
    policy_areas = _area_codes(required=False)
    reasons = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    review_on = serializers.DateField(required=False, allow_null=True)
    programme = serializers.PrimaryKeyRelatedField(
        queryset=Programme.objects.all(), required=False, allow_null=True
    )


class PartnershipEditorMayChange(BasePermission):
    message = _("Only editors of one of the two cities and admins may change this partnership.")

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_change_partnership(request.user, obj)


@extend_schema_view(
    list=extend_schema(description="Partnerships between cities, most recently changed first."),
    retrieve=extend_schema(examples=[OpenApiExample("A partnership", value=PARTNERSHIP_EXAMPLE)]),
    create=extend_schema(
        request=PartnershipCreateSerializer,
        responses={201: PartnershipSerializer, 403: OpenApiResponse(description="Not an editor.")},
        description="Propose a partnership (editors of one of its two cities, and admins). It "
        "starts as proposed.",
    ),
    partial_update=extend_schema(
        request=PartnershipUpdateSerializer,
        responses={200: PartnershipSerializer, 403: OpenApiResponse(description="Not an editor.")},
        description="Change a partnership (editors of either city, and admins): its areas, "
        "reasons, review date, programme, or its status, one valid step at a time.",
    ),
)
class PartnershipViewSet(
    CSVExportMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Partnerships: who cooperates with whom, in which areas, how far along."""

    serializer_class = PartnershipSerializer
    filterset_class = PartnershipFilterSet
    permission_classes = [IsAuthenticated, PartnershipEditorMayChange]
    http_method_names = ["get", "post", "patch", "head", "options"]
    csv_filename = "partnerships"
    csv_layout = CSVLayout(mapping=("match_snapshot",))

    def get_queryset(self) -> QuerySet:
        # Two more queries whatever the page size: the areas (in partnerships_for_list) and the
        # supporting organizations with their names.
        links = PartnershipOrganization.objects.select_related("organization").only(
            "id", "partnership_id", "organization_id", "role", "note", "organization__name"
        )
        return (
            Partnership.objects.for_list()
            .prefetch_related(Prefetch("organization_links", queryset=links))
            .defer("donor__sources", "recipient__sources")
            .order_by("-updated_at", "-id")
        )

    def create(self, request: Request, *args, **kwargs) -> Response:
        incoming = PartnershipCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        partnership = pipeline.propose_partnership(user=request.user, **incoming.validated_data)
        return Response(self._read(partnership.pk), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        partnership = self.get_object()
        incoming = PartnershipUpdateSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        to_status = data.pop("status", None)
        reason = data.pop("status_reason", "")
        outcome = data.pop("outcome", "")
        # Details and the move succeed or fail together.
        with transaction.atomic():
            if data:
                partnership = details.update_partnership(
                    user=request.user, partnership=partnership, **data
                )
            if to_status is not None and to_status != partnership.status:
                pipeline.change_status(
                    user=request.user,
                    partnership=partnership,
                    to_status=to_status,
                    reason=reason,
                    outcome=outcome,
                )
        return Response(self._read(partnership.pk))

    def _read(self, pk: int) -> dict:
        return PartnershipSerializer(self.get_queryset().get(pk=pk)).data
