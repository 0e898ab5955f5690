from django.apps import AppConfig


class PartnershipsConfig(AppConfig):
    name = "partnerships"
    verbose_name = "Partnerships"

    def ready(self) -> None:
        from matching.inputs import register_cooperation_source

        from .services.scoring import PartnershipCooperation

        register_cooperation_source(PartnershipCooperation())
