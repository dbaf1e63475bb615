# The ledger list's indexes (remediation.admin.ledger_list): pages are read in id order under each filter, so the
# indexes of the filters end on the id; the external id's beginning (the list's search) on PostgreSQL.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('remediation', '0004_reviewer_queue'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='affectedrecord',
            name='affected_record_state',
        ),
        migrations.RemoveIndex(
            model_name='affectedrecord',
            name='affected_record_queue',
        ),
        migrations.AddIndex(
            model_name='affectedrecord',
            index=models.Index(fields=['incident', 'state', 'id'], name='affected_record_state'),
        ),
        migrations.AddIndex(
            model_name='affectedrecord',
            index=models.Index(fields=['reviewer', 'state', 'id'], name='affected_record_queue'),
        ),
        migrations.AddIndex(
            model_name='affectedrecord',
            index=models.Index(fields=['incident', 'id'], name='affected_record_incident_id'),
        ),
        migrations.AddIndex(
            model_name='affectedrecord',
            index=models.Index(fields=['reviewer', 'id'], name='affected_record_reviewer_id'),
        ),
        migrations.AddIndex(
            model_name='affectedrecord',
            index=models.Index(fields=['state', 'id'], name='affected_record_state_id'),
        ),
        migrations.AddIndex(
            model_name='affectedrecord',
            index=models.Index(fields=['external_id'], name='affected_record_ext_prefix', opclasses=['varchar_pattern_ops']),
        ),
    ]
