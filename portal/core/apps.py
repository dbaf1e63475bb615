from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel: history wrapper, audit context, roles, confidential fields and permission helpers. It knows no
    app."""

    name = "portal.core"
    label = "core"
    verbose_name = "Portal kernel"

    def ready(self):
        # audit connects the history signal; checks registers the checks of the confidential fields
        from portal.core import audit, checks  # noqa: F401
