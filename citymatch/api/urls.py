"""The REST API of API.md: one router for the resources, plus schema, docs, health and tokens."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from bestpractices.api.views import BestPracticeViewSet
from cities.api.views import CityViewSet, OrganizationViewSet, PolicyAreaViewSet, SectorViewSet
from matching.api.views import CityMatchesView, MatchRunViewSet, MatchViewSet
from notifications.api.views import NotificationViewSet
from partnerships.api.rounds import RoundViewSet
from partnerships.api.views import PartnershipViewSet

from .views import APIRootView, HealthView, TokenView

# Names are reversed as "api:<basename>-list"; the namespace keeps "city-detail" and
# "match-detail" free for the web pages.
app_name = "api"

router = DefaultRouter()
router.APIRootView = APIRootView
router.register("policy-areas", PolicyAreaViewSet, basename="policy-area")
router.register("sectors", SectorViewSet, basename="sector")
router.register("cities", CityViewSet, basename="city")
router.register("matches", MatchViewSet, basename="match")
router.register("match-runs", MatchRunViewSet, basename="match-run")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("best-practices", BestPracticeViewSet, basename="best-practice")
router.register("partnerships", PartnershipViewSet, basename="partnership")
router.register("notifications", NotificationViewSet, basename="notification")
router.register(
    r"programmes/(?P<programme_slug>[^/.]+)/rounds", RoundViewSet, basename="programme-round"
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("health/", HealthView.as_view(), name="health"),
    path("auth/token/", TokenView.as_view(), name="token"),
    path("cities/<int:pk>/matches/", CityMatchesView.as_view(), name="city-matches"),
    *router.urls,
]
