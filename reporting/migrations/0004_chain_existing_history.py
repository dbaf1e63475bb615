"""Chain every history row written before the hash chain existed (reference data, earlier writes), table by table
in history id order, and record each table's chain head. Runs after the chain fields exist on every history table
of every app. Reversing blanks the links and forgets the heads."""

from django.db import migrations

from portal.core import auditchain


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_chainhead"),
        ("inventory", "0005_history_chain"),
        ("incidents", "0004_history_chain"),
        ("reporting", "0003_history_chain"),
    ]

    operations = [migrations.RunPython(auditchain.rechain, auditchain.unchain)]
