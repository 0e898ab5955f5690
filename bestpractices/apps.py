from django.apps import AppConfig


class BestPracticesConfig(AppConfig):
    name = "bestpractices"
    verbose_name = "Best-practice catalogue"
