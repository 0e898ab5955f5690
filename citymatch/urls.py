from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "CityMatch administration"
admin.site.site_title = "CityMatch admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("citymatch.api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("practices/", include("bestpractices.urls")),
    path("", include("notifications.urls")),
    path("", include("partnerships.urls")),
    path("", include("matching.urls")),
    path("", include("cities.urls")),
]
