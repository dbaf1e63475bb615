from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self):
        from reporting import profile, receivers  # noqa: F401  (signal receivers; the profile's system check)
        from reporting.references import register

        register()  # how reporting records are named in a refused delete of a user
