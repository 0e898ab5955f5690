"""Views of the API that belong to no app: the root, health and token sign-in."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db import DatabaseError, connection
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, routers, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

OK = "ok"
DOWN = "unavailable"
DEGRADED = "degraded"
NOT_CONFIGURED = "not configured"
SERVICE_STATES = [OK, DOWN]
OVERALL_STATES = [OK, DEGRADED, DOWN]


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return DOWN
    return OK


def cache_status() -> str:
    probe = secrets.token_hex(8)
    try:
        cache.set("health-probe", probe, timeout=10)
        return OK if cache.get("health-probe") == probe else DOWN
    except Exception:  # any client error of the cache backend means it is unusable
        return DOWN


def broker_status() -> str:
    if not settings.CELERY_BROKER_URL:
        return NOT_CONFIGURED
    from citymatch.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
    except Exception:  # kombu raises the transport's own errors
        return DOWN
    return OK


health_response = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=OVERALL_STATES),
        "down": serializers.ListField(
            child=serializers.ChoiceField(choices=["database", "cache", "broker"]),
            help_text="The services that do not answer.",
        ),
        "database": serializers.ChoiceField(choices=SERVICE_STATES),
        "cache": serializers.ChoiceField(choices=SERVICE_STATES),
        "broker": serializers.ChoiceField(choices=[OK, DOWN, NOT_CONFIGURED]),
    },
)


class HealthView(APIView):
    """Whether the services CityMatch needs answer.

    200 ``ok`` when all do; 200 ``degraded`` when the cache or the broker does not (pages and
    the API keep working without the cache, and tasks wait in the outbox for the broker);
    503 ``unavailable`` only without the database, which nothing works without.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    # Monitoring polls this often; it must not use up anyone's request budget.
    throttle_classes: list = []

    @extend_schema(
        responses={200: health_response, 503: health_response},
        examples=[
            OpenApiExample(
                "Healthy",
                value={
                    "status": OK,
                    "down": [],
                    "database": OK,
                    "cache": OK,
                    "broker": NOT_CONFIGURED,
                },
                response_only=True,
            ),
            OpenApiExample(
                "Redis down",
                value={
                    "status": DEGRADED,
                    "down": ["cache", "broker"],
                    "database": OK,
                    "cache": DOWN,
                    "broker": DOWN,
                },
                response_only=True,
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        checks = {"database": database_status(), "cache": cache_status(), "broker": broker_status()}
        down = [name for name, state in checks.items() if state == DOWN]
        # Without the cache or the broker CityMatch still serves (degraded); not without the
        # database.
        if "database" in down:
            return Response(
                {"status": DOWN, "down": down, **checks},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"status": DEGRADED if down else OK, "down": down, **checks})


class APIRootView(routers.APIRootView):
    """The CityMatch API: links to every resource (public; the resources say who may read)."""

    permission_classes = [AllowAny]


class LockedOut(exceptions.Throttled):
    default_detail = settings.AXES_COOLOFF_MESSAGE


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (``Authorization: Token <key>``).

    Failed attempts count towards the sign-in lockout (django-axes) per account and per
    client address, as the sign-in page's do: once locked out, a 429 says so.
    """

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong username or password, or one is missing."),
            429: OpenApiResponse(description="Too many failed attempts: locked out for a while."),
        },
        examples=[
            OpenApiExample(
                "Sign in",
                value={"username": "agency-bot", "password": "a long passphrase"},
                request_only=True,
            ),
            OpenApiExample(
                "Token",
                value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"},
                response_only=True,
            ),
        ],
        auth=[],
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        # django-axes marks the request it was given (DRF's, not Django's) when it refused.
        if getattr(request, "axes_locked_out", False):
            raise LockedOut(wait=settings.AXES_COOLOFF_TIME * 3600)
        if not valid:
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        # A sign-in like the page's: the lockout count starts again, last_login moves.
        user_logged_in.send(sender=type(user), request=request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
