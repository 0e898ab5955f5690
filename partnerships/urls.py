from django.urls import path

from . import views

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
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
]
