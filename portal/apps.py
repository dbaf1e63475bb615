from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The roof: settings, urls, the site shell and the commands that know every app (seed_demo)."""

    name = "portal"
    verbose_name = "Portal"
