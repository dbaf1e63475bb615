"""Reference data: MITRE ATLAS, OWASP Top 10 for LLM Applications 2025, NIST CSF 2.0 and one runbook per incident
class, loaded from the files under `incidents/data/` by the shared loader (`incidents.taxonomy_data`).

The loader upserts and never deletes, so running it again (or after a reversal) is harmless; reversing leaves the
rows in place because incidents and checklists may point at them. A later change to a data file ships as a new
data migration calling the same `*_sync` function.
"""

from django.db import migrations

from incidents import taxonomy_data


def load(apps, schema_editor):
    def model(name):
        return apps.get_model("incidents", name)

    read = taxonomy_data.read_data
    taxonomy_data.csf_sync(read("csf-2.0.json"), function_model=model("CsfFunction"),
                           category_model=model("CsfCategory"))
    taxonomy_data.owasp_sync(read("owasp-llm-2025.json"), risk_model=model("OwaspRisk"))
    taxonomy_data.atlas_sync(read("atlas.json"), tactic_model=model("AtlasTactic"),
                             technique_model=model("AtlasTechnique"))
    taxonomy_data.runbooks_sync(read("runbooks.yaml"), runbook_model=model("Runbook"),
                                step_model=model("RunbookStep"), category_model=model("CsfCategory"),
                                technique_model=model("AtlasTechnique"))


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_role_permissions")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
