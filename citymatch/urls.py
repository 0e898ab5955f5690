from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("CityMatch administration")
admin.site.site_title = _("CityMatch admin")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("citymatch.api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("practices/", include("bestpractices.urls")),
    path("", include("partnerships.urls")),
    path("", include("matching.urls")),
    path("", include("cities.urls")),
]
