"""API of the catalogue: ``/api/best-practices/`` (API.md) and its curation actions."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from toolkit.api.exceptions import Conflict
from toolkit.api.mixins import CSVExportMixin
from toolkit.api.parsers import JSONParser

from .. import services
from ..filtersets import BestPracticeFilterSet
from ..models import BestPractice
from ..permissions import can_edit
from ..querysets import BestPracticeQuerySet
from .serializers import BestPracticeSerializer, FlatPracticeSerializer, WorkflowSerializer

# What a queryset yields (practices, or values() rows), passed through filtering unchanged.
Row = TypeVar("Row")
# The curation actions below: their permissions are the services' business.
WORKFLOW_ACTIONS = frozenset({"submit", "publish", "send_back", "archive"})
WORKFLOW_SCHEMA = extend_schema(
    request=WorkflowSerializer,
    responses={
        200: BestPracticeSerializer,
        400: OpenApiResponse(description="Checklist incomplete (publish) or no comment."),
        403: OpenApiResponse(description="Not allowed for this user."),
        409: OpenApiResponse(description="Not allowed from the practice's status."),
    },
)


class PracticePermission(BasePermission):
    """Reading is public (the queryset hides what a user may not see: 404); writing needs a
    signed-in user; changing a practice is for its author while a draft, and for curators."""

    public_reads = True  # the schema says so (toolkit.api.schema.AutoSchema)

    message = _("Only its author (while it is a draft) and curators may change this practice.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        return True

    def has_object_permission(self, request: Request, view: APIView, obj: BestPractice) -> bool:
        if request.method in SAFE_METHODS or getattr(view, "action", None) in WORKFLOW_ACTIONS:
            # Workflow actions check their own rules in the services (403 from there).
            return True
        return can_edit(request.user, obj)


@extend_schema_view(
    list=extend_schema(
        description="Published practices (public). With `status`, curators see practices of "
        "that status and others their own. Filters as in API.md; `q` ranks best matches first."
    ),
    create=extend_schema(
        description="Submit a practice (any signed-in user); it starts as a draft. Nested "
        "steps, evidence, outcomes, lessons and partners are written with it."
    ),
    partial_update=extend_schema(
        description="Change a practice (its author while a draft; curators). A nested list "
        "given replaces the stored one; a list left out is kept."
    ),
    update=extend_schema(description="Replace a practice (its author while a draft; curators)."),
    destroy=extend_schema(description="Delete a practice (its author while a draft; curators)."),
)
class BestPracticeViewSet(CSVExportMixin, viewsets.ModelViewSet[BestPractice]):
    """The best-practice catalogue: what cities did, step by step, with evidence and lessons."""

    serializer_class = BestPracticeSerializer
    filterset_class = BestPracticeFilterSet
    permission_classes = [PracticePermission]
    # Steps, evidence and partners nest: only JSON writes them (a form body cannot).
    parser_classes = [JSONParser]
    csv_filename = "best-practices"

    def get_queryset(self) -> BestPracticeQuerySet:
        queryset = BestPractice.objects.for_list()
        if self.action == "list":
            # The FilterSet decides what a list shows (published, or ?status= as allowed).
            return queryset
        return queryset.visible_to(self.request.user)

    def filter_queryset(self, queryset: QuerySet[BestPractice, Row]) -> QuerySet[BestPractice, Row]:
        # Filters (and their "published unless ?status=" default) apply to lists only; a
        # single practice is found among those the user may see.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self) -> type[BaseSerializer[BestPractice]]:
        if self.action == "list" and self.wants_csv():
            return FlatPracticeSerializer
        return super().get_serializer_class()

    def perform_destroy(self, instance: BestPractice) -> None:
        services.delete_practice(practice=instance, user=self.request.user)

    def _respond(self, practice: BestPractice, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=practice.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    # Writes go through the services (not the serializer's save), and the answer is the
    # practice read afresh, with the rows the services wrote.
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = BestPracticeSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        practice = services.create_practice(user=request.user, content=serializer.to_content())
        return self._respond(practice, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        practice = self.get_object()
        serializer = BestPracticeSerializer(
            practice,
            data=request.data,
            partial=kwargs.pop("partial", False),
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        practice = services.update_practice(
            practice=practice, user=request.user, content=serializer.to_content()
        )
        return self._respond(practice)

    def _workflow(self, request: Request, step: services.WorkflowStep) -> Response:
        practice = self.get_object()
        form = WorkflowSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        comment = form.validated_data["comment"]
        try:
            if step is services.publish_practice:
                practice = services.publish_practice(
                    practice=practice,
                    user=request.user,
                    comment=comment,
                    override=form.validated_data["override"],
                )
            else:
                practice = step(practice=practice, user=request.user, comment=comment)
        except services.ChecklistIncomplete as exc:
            return Response(
                {"detail": exc.message, "checklist": exc.missing},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except services.WorkflowError as exc:
            raise Conflict(exc.message) from exc
        return self._respond(practice)

    @WORKFLOW_SCHEMA
    @action(detail=True, methods=["post"], filterset_class=None)
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """The author asks the curators to review a draft."""
        return self._workflow(request, services.submit_practice)

    @WORKFLOW_SCHEMA
    @action(detail=True, methods=["post"], filterset_class=None)
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """Curators: publish a practice whose checklist is complete."""
        return self._workflow(request, services.publish_practice)

    @WORKFLOW_SCHEMA
    @action(detail=True, methods=["post"], url_path="send-back", filterset_class=None)
    def send_back(self, request: Request, pk: str | None = None) -> Response:
        """Curators: return a practice to its author as a draft, with a comment."""
        return self._workflow(request, services.send_back_practice)

    @WORKFLOW_SCHEMA
    @action(detail=True, methods=["post"], filterset_class=None)
    def archive(self, request: Request, pk: str | None = None) -> Response:
        """Curators: withdraw a practice from the catalogue and from scoring."""
        return self._workflow(request, services.archive_practice)
