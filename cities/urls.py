from django.urls import path

from . import views

# The city page shows matches and cooperation: partnerships.urls serves it; matching.urls the map.
urlpatterns = [
    path("cities/", views.city_list, name="city-list"),
    path("language/", views.set_language, name="set-language"),
    path("cities/<slug:slug>/edit/", views.city_edit, name="city-edit"),
]
