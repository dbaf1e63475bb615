"""PostgreSQL: every chained history table refuses UPDATE and DELETE (a BEFORE UPDATE OR DELETE row trigger
raising "history rows are append-only"). Nothing on SQLite. Reversing drops the triggers and the function."""

from django.db import migrations

from portal.core import auditchain


class Migration(migrations.Migration):
    dependencies = [("reporting", "0004_chain_existing_history")]

    operations = [
        migrations.RunPython(auditchain.install_append_only_triggers, auditchain.drop_append_only_triggers),
    ]
