"""Chain heads become append-only: a row per recorded head (label, last history id, its hash, the table's row
count, when), the newest row of a label being the table's current head, instead of one row per table updated in
place. The current heads are carried over, each with its table's row count. The triggers that make the head table
refuse UPDATE, DELETE and TRUNCATE come with `reporting.0006`, after every app's tables exist."""

import django.utils.timezone
from django.db import migrations, models


def carry_over(apps, schema_editor):
    using = schema_editor.connection.alias
    old = apps.get_model("core", "LegacyChainHead")
    new = apps.get_model("core", "ChainHead")
    now = django.utils.timezone.now()
    for head in old.objects.using(using).order_by("label"):
        try:
            model = apps.get_model(head.label)
        except LookupError:
            continue  # a history table that no longer exists
        rows = model._default_manager.using(using).count()
        new.objects.using(using).create(label=head.label, last_history_id=head.last_history_id,
                                        last_hash=head.last_hash, rows=rows, recorded_at=now)


def carry_back(apps, schema_editor):
    using = schema_editor.connection.alias
    old = apps.get_model("core", "LegacyChainHead")
    new = apps.get_model("core", "ChainHead")
    for label in new.objects.using(using).values_list("label", flat=True).distinct():
        head = new.objects.using(using).filter(label=label).order_by("-id").first()
        old.objects.using(using).create(label=label, last_history_id=head.last_history_id, last_hash=head.last_hash)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_chainhead")]

    operations = [
        migrations.RenameModel("ChainHead", "LegacyChainHead"),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("label", models.CharField(help_text="The history model, app_label.ModelName.", max_length=200)),
                ("last_history_id", models.BigIntegerField(blank=True, null=True)),
                ("last_hash", models.CharField(blank=True, default="", max_length=64)),
                ("rows", models.BigIntegerField(default=0, help_text="Rows in the table once this head was appended.")),
                ("recorded_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "history chain head",
                "indexes": [models.Index(fields=["label", "-id"], name="core_chainhead_label_newest")],
            },
        ),
        migrations.RunPython(carry_over, carry_back),
        migrations.DeleteModel("LegacyChainHead"),
    ]
