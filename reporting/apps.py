from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self):
        from reporting import receivers  # noqa: F401  (connects the signal receivers)
