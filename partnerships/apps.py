from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnershipsConfig(AppConfig):
    name = "partnerships"
    verbose_name = _("Partnerships")

    def ready(self) -> None:
        from cities.services import saved_language
        from matching.inputs import register_cooperation_source
        from notifications.languages import register_language_source

        from .services.scoring import PartnershipCooperation

        register_cooperation_source(PartnershipCooperation())
        # Notifications and e-mails about cooperation reach each editor in their language.
        register_language_source(saved_language)
