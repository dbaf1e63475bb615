from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel: history wrapper, audit context, roles and permission helpers. It knows no app."""

    name = "portal.core"
    label = "core"
    verbose_name = "Portal kernel"

    def ready(self):
        from portal.core import audit, checks  # noqa: F401  (connects the history signal, registers the checks)
