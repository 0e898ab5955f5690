from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("CityMatch administration")
admin.site.site_title = _("CityMatch admin")

# Under /api/ errors are JSON; elsewhere the site's pages.
handler400 = "toolkit.errors.bad_request"
handler403 = "toolkit.errors.permission_denied"
handler404 = "toolkit.errors.page_not_found"
handler500 = "toolkit.errors.server_error"


def _when_mail_is_configured(view):
    """Password reset sends an e-mail: without a real mail backend its pages do not exist."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.PASSWORD_RESET_ENABLED:
            raise Http404("Password reset is not available: no e-mail is configured.")
        return view(request, *args, **kwargs)

    return wrapped


class LoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "password_reset_enabled": (settings.PASSWORD_RESET_ENABLED),
        }


password_reset_urls = [
    path(
        "password_reset/",
        _when_mail_is_configured(auth_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        _when_mail_is_configured(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        _when_mail_is_configured(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        _when_mail_is_configured(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]

accounts_urls = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    *password_reset_urls,
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("citymatch.api.urls")),
    path("accounts/", include(accounts_urls)),
    path("practices/", include("bestpractices.urls")),
    path("", include("notifications.urls")),
    path("", include("partnerships.urls")),
    path("", include("matching.urls")),
    path("", include("cities.urls")),
]
