"""The partnerships API (API.md): agencies track the partnerships they fund, cities' editors
propose and move them.

- ``GET /api/partnerships/``, ``GET /api/partnerships/{id}/``: any signed-in user or token sees
  that a partnership exists and its stage; its reasons and notes only the two cities' editors,
  members of its supporting organizations and admins (``details_visible``); anonymous: 401.
- ``POST /api/partnerships/``: editors of one of its two cities, and admins; others 403.
- ``PATCH /api/partnerships/{id}/``: editors of either city, and admins; others 403. A ``status``
  moves the partnership one step along its pipeline, through the same service as the pages:
  pausing and ending at once; ``agreed`` and later stages only with the other city's
  confirmation (409 with the reason otherwise), or as an admin's recorded ``override``.
- ``GET|POST /api/partnerships/{id}/steps/``: the proposed steps; propose one (an editor of
  one city). ``POST .../steps/{step}/confirm/``, ``.../decline/`` (with a reason): an editor of
  the other city; ``.../withdraw/``: the proposing city.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from cities.api.serializers import CitySummarySerializer
from cities.models import City, PolicyArea
from matching.models import Match
from toolkit.api.exceptions import Conflict
from toolkit.api.mixins import CSVExportMixin
from toolkit.api.renderers import CSVLayout

from ..filtersets import PartnershipFilterSet
from ..models import Partnership, PartnershipOrganization, Programme, StepProposal
from ..permissions import can_change_partnership, can_see_partnership_details
from ..services import details, history, pipeline, steps

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
    "details_visible": True,
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


class StepProposalSerializer(serializers.ModelSerializer):
    proposed_by = serializers.CharField(
        source="proposed_by.get_username", read_only=True, allow_null=True
    )
    proposed_for_city = serializers.IntegerField(
        source="proposed_for_city_id", read_only=True, help_text="Id of the proposing city."
    )
    waiting_for_city = serializers.SerializerMethodField(
        help_text="Id of the city whose editors confirm or decline it."
    )
    decided_by = serializers.CharField(
        source="decided_by.get_username", read_only=True, allow_null=True
    )
    reason = serializers.SerializerMethodField(
        help_text="Why it was declined or withdrawn: the person's words as written, or the "
        "system's reason in the language of Accept-Language."
    )

    class Meta:
        model = StepProposal
        fields = [
            "id",
            "from_status",
            "to_status",
            "outcome",
            "note",
            "proposed_by",
            "proposed_for_city",
            "waiting_for_city",
            "state",
            "decided_by",
            "decided_at",
            "reason",
            "override",
            "created_at",
        ]
        read_only_fields = fields

    def get_waiting_for_city(self, proposal: StepProposal) -> int:
        return proposal.waiting_for_city_id

    def get_reason(self, proposal: StepProposal) -> str:
        return history.step_reason(proposal)


class StepProposeSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(
        choices=[(s, Partnership.Status(s).label) for s in pipeline.CONSENTED],
        help_text="The step proposed: agreed, pilot, scaling, expanded or concluded.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    outcome = serializers.ChoiceField(
        choices=Partnership.Outcome.choices,
        required=False,
        default="",
        help_text="Needed to propose concluding.",
    )


class StepAnswerSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text="Needed to decline.",
    )
    override = serializers.BooleanField(
        required=False, default=False, help_text="An admin answering for the other city."
    )


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
    details_visible = serializers.SerializerMethodField(
        help_text="Whether this user sees the details: reasons, status_reason and the "
        "organizations' notes are empty for users other than the two cities' editors, members "
        "of its supporting organizations and admins."
    )
    pending_step = serializers.SerializerMethodField(
        help_text="The step waiting for the other city's confirmation, or null."
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
            "details_visible",
            "pending_step",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_review_due(self, partnership: Partnership) -> bool:
        return details.review_due(partnership, today=timezone.localdate())

    def get_details_visible(self, partnership: Partnership) -> bool:
        request = self.context.get("request")
        return request is not None and can_see_partnership_details(request.user, partnership)

    def to_representation(self, instance: Partnership) -> dict:
        data = super().to_representation(instance)
        if not data["details_visible"]:
            data["reasons"] = ""
            data["status_reason"] = ""
            for organization in data["organizations"]:
                organization["note"] = ""
        return data

    @extend_schema_field(StepProposalSerializer(allow_null=True))
    def get_pending_step(self, partnership: Partnership) -> dict | None:
        prefetched = getattr(partnership, "pending_steps", None)
        pending = (
            (prefetched[0] if prefetched else None)
            if prefetched is not None
            else (pipeline.pending_step(partnership))
        )
        return StepProposalSerializer(pending).data if pending is not None else None


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
                {"match": _("This match is not between the given donor and recipient.")}
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
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Admins only: move to agreed or a later stage without the cities' "
        "confirmation (recorded in the history).",
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
        pending = StepProposal.objects.filter(state=StepProposal.State.PENDING).select_related(
            "partnership", "proposed_by", "decided_by"
        )
        return (
            Partnership.objects.for_list()
            .prefetch_related(
                Prefetch("organization_links", queryset=links),
                Prefetch("step_proposals", queryset=pending, to_attr="pending_steps"),
            )
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
        override = data.pop("override", False)
        # Details and the move succeed or fail together.
        with transaction.atomic():
            if data:
                partnership = details.update_partnership(
                    user=request.user, partnership=partnership, **data
                )
            if to_status is not None and to_status != partnership.status:
                try:
                    pipeline.change_status(
                        user=request.user,
                        partnership=partnership,
                        to_status=to_status,
                        reason=reason,
                        outcome=outcome,
                        override=override,
                    )
                except pipeline.ConfirmationNeeded as exc:
                    raise Conflict(exc.message) from exc
        return Response(self._read(partnership.pk))

    @extend_schema(
        methods=["GET"],
        responses={200: StepProposalSerializer(many=True)},
        description="The steps proposed for this partnership, newest first.",
    )
    @extend_schema(
        methods=["POST"],
        request=StepProposeSerializer,
        responses={201: StepProposalSerializer, 403: OpenApiResponse(description="Not an editor.")},
        description="Propose the next step (agreed or later) for your city; an editor of the "
        "other city confirms it. Proposing the step the other city already proposed confirms "
        "it.",
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def steps(self, request: Request, pk: str | None = None) -> Response:
        partnership = self.get_object()
        if request.method == "GET":
            rows = partnership.step_proposals.select_related(
                "partnership", "proposed_by", "decided_by"
            )
            return Response(StepProposalSerializer(rows, many=True).data)
        incoming = StepProposeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        proposal = steps.propose_step(
            user=request.user, partnership=partnership, **incoming.validated_data
        )
        return Response(self._step(proposal.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=StepAnswerSerializer,
        responses={200: StepProposalSerializer},
        description="An editor of the city the step waits for confirms it: the partnership moves.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"steps/(?P<step_pk>[0-9]+)/confirm",
        filterset_class=None,
    )
    def confirm_step(self, request: Request, pk: str | None = None, step_pk: str = "") -> Response:
        proposal, answer = self._answer(request, step_pk)
        steps.confirm_step(user=request.user, proposal=proposal, override=answer["override"])
        return Response(self._step(proposal.pk))

    @extend_schema(
        request=StepAnswerSerializer,
        responses={200: StepProposalSerializer},
        description="An editor of the city the step waits for declines it, with a reason.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"steps/(?P<step_pk>[0-9]+)/decline",
        filterset_class=None,
    )
    def decline_step(self, request: Request, pk: str | None = None, step_pk: str = "") -> Response:
        proposal, answer = self._answer(request, step_pk)
        steps.decline_step(
            user=request.user,
            proposal=proposal,
            reason=answer["reason"],
            override=answer["override"],
        )
        return Response(self._step(proposal.pk))

    @extend_schema(
        request=None,
        responses={200: StepProposalSerializer},
        description="The proposing city withdraws its step.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"steps/(?P<step_pk>[0-9]+)/withdraw",
        filterset_class=None,
    )
    def withdraw_step(self, request: Request, pk: str | None = None, step_pk: str = "") -> Response:
        proposal, _ = self._answer(request, step_pk)
        steps.withdraw_step(user=request.user, proposal=proposal)
        return Response(self._step(proposal.pk))

    def _answer(self, request: Request, step_pk: str) -> tuple[StepProposal, dict]:
        partnership = self.get_object()
        proposal = get_object_or_404(StepProposal, pk=step_pk, partnership=partnership)
        incoming = StepAnswerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return proposal, dict(incoming.validated_data)

    def _step(self, pk: int) -> dict:
        proposal = StepProposal.objects.select_related(
            "partnership", "proposed_by", "decided_by"
        ).get(pk=pk)
        return dict(StepProposalSerializer(proposal).data)

    def _read(self, pk: int) -> dict:
        return PartnershipSerializer(
            self.get_queryset().get(pk=pk), context=self.get_serializer_context()
        ).data
