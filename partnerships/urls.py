from django.urls import path

from . import views
from .views import cooperation

urlpatterns = [
    path("", views.my_city, name="my-city"),
    path("cities/<slug:slug>/", views.city_detail, name="city-detail"),
    path("cities/<slug:slug>/map/", views.city_map, name="city-map"),
    path("matches/", views.match_list, name="match-list"),
    path("matches/<int:pk>/", views.match_detail, name="match-detail"),
    path("matches/<int:pk>/brief/", views.match_brief, name="match-brief"),
    path("runs/", views.run_list, name="run-list"),
    path("runs/start/", views.run_start, name="run-start"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    # Cooperation: interest, partnerships, projects, programmes.
    path("matches/<int:pk>/interest/", cooperation.interest_send, name="interest-send"),
    path("matches/<int:pk>/partnership/", cooperation.partnership_start, name="partnership-start"),
    path("interest/", cooperation.interest_inbox, name="interest-inbox"),
    path("interest/<int:pk>/accept/", cooperation.interest_accept, name="interest-accept"),
    path("interest/<int:pk>/decline/", cooperation.interest_decline, name="interest-decline"),
    path("partnerships/", cooperation.partnership_list, name="partnership-list"),
    path("partnerships/<int:pk>/", cooperation.partnership_detail, name="partnership-detail"),
    path("partnerships/<int:pk>/edit/", cooperation.partnership_edit, name="partnership-edit"),
    path(
        "partnerships/<int:pk>/status/", cooperation.partnership_status, name="partnership-status"
    ),
    path(
        "partnerships/<int:pk>/review/", cooperation.partnership_review, name="partnership-review"
    ),
    path(
        "partnerships/<int:pk>/organizations/",
        cooperation.partnership_organization,
        name="partnership-organization",
    ),
    path(
        "partnerships/<int:pk>/organizations/<int:link_pk>/remove/",
        cooperation.partnership_organization_remove,
        name="partnership-organization-remove",
    ),
    path(
        "partnerships/<int:pk>/ledger/", cooperation.partnership_ledger, name="partnership-ledger"
    ),
    path(
        "partnerships/<int:partnership_pk>/projects/new/",
        cooperation.project_edit,
        name="project-create",
    ),
    path("projects/<int:pk>/", cooperation.project_detail, name="project-detail"),
    path("projects/<int:pk>/edit/", cooperation.project_edit, name="project-edit"),
    path("projects/<int:pk>/milestones/", cooperation.project_milestone, name="project-milestone"),
    path("projects/<int:pk>/figures/", cooperation.project_figure, name="project-figure"),
    path("projects/<int:pk>/propose/", cooperation.project_propose, name="project-propose"),
    path("milestones/<int:pk>/toggle/", cooperation.milestone_toggle, name="milestone-toggle"),
    path("programmes/", cooperation.programme_list, name="programme-list"),
    path("programmes/<slug:slug>/", cooperation.programme_detail, name="programme-detail"),
    path("programmes/<slug:slug>/apply/", cooperation.programme_apply, name="programme-apply"),
]
