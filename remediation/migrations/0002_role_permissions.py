from django.db import migrations

from portal.core import roles

MODELS = ["affectedrecord", "affectedrecordimport"]


def grant(apps, schema_editor):
    matrix = {role: {m: roles.READ for m in MODELS} for role in roles.ROLES}
    # Compliance officers and incident responders work the ledger: they import records and move them.
    for role in (roles.COMPLIANCE_OFFICER, roles.INCIDENT_RESPONDER):
        matrix[role].update({"affectedrecord": ("view", "add", "change"), "affectedrecordimport": ("view", "add")})
    roles.grant_model_permissions(apps, "remediation", matrix)


class Migration(migrations.Migration):
    dependencies = [("remediation", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
