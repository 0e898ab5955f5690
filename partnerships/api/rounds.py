"""Programme rounds in the API: ``/api/programmes/{slug}/rounds/`` and its actions.

- ``GET``: any signed-in user sees a programme's rounds; in a round's detail the agency (its
  organization's members) and admins see every pair and left-out recipient, a city's editors
  those of their cities. ``?format=csv`` on a round exports it.
- ``POST`` (list): the agency opens a round. ``POST .../{id}/solve/``, ``.../decisions/``
  (lock, rule_out, clear a pair), ``.../propose/``: the agency. ``.../capacities/``: the agency
  or the donor's editors. ``.../applications/``: a member recipient's editors, or the agency.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from cities.api.serializers import CitySummarySerializer
from cities.models import City, PolicyArea
from toolkit.api.renderers import CSVRenderer
from toolkit.csv import csv_lines, csv_response

from ..models import Programme, Round, RoundDecision, RoundPair
from ..services import rounds as service

NOT_AGENCY = OpenApiResponse(description="Not the programme's agency (nor an admin).")


class RoundSerializer(serializers.ModelSerializer):
    programme: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    policy_areas = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        queryset=PolicyArea.objects.all(),
        required=False,
        help_text="Codes of the areas the round funds; none funds every area.",
    )

    class Meta:
        model = Round
        fields = [
            "id",
            "programme",
            "title",
            "opens_on",
            "closes_on",
            "budget_usd",
            "policy_areas",
            "expected_cost_usd",
            "costing",
            "max_partners",
            "state",
            "solved_at",
        ]
        read_only_fields = ["id", "programme", "state", "solved_at"]


class CapacitySerializer(serializers.Serializer):
    donor = CitySummarySerializer()
    capacity = serializers.IntegerField()


class DecisionSerializer(serializers.Serializer):
    donor = serializers.IntegerField(source="donor_id")
    recipient = serializers.IntegerField(source="recipient_id")
    decision = serializers.ChoiceField(source="kind", choices=RoundDecision.Kind.choices)


class ChosenPairSerializer(serializers.Serializer):
    donor = CitySummarySerializer()
    recipient = CitySummarySerializer()
    score = serializers.FloatField()
    cost_usd = serializers.IntegerField()
    locked = serializers.BooleanField()
    areas = serializers.ListField(child=serializers.CharField())
    components = serializers.DictField(child=serializers.FloatField())
    scored_now = serializers.BooleanField(help_text="Scored on the fly: the run does not store it.")
    partnership = serializers.IntegerField(allow_null=True, help_text="Id once proposed.")


class RemedySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["capacity", "budget"])
    donor = serializers.IntegerField(allow_null=True)
    capacity = serializers.IntegerField(allow_null=True)
    budget_usd = serializers.IntegerField(allow_null=True)
    least = serializers.BooleanField(help_text="No smaller change of this kind includes it.")
    message = serializers.CharField()


class LeftOutSerializer(serializers.Serializer):
    recipient = serializers.IntegerField()
    name = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    donors = serializers.ListField(child=serializers.IntegerField(), help_text="Donors named.")
    message = serializers.CharField()
    remedies = RemedySerializer(many=True)


class InfeasibleSerializer(serializers.Serializer):
    constraint = serializers.CharField()
    pairs = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    message = serializers.CharField()


class TotalsSerializer(serializers.Serializer):
    total_score = serializers.FloatField()
    total_cost_usd = serializers.IntegerField()
    pairs = serializers.IntegerField()


class SolutionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["optimal", "infeasible"])
    optimal = TotalsSerializer()
    stable = TotalsSerializer()
    pairs = ChosenPairSerializer(many=True, help_text="The optimal assignment.")
    stable_pairs = ChosenPairSerializer(many=True, help_text="The stable assignment.")
    only_optimal = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField())
    )
    only_stable = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField())
    )
    left_out = LeftOutSerializer(many=True)
    remedies_complete = serializers.BooleanField(
        help_text="False when remedies were searched briefly (solve with thorough for all)."
    )
    infeasible = InfeasibleSerializer(many=True)


class RoundDetailSerializer(RoundSerializer):
    capacities = CapacitySerializer(many=True, read_only=True, source="detail_capacities")
    applicants = CitySummarySerializer(many=True, read_only=True, source="detail_applicants")
    decisions = DecisionSerializer(
        many=True, read_only=True, source="detail_decisions", help_text="The agency only."
    )
    solution = SolutionSerializer(read_only=True, allow_null=True, source="detail_solution")
    can_manage = serializers.BooleanField(read_only=True, source="detail_can_manage")

    class Meta(RoundSerializer.Meta):
        fields = [
            *RoundSerializer.Meta.fields,
            "capacities",
            "applicants",
            "decisions",
            "solution",
            "can_manage",
        ]


class CapacityInputSerializer(serializers.Serializer):
    donor = serializers.PrimaryKeyRelatedField(queryset=City.objects.all())
    capacity = serializers.IntegerField(min_value=0, max_value=service.MAX_CAPACITY)


class ApplicationInputSerializer(serializers.Serializer):
    recipient = serializers.PrimaryKeyRelatedField(queryset=City.objects.all())


class DecisionInputSerializer(serializers.Serializer):
    donor = serializers.PrimaryKeyRelatedField(queryset=City.objects.all())
    recipient = serializers.PrimaryKeyRelatedField(queryset=City.objects.all())
    decision = serializers.ChoiceField(choices=service.DECISIONS)


class SolveInputSerializer(serializers.Serializer):
    thorough = serializers.BooleanField(
        default=False,
        help_text="Search every remedy of the left-out recipients, however long it takes.",
    )


class ProposeInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=RoundPair.Method.values, default="optimal")


class ProposedSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.IntegerField(), help_text="New partnerships.")
    existing = serializers.IntegerField(help_text="Pairs proposed before, or already partners.")


def _pair(row: RoundPair) -> dict[str, Any]:
    return {
        "donor": row.donor,
        "recipient": row.recipient,
        "score": row.score,
        "cost_usd": row.cost_usd,
        "locked": row.locked,
        "areas": row.areas,
        "components": row.components,
        "scored_now": not row.stored,
        "partnership": row.partnership_id,
    }


def round_detail(user, round_: Round) -> Round:
    """The round with everything its detail shows attached (``RoundDetailSerializer``)."""
    manager = service.can_manage(user, round_.programme)
    detail: Any = round_
    detail.detail_can_manage = manager
    detail.detail_capacities = [
        {"donor": row.donor, "capacity": row.capacity}
        for row in round_.capacities.select_related("donor").order_by("donor__name")
    ]
    detail.detail_applicants = [
        row.recipient
        for row in round_.applications.select_related("recipient").order_by("recipient__name")
    ]
    detail.detail_decisions = list(round_.decisions.all()) if manager else []
    detail.detail_solution = _solution(user, round_, manager)
    return round_


def _solution(user, round_: Round, manager: bool) -> dict[str, Any] | None:
    solution = round_.solution or {}
    if not round_.solved_at:
        return None
    names = service.city_names(round_)
    rows = list(
        RoundPair.objects.filter(round=round_)
        .select_related("donor", "recipient")
        .order_by("-score", "donor__name", "recipient__name")
    )
    mine = service.visible_city_ids(user, round_)
    rows = [r for r in rows if mine is None or r.donor_id in mine or r.recipient_id in mine]
    left_out = service.explained_left_out(user, round_, names)
    return {
        "status": solution.get("status"),
        "optimal": solution.get("optimal"),
        "stable": solution.get("stable"),
        "pairs": [_pair(r) for r in rows if r.method == RoundPair.Method.OPTIMAL],
        "stable_pairs": [_pair(r) for r in rows if r.method == RoundPair.Method.STABLE],
        "only_optimal": solution.get("only_optimal", []) if manager else [],
        "only_stable": solution.get("only_stable", []) if manager else [],
        "remedies_complete": solution.get("remedies_complete", True),
        "left_out": [
            {
                **entry,
                "remedies": [
                    {**remedy, "message": message}
                    for remedy, message in zip(
                        entry["remedies"], entry["remedy_messages"], strict=True
                    )
                ],
            }
            for entry in left_out
        ],
        "infeasible": [
            {"constraint": reason["constraint"], "pairs": reason["pairs"], "message": message}
            for reason, message in zip(
                solution.get("infeasible", []),
                service.infeasible_messages(round_, names),
                strict=True,
            )
        ]
        if manager
        else [],
    }


@extend_schema(
    parameters=[
        OpenApiParameter(
            "programme_slug", str, OpenApiParameter.PATH, description="Programme slug."
        )
    ]
)
class RoundViewSet(viewsets.GenericViewSet):
    """A programme's rounds: many cities paired at once within capacities and the budget."""

    serializer_class = RoundSerializer
    permission_classes = [IsAuthenticated]
    renderer_classes: Sequence[type[BaseRenderer]] = [
        *cast("Sequence[type[BaseRenderer]]", api_settings.DEFAULT_RENDERER_CLASSES),
        CSVRenderer,
    ]
    queryset = Round.objects.none()

    def get_renderers(self) -> list[BaseRenderer]:
        """CSV only for a round's detail: lists and actions answer JSON."""
        renderers = super().get_renderers()
        if getattr(self, "action", None) == "retrieve":
            return renderers
        return [r for r in renderers if not isinstance(r, CSVRenderer)]

    def handle_exception(self, exc: Exception) -> Response:
        # An error is JSON, also when the CSV file was asked for.
        if isinstance(getattr(self.request, "accepted_renderer", None), CSVRenderer):
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def programme(self) -> Programme:
        found = getattr(self, "_programme", None)
        if found is None:
            found = get_object_or_404(
                Programme.objects.select_related("organization"),
                slug=self.kwargs["programme_slug"],
            )
            self._programme = found
        return found

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Round.objects.none()
        return (
            Round.objects.filter(programme=self.programme())
            .select_related("programme__organization")
            .prefetch_related("policy_areas")
        )

    def _detail(self, round_: Round, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=round_.pk)
        return Response(
            RoundDetailSerializer(round_detail(self.request.user, fresh)).data, status=code
        )

    @extend_schema(
        responses={200: RoundSerializer(many=True)},
        description="The programme's rounds, newest first.",
    )
    def list(self, request: Request, slug: str | None = None, **kwargs) -> Response:
        rounds = self.get_queryset().order_by("-opens_on", "-id")
        return Response(RoundSerializer(rounds, many=True).data)

    @extend_schema(
        request=RoundSerializer,
        responses={201: RoundDetailSerializer, 403: NOT_AGENCY},
        description="Open a round (the programme's agency, and admins). Member donors get "
        "their default capacity from their staff and experience.",
    )
    def create(self, request: Request, **kwargs) -> Response:
        incoming = RoundSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        fields = dict(incoming.validated_data)
        areas = fields.pop("policy_areas", [])
        round_ = service.open_round(
            user=request.user, programme=self.programme(), policy_areas=areas, **fields
        )
        return self._detail(round_, status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: RoundDetailSerializer},
        description="The round: its state, the kept solution (pairs with their score "
        "breakdown, cost and areas; totals of the optimal and stable methods and the pairs "
        "where they differ) and the left-out recipients with reasons and remedies. "
        "?format=csv exports it.",
    )
    def retrieve(self, request: Request, pk: str | None = None, **kwargs) -> HttpResponseBase:
        round_ = get_object_or_404(self.get_queryset(), pk=pk)
        if isinstance(request.accepted_renderer, CSVRenderer):
            stamp = timezone.localdate().isoformat()
            return csv_response(
                csv_lines(service.CSV_HEADER, service.csv_rows(request.user, round_)),
                filename=f"citymatch-round-{round_.pk}-{stamp}.csv",
            )
        return self._detail(round_)

    @extend_schema(
        request=SolveInputSerializer,
        responses={200: RoundDetailSerializer, 403: NOT_AGENCY},
        description="Solve the round again from the current scores, capacities and decisions. "
        "Remedies are searched for a fraction of a second unless ``thorough``.",
    )
    @action(detail=True, methods=["post"])
    def solve(self, request: Request, pk: str | None = None, **kwargs) -> Response:
        round_ = get_object_or_404(self.get_queryset(), pk=pk)
        incoming = SolveInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        service.solve(user=request.user, round_=round_, **incoming.validated_data)
        return self._detail(round_)

    @extend_schema(
        request=DecisionInputSerializer,
        responses={200: RoundDetailSerializer, 403: NOT_AGENCY},
        description="Lock a pair in, rule it out, or clear the decision (solve again to see "
        "its effect). A swap is a clear and a lock.",
    )
    @action(detail=True, methods=["post"])
    def decisions(self, request: Request, pk: str | None = None, **kwargs) -> Response:
        round_ = get_object_or_404(self.get_queryset(), pk=pk)
        incoming = DecisionInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        service.decide(user=request.user, round_=round_, **incoming.validated_data)
        return self._detail(round_)

    @extend_schema(
        request=CapacityInputSerializer,
        responses={200: RoundDetailSerializer, 403: NOT_AGENCY},
        description="Set a member donor's capacity in the round (the agency, or the donor's "
        "editors).",
    )
    @action(detail=True, methods=["post"])
    def capacities(self, request: Request, pk: str | None = None, **kwargs) -> Response:
        round_ = get_object_or_404(self.get_queryset(), pk=pk)
        incoming = CapacityInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        service.set_capacity(user=request.user, round_=round_, **incoming.validated_data)
        return self._detail(round_)

    @extend_schema(
        request=ApplicationInputSerializer,
        responses={201: RoundDetailSerializer, 200: RoundDetailSerializer, 403: NOT_AGENCY},
        description="A member recipient applies (its editors, or the agency); 200 when it "
        "had applied already.",
    )
    @action(detail=True, methods=["post"])
    def applications(self, request: Request, pk: str | None = None, **kwargs) -> Response:
        round_ = get_object_or_404(self.get_queryset(), pk=pk)
        incoming = ApplicationInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        _application, created = service.apply_to_round(
            user=request.user, round_=round_, **incoming.validated_data
        )
        return self._detail(round_, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        request=ProposeInputSerializer,
        responses={200: ProposedSerializer, 403: NOT_AGENCY},
        description="Propose the partnerships of the chosen pairs; both cities' editors are "
        "told and agree through the two-sided steps. Proposing again creates nothing new.",
    )
    @action(detail=True, methods=["post"])
    def propose(self, request: Request, pk: str | None = None, **kwargs) -> Response:
        round_ = get_object_or_404(self.get_queryset(), pk=pk)
        incoming = ProposeInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        proposed = service.propose(user=request.user, round_=round_, **incoming.validated_data)
        return Response(
            ProposedSerializer(
                {"created": [p.pk for p in proposed.created], "existing": proposed.existing}
            ).data
        )
