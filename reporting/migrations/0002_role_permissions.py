from django.db import migrations

from portal.core import roles

MODELS = ["obligation", "deadlineboardentry", "obligationnotice", "document", "disclosuredecision",
          "regulatoryfacts"]


def grant(apps, schema_editor):
    matrix = {role: {m: roles.READ for m in MODELS} for role in roles.ROLES}
    matrix[roles.COMPLIANCE_OFFICER].update({
        "obligation": ("view", "change"),
        "document": ("view", "add"),
        "disclosuredecision": ("view", "add", "change"),
        "regulatoryfacts": ("view", "add", "change"),
    })
    # Legal reviewers read everything and approve (or return) disclosure decisions: the second person.
    matrix[roles.LEGAL_REVIEWER]["disclosuredecision"] = ("view", "approve")
    roles.grant_model_permissions(apps, "reporting", matrix)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
