from django.apps import AppConfig


class E911Config(AppConfig):
    name = "e911"
    verbose_name = "E911"
