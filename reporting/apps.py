from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self):
        from reporting import receivers  # noqa: F401  (connects the signal receivers)
        from reporting.references import register

        register()  # how reporting records are named in a refused delete of a user
