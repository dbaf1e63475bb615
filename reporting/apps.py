from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self):
        from portal.core.scale import register_after_bulk_load
        from reporting import profile, receivers  # noqa: F401  (signal receivers; the profile's system check)
        from reporting.dashboard.summaries import rebuild_after_bulk_load
        from reporting.references import register

        register()  # how reporting records are named in a refused delete of a user
        register_after_bulk_load(rebuild_after_bulk_load)  # the dashboard's summaries (ADR 0012)
