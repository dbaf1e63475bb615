"""The regulatory facts of the clock's second edition (issue 12): the duties added (GDPR processor, HIPAA media and
business associate, NYDFS extortion payment, SEC delay, EU AI Act Arts. 25 and 111(3), CRA Art. 14, NIS2 Art. 23,
Colorado), local time (the entity's time zone and Member State, the incident's time zone), and the breach's own
facts (GDPR Art. 33(3)(a)) with who confirmed them; an obligation's rule text is unbounded.

The boolean and choice columns are not null (False, "") on the history table too, which changes the canonical
serialization of the history rows already written: the migration re-seals that chain (`auditchain.rechain_only`)
(ADR 0006). Run `verify_audit_trail` before migrating, and take a checkpoint after it."""

import django.db.models.deletion
import reporting.models.facts
from django.conf import settings
from django.db import migrations, models

from portal.core import auditchain

# Only the regulatory facts' history holds values this migration changes (its new not-null columns).
RESEAL = auditchain.rechain_only("reporting.HistoricalRegulatoryFacts")


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_chain_head_resealed'),  # the re-seal marks the heads it records
        ('reporting', '0006_history_truncate_and_heads'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Reversed last: after the columns are gone, re-seal again.
        migrations.RunPython(migrations.RunPython.noop, RESEAL),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='actively_exploited_vulnerability',
            field=models.BooleanField(default=False, verbose_name='actively exploited vulnerability in our product (CRA Art. 14(1))'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='adverse_decision_at',
            field=models.DateTimeField(blank=True, help_text='When the automated decision-making technology made a consequential decision with an adverse outcome (SB 26-189).', null=True),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='algorithmic_discrimination_discovered_at',
            field=models.DateTimeField(blank=True, help_text='When algorithmic discrimination was discovered (SB 24-205; never in force).', null=True),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='breach_facts_confirmed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='breach_facts_confirmed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The compliance officer who last confirmed the breach facts.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='corrective_measure_available_at',
            field=models.DateTimeField(blank=True, help_text='When a corrective or mitigating measure became available (CRA Art. 14(2)(c)).', null=True),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='cra_manufacturer',
            field=models.BooleanField(default=False, verbose_name='manufacturer of a product with digital elements (CRA)'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='data_subject_categories',
            field=models.JSONField(blank=True, default=None, help_text='Values of DataSubjectCategory; empty (null) until established.', null=True, verbose_name='categories of data subjects concerned'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='deemed_provider',
            field=models.BooleanField(default=False, help_text='We are the provider under Art. 25: a product manufacturer placing the system on the market or into service under our own name or trademark (25(3)), or our name, a substantial modification or a changed intended purpose (25(1)).'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='entity_country',
            field=models.CharField(blank=True, help_text="The entity's Member State (ISO 3166-1, e.g. DE): the bank holidays of the DORA relief.", max_length=2, null=True, validators=[reporting.models.facts.validate_country]),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='entity_time_zone',
            field=models.CharField(blank=True, help_text="The entity's time zone, an IANA name such as Europe/Berlin (an offset cannot follow clock changes): its calendar months and years, and the DORA relief's 12:00. Empty: UTC.", max_length=64, null=True, validators=[reporting.models.facts.validate_time_zone]),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='extortion_payment_at',
            field=models.DateTimeField(blank=True, help_text='When an extortion payment was made (NYDFS 500.17(c)).', null=True),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='gdpr_role',
            field=models.CharField(blank=True, choices=[('', 'Not given (read as controller)'), ('controller', 'Controller (notifies the authority, Art. 33(1))'), ('processor', 'Processor (notifies the controller, Art. 33(2))')], max_length=12, verbose_name='role in the processing (GDPR)'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='handling_completed_at',
            field=models.DateTimeField(blank=True, help_text='When the handling of the incident ended (NIS2 Art. 23(4)(e)).', null=True),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='hipaa_role',
            field=models.CharField(blank=True, choices=[('', 'Not given (read as covered entity)'), ('covered_entity', 'Covered entity'), ('business_associate', 'Business associate (notifies the covered entity, 164.410)')], max_length=20, verbose_name='HIPAA role'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='incident_time_zone',
            field=models.CharField(blank=True, help_text="Where the incident was discovered (IANA name): the local date a regime's applies-from date is read against. Empty: the entity's time zone.", max_length=64, null=True, validators=[reporting.models.facts.validate_time_zone]),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='legacy_gpai_model',
            field=models.BooleanField(default=False, help_text='Art. 111(3): its provider complies by 2 August 2027 (Art. 55 reporting from then).', verbose_name='GPAI model placed on the market before 2 August 2025'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='nis2_intermediate_requested_at',
            field=models.DateTimeField(blank=True, help_text='When the CSIRT or authority asked for an intermediate report (Art. 23(4)(c)).', null=True),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='ongoing_at_final_report',
            field=models.BooleanField(default=False, verbose_name='still being handled at the final-report deadline (NIS2 Art. 23(4)(e))'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='personal_data_categories',
            field=models.JSONField(blank=True, default=None, help_text='Values of inventory.PersonalData; empty (null) until established.', null=True, verbose_name='categories of personal data concerned'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='records_concerned',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='approximate number of personal-data records concerned'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='sec_delay_until',
            field=models.DateTimeField(blank=True, help_text='End of the delay the US Attorney General specified (SEC Item 1.05(c)).', null=True),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='service_recipients_affected',
            field=models.BooleanField(default=False, help_text='The significant incident is likely to adversely affect the provision of our services.', verbose_name='service recipients affected (NIS2 Art. 23(1))'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='severe_incident',
            field=models.BooleanField(default=False, verbose_name='severe incident affecting the security of our product (CRA Art. 14(3))'),
        ),
        migrations.AddField(
            model_name='historicalregulatoryfacts',
            name='state_residents_affected',
            field=models.PositiveIntegerField(blank=True, help_text='HIPAA 164.406: the most residents of any one State or jurisdiction affected (more than 500: media notice).', null=True),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='actively_exploited_vulnerability',
            field=models.BooleanField(default=False, verbose_name='actively exploited vulnerability in our product (CRA Art. 14(1))'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='adverse_decision_at',
            field=models.DateTimeField(blank=True, help_text='When the automated decision-making technology made a consequential decision with an adverse outcome (SB 26-189).', null=True),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='algorithmic_discrimination_discovered_at',
            field=models.DateTimeField(blank=True, help_text='When algorithmic discrimination was discovered (SB 24-205; never in force).', null=True),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='breach_facts_confirmed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='breach_facts_confirmed_by',
            field=models.ForeignKey(blank=True, editable=False, help_text='The compliance officer who last confirmed the breach facts.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='corrective_measure_available_at',
            field=models.DateTimeField(blank=True, help_text='When a corrective or mitigating measure became available (CRA Art. 14(2)(c)).', null=True),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='cra_manufacturer',
            field=models.BooleanField(default=False, verbose_name='manufacturer of a product with digital elements (CRA)'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='data_subject_categories',
            field=models.JSONField(blank=True, default=None, help_text='Values of DataSubjectCategory; empty (null) until established.', null=True, verbose_name='categories of data subjects concerned'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='deemed_provider',
            field=models.BooleanField(default=False, help_text='We are the provider under Art. 25: a product manufacturer placing the system on the market or into service under our own name or trademark (25(3)), or our name, a substantial modification or a changed intended purpose (25(1)).'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='entity_country',
            field=models.CharField(blank=True, help_text="The entity's Member State (ISO 3166-1, e.g. DE): the bank holidays of the DORA relief.", max_length=2, null=True, validators=[reporting.models.facts.validate_country]),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='entity_time_zone',
            field=models.CharField(blank=True, help_text="The entity's time zone, an IANA name such as Europe/Berlin (an offset cannot follow clock changes): its calendar months and years, and the DORA relief's 12:00. Empty: UTC.", max_length=64, null=True, validators=[reporting.models.facts.validate_time_zone]),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='extortion_payment_at',
            field=models.DateTimeField(blank=True, help_text='When an extortion payment was made (NYDFS 500.17(c)).', null=True),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='gdpr_role',
            field=models.CharField(blank=True, choices=[('', 'Not given (read as controller)'), ('controller', 'Controller (notifies the authority, Art. 33(1))'), ('processor', 'Processor (notifies the controller, Art. 33(2))')], max_length=12, verbose_name='role in the processing (GDPR)'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='handling_completed_at',
            field=models.DateTimeField(blank=True, help_text='When the handling of the incident ended (NIS2 Art. 23(4)(e)).', null=True),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='hipaa_role',
            field=models.CharField(blank=True, choices=[('', 'Not given (read as covered entity)'), ('covered_entity', 'Covered entity'), ('business_associate', 'Business associate (notifies the covered entity, 164.410)')], max_length=20, verbose_name='HIPAA role'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='incident_time_zone',
            field=models.CharField(blank=True, help_text="Where the incident was discovered (IANA name): the local date a regime's applies-from date is read against. Empty: the entity's time zone.", max_length=64, null=True, validators=[reporting.models.facts.validate_time_zone]),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='legacy_gpai_model',
            field=models.BooleanField(default=False, help_text='Art. 111(3): its provider complies by 2 August 2027 (Art. 55 reporting from then).', verbose_name='GPAI model placed on the market before 2 August 2025'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='nis2_intermediate_requested_at',
            field=models.DateTimeField(blank=True, help_text='When the CSIRT or authority asked for an intermediate report (Art. 23(4)(c)).', null=True),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='ongoing_at_final_report',
            field=models.BooleanField(default=False, verbose_name='still being handled at the final-report deadline (NIS2 Art. 23(4)(e))'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='personal_data_categories',
            field=models.JSONField(blank=True, default=None, help_text='Values of inventory.PersonalData; empty (null) until established.', null=True, verbose_name='categories of personal data concerned'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='records_concerned',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='approximate number of personal-data records concerned'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='sec_delay_until',
            field=models.DateTimeField(blank=True, help_text='End of the delay the US Attorney General specified (SEC Item 1.05(c)).', null=True),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='service_recipients_affected',
            field=models.BooleanField(default=False, help_text='The significant incident is likely to adversely affect the provision of our services.', verbose_name='service recipients affected (NIS2 Art. 23(1))'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='severe_incident',
            field=models.BooleanField(default=False, verbose_name='severe incident affecting the security of our product (CRA Art. 14(3))'),
        ),
        migrations.AddField(
            model_name='regulatoryfacts',
            name='state_residents_affected',
            field=models.PositiveIntegerField(blank=True, help_text='HIPAA 164.406: the most residents of any one State or jurisdiction affected (more than 500: media notice).', null=True),
        ),
        migrations.AlterField(
            model_name='historicalobligation',
            name='rule',
            field=models.TextField(help_text='How the due time was computed, in words (limits, relief, delays).'),
        ),
        migrations.AlterField(
            model_name='obligation',
            name='rule',
            field=models.TextField(help_text='How the due time was computed, in words (limits, relief, delays).'),
        ),
        migrations.RunPython(RESEAL, migrations.RunPython.noop),
    ]
