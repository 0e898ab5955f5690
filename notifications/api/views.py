"""``/api/notifications/``: the signed-in user's own notifications, newest first.

- ``GET``: ``?unread=true`` for the unread ones only; anonymous: 401.
- ``POST /api/notifications/{id}/read/``, ``POST /api/notifications/read-all/``: mark read.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .. import services
from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)
    about = serializers.SerializerMethodField(help_text="The kind and id of the object.")

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "about", "is_read", "created_at"]
        read_only_fields = fields

    def get_about(self, notification: Notification) -> dict | None:
        if notification.content_type_id is None:
            return None
        model = notification.content_type.model if notification.content_type else ""
        return {"type": model, "id": notification.object_id}


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only the unread ones.")
        ]
    )
)
class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Your notifications: what needs you, and what happened to things you follow."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Notification]:
        rows = Notification.objects.filter(recipient_id=self.request.user.pk).select_related(
            "content_type"
        )
        unread = self.request.query_params.get("unread", "")
        if unread not in ("", "true", "false"):
            raise ValidationError(
                {"unread": [gettext("Enter true or false, not %(value)r.") % {"value": unread}]}
            )
        if unread == "true":
            rows = rows.unread()
        return rows

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = self.get_object()
        services.mark_read(user=request.user, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked_read": services.mark_read(user=request.user)})
