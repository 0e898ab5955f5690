from django.urls import path

from . import views

urlpatterns = [
    path("", views.practice_list, name="practice-list"),
    path("new/", views.practice_create, name="practice-create"),
    path("<slug:slug>/", views.practice_detail, name="practice-detail"),
    path("<slug:slug>/edit/", views.practice_edit, name="practice-edit"),
    path("<slug:slug>/delete/", views.practice_delete, name="practice-delete"),
    path("<slug:slug>/workflow/", views.practice_workflow, name="practice-workflow"),
    path("<slug:slug>/revisions/", views.practice_revisions, name="practice-revisions"),
    path(
        "<slug:slug>/revisions/compare/",
        views.practice_revision_compare,
        name="practice-revision-compare",
    ),
    path(
        "<slug:slug>/revisions/<int:number>/restore/",
        views.practice_revision_restore,
        name="practice-revision-restore",
    ),
]
