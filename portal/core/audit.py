"""Where a write came from (admin, API, command, web page, service), carried into every history row.

The source lives in a context variable: the middleware sets it per request from the URL, commands set it with
`audit_source("command")`. The `pre_create_historical_record` signal copies it onto the history row, so the
audit pages can say "changed by alice through the API" without each service passing it along.
"""

import contextvars
from contextlib import contextmanager

from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record


class Source:
    ADMIN = "admin"
    API = "api"
    WEB = "web"
    COMMAND = "command"
    MIGRATION = "migration"
    SERVICE = "service"

    CHOICES = [
        (ADMIN, "Admin"),
        (API, "API"),
        (WEB, "Web page"),
        (COMMAND, "Command"),
        (MIGRATION, "Migration"),
        (SERVICE, "Service"),
    ]


_current_source = contextvars.ContextVar("audit_source", default=Source.SERVICE)


def current_source() -> str:
    return _current_source.get()


@contextmanager
def audit_source(source: str):
    token = _current_source.set(source)
    try:
        yield
    finally:
        _current_source.reset(token)


def source_for_path(path: str) -> str:
    if path.startswith("/admin/"):
        return Source.ADMIN
    if path.startswith("/api/"):
        return Source.API
    return Source.WEB


class AuditSourceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_source(source_for_path(request.path_info)):
            return self.get_response(request)


@receiver(pre_create_historical_record)
def _stamp_history_source(sender, history_instance, **kwargs):
    if hasattr(history_instance, "history_source"):
        history_instance.history_source = current_source()
