from django.apps import AppConfig


class PartnershipsConfig(AppConfig):
    name = "partnerships"
    verbose_name = "Matching and partnerships"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects signal handlers)
