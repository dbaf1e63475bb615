import json
from pathlib import Path

from django.db import migrations

from portal.core import roles

DATA = Path(__file__).resolve().parent.parent / "data" / "jurisdictions.json"

INVENTORY_MODELS = [
    "aisystem", "component", "systemcomponent", "componentdependency", "team", "raciassignment",
    "escalationstep", "jurisdiction", "inventoryevent",
]
WRITABLE = [m for m in INVENTORY_MODELS if m not in ("jurisdiction", "inventoryevent")]


def load_jurisdictions(apps, schema_editor):
    Jurisdiction = apps.get_model("inventory", "Jurisdiction")
    for row in json.loads(DATA.read_text())["jurisdictions"]:
        Jurisdiction.objects.update_or_create(code=row["code"], defaults={
            "name": row["name"], "eu_member": row["eu_member"], "eea_member": row["eea_member"]})


def grant(apps, schema_editor):
    matrix = {role: {m: roles.READ for m in INVENTORY_MODELS} for role in roles.ROLES}
    matrix[roles.COMPLIANCE_OFFICER].update({m: roles.ALL_ACTIONS for m in WRITABLE})
    roles.grant_model_permissions(apps, "inventory", matrix)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial"), ("core", "0001_roles")]

    operations = [
        migrations.RunPython(load_jurisdictions, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
