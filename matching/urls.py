from django.urls import path

from . import views

# The match browser and match pages show the cooperation around each match: partnerships.urls
# serves them.
urlpatterns = [
    path("cities/<slug:slug>/map/", views.city_map, name="city-map"),
    path("runs/", views.run_list, name="run-list"),
    path("runs/start/", views.run_start, name="run-start"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
]
