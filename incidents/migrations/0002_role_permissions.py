from django.db import migrations

from portal.core import roles

RECORDS = [
    "incident", "timelineevent", "checklistitem", "containmentaction", "evidence", "custodyentry",
    "recoveryvalidation", "postincidentreview", "actionitem", "slanotice",
]
REFERENCE = ["atlastactic", "atlastechnique", "owasprisk", "csffunction", "csfcategory", "runbook", "runbookstep"]
# Work on an incident: compliance officers and responders file and drive incidents and their sub-records.
WORKED_ON = ["incident", "checklistitem", "containmentaction", "evidence", "custodyentry", "recoveryvalidation",
             "postincidentreview", "actionitem"]


def grant(apps, schema_editor):
    matrix = {role: {m: roles.READ for m in RECORDS + REFERENCE} for role in roles.ROLES}
    for role in (roles.COMPLIANCE_OFFICER, roles.INCIDENT_RESPONDER):
        matrix[role].update({m: ("view", "add", "change") for m in WORKED_ON})
    roles.grant_model_permissions(apps, "incidents", matrix)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
