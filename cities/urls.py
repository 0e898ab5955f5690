from django.urls import path

from . import views

# The city page and map show matches, so partnerships.urls serves them under /cities/ too.
urlpatterns = [
    path("cities/", views.city_list, name="city-list"),
    path("cities/<slug:slug>/edit/", views.city_edit, name="city-edit"),
]
