from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitiesConfig(AppConfig):
    name = "cities"
    verbose_name = _("Cities and taxonomies")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .views import restore_saved_language

        user_logged_in.connect(restore_saved_language, dispatch_uid="cities-restore-language")
