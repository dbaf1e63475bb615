"""Recovery validations carry a `version`, so a sign-off names the version the signer saw.

The column is not null (default 1) on the history table too, which changes the canonical serialization of the
history rows already written: the migration re-seals the chains with `auditchain.rechain` (ADR 0006). Run
`verify_audit_trail` before migrating: re-sealing makes whatever the tables hold the new truth."""

from django.db import migrations, models

from portal.core import auditchain


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_chainhead'),
        ('incidents', '0004_history_chain'),
    ]

    operations = [
        # Reversed last: after the columns are gone, re-seal again.
        migrations.RunPython(migrations.RunPython.noop, auditchain.rechain),
        migrations.AddField(
            model_name='historicalrecoveryvalidation',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name='recoveryvalidation',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.RunPython(auditchain.rechain, migrations.RunPython.noop),
    ]
