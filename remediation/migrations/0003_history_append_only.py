"""PostgreSQL: the ledger's history tables refuse UPDATE, DELETE and TRUNCATE like every chained history table
(ADR 0006). Created empty with the chain fields, they need no re-chaining. Nothing on SQLite."""

from django.db import migrations

from portal.core.auditchain.migrations import drop_append_only_triggers_on, install_append_only_triggers_on

TABLES = ("remediation.HistoricalAffectedRecord", "remediation.HistoricalAffectedRecordImport")


class Migration(migrations.Migration):
    dependencies = [("remediation", "0002_role_permissions"), ("core", "0007_chain_verification_points")]

    operations = [
        migrations.RunPython(install_append_only_triggers_on(*TABLES), drop_append_only_triggers_on(*TABLES)),
    ]
