from django.urls import path

from . import views

urlpatterns = [
    path("", views.my_city, name="my-city"),
    path("cities/<slug:slug>/", views.city_detail, name="city-detail"),
    path("matches/", views.match_list, name="match-list"),
    # Addresses of an earlier release, by row id: they redirect to the pair while the row is
    # kept. Listed before the pair's, which a number followed by "brief" would also match.
    path("matches/<int:pk>/", views.match_moved, name="match-moved"),
    *(
        path(f"matches/<int:pk>/{page}/", views.match_moved, {"page": page})
        for page in ("brief", "interest", "partnership")
    ),
    # A match is named by its two cities: row ids change with every rescoring and run.
    path("matches/<slug:donor>/<slug:recipient>/", views.match_detail, name="match-detail"),
    path("matches/<slug:donor>/<slug:recipient>/brief/", views.match_brief, name="match-brief"),
    path(
        "matches/<slug:donor>/<slug:recipient>/interest/",
        views.interest_send,
        name="interest-send",
    ),
    path(
        "matches/<slug:donor>/<slug:recipient>/partnership/",
        views.partnership_start,
        name="partnership-start",
    ),
    path("interest/", views.interest_inbox, name="interest-inbox"),
    path("interest/<int:pk>/accept/", views.interest_accept, name="interest-accept"),
    path("interest/<int:pk>/decline/", views.interest_decline, name="interest-decline"),
    path("partnerships/", views.partnership_list, name="partnership-list"),
    path("partnerships/<int:pk>/", views.partnership_detail, name="partnership-detail"),
    path("partnerships/<int:pk>/edit/", views.partnership_edit, name="partnership-edit"),
    path("partnerships/<int:pk>/status/", views.partnership_status, name="partnership-status"),
    path(
        "partnerships/<int:pk>/steps/<int:step_pk>/confirm/",
        views.step_confirm,
        name="partnership-step-confirm",
    ),
    path(
        "partnerships/<int:pk>/steps/<int:step_pk>/decline/",
        views.step_decline,
        name="partnership-step-decline",
    ),
    path(
        "partnerships/<int:pk>/steps/<int:step_pk>/withdraw/",
        views.step_withdraw,
        name="partnership-step-withdraw",
    ),
    path("partnerships/<int:pk>/review/", views.partnership_review, name="partnership-review"),
    path(
        "partnerships/<int:pk>/organizations/",
        views.partnership_organization,
        name="partnership-organization",
    ),
    path(
        "partnerships/<int:pk>/organizations/<int:link_pk>/remove/",
        views.partnership_organization_remove,
        name="partnership-organization-remove",
    ),
    path("partnerships/<int:pk>/ledger/", views.partnership_ledger, name="partnership-ledger"),
    path(
        "partnerships/<int:partnership_pk>/projects/new/",
        views.project_edit,
        name="project-create",
    ),
    path("projects/<int:pk>/", views.project_detail, name="project-detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project-edit"),
    path("projects/<int:pk>/milestones/", views.project_milestone, name="project-milestone"),
    path("projects/<int:pk>/figures/", views.project_figure, name="project-figure"),
    path("projects/<int:pk>/propose/", views.project_propose, name="project-propose"),
    path("milestones/<int:pk>/toggle/", views.milestone_toggle, name="milestone-toggle"),
    path("programmes/", views.programme_list, name="programme-list"),
    path("programmes/<slug:slug>/", views.programme_detail, name="programme-detail"),
    path("programmes/<slug:slug>/apply/", views.programme_apply, name="programme-apply"),
    path("programmes/<slug:slug>/rounds/<int:pk>/", views.round_detail, name="round-detail"),
    *(
        path(f"programmes/<slug:slug>/rounds/<int:pk>/{page}/", view, name=f"round-{page}")
        for page, view in (
            ("solve", views.round_solve),
            ("decide", views.round_decide),
            ("capacity", views.round_capacity),
            ("apply", views.round_apply),
            ("propose", views.round_propose),
        )
    ),
    path(
        "programmes/<slug:slug>/rounds/<int:pk>/export.csv",
        views.round_export,
        name="round-export",
    ),
]
