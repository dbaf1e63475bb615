from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel: history wrapper, audit context, roles, confidential fields and permission helpers. It knows no
    app."""

    name = "portal.core"
    label = "core"
    verbose_name = "Portal kernel"

    def ready(self):
        # audit connects the history signal; checks registers the system checks (confidential fields, deployment)
        from portal.core import api_inputs, audit, checks  # noqa: F401
        from portal.core.models import ApiToken
        from portal.core.references import register_label

        register_label(ApiToken, "name")  # how a user's API tokens are named when a delete of the user is refused
        api_inputs.install()  # serializers build range-checked datetime/date fields and bounded JSON fields
        _people_by_their_names()


def _people_by_their_names():
    """A user reads as the person's full name wherever the portal names one (lists, history, choices), the
    username only when no name is set (`portal.core.display.person`)."""
    from django.contrib.auth import get_user_model

    from portal.core.display import person

    get_user_model().__str__ = person
