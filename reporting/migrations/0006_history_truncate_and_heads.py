"""PostgreSQL: every chained history table also refuses TRUNCATE (a statement trigger), and the append-only chain
heads (`core.0004`) refuse UPDATE, DELETE and TRUNCATE like the history. Nothing on SQLite. Reversing drops them."""

from django.db import migrations

from portal.core import auditchain


class Migration(migrations.Migration):
    dependencies = [("reporting", "0005_history_append_only"), ("core", "0004_append_only_chain_heads")]

    operations = [
        migrations.RunPython(auditchain.install_append_only_triggers, auditchain.drop_append_only_triggers),
    ]
