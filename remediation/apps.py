from django.apps import AppConfig


class RemediationConfig(AppConfig):
    name = "remediation"
    verbose_name = "Remediation ledger"

    def ready(self):
        from portal.core.references import register_label
        from remediation.models import AffectedRecord, AffectedRecordImport

        # How these records are named when a delete of a user they name is refused (`portal.core.users`).
        for model in (AffectedRecord, AffectedRecordImport):
            register_label(model, "incident__reference", "on incidents")

        # The incident's BLAST figures count the ledger's records (`remediation.figures`, ADR 0015).
        from remediation import figures

        figures.register()
