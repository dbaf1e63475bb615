"""Job kinds of the inventory: importing a CycloneDX AIBOM uploaded in the admin (`services.aibom_import`, as the
`import_aibom` command does), with its progress in components."""

import hashlib

from django.urls import reverse

from inventory import cyclonedx, services
from portal.core import roles
from portal.core.jobs import JobFailed, JobKind, JobResult, files, job_start, register


def _import(*, job, progress):
    params = job.params
    try:
        content = files.read(params["input"])
    except OSError as exc:
        raise JobFailed("The uploaded BOM is no longer kept; upload it again.") from exc
    try:
        bom = cyclonedx.parse_json(content)
        result = services.aibom_import(actor=job.started_by, bom=bom, system_slug=params["system_slug"],
                                       progress=progress)
    except cyclonedx.BomError as exc:
        raise JobFailed(f"Nothing imported: {exc}") from exc
    finally:
        content = None
    files.delete(params["input"])
    return JobResult(summary=result.summary(), label=f"{result.system.name} in the inventory",
                     url=reverse("admin:inventory_aisystem_change", args=[result.system.pk]))


AIBOM_IMPORT = register(JobKind(name="inventory.aibom_import", label="AIBOM import", run=_import, unit="components",
                                viewer_roles=frozenset({roles.COMPLIANCE_OFFICER})))


def aibom_import_start(*, actor, system_slug: str, file_name: str, content: bytes):
    """Keep the uploaded BOM and start importing it into `system_slug` as a job; the same file for the same system
    while its import is queued or running gives that job."""
    digest = hashlib.sha256(content).hexdigest()
    stored = files.save_input(file_name, content)
    job, created = job_start(
        actor=actor, kind=AIBOM_IMPORT.name, idempotency_key=f"aibom_import:{system_slug}:{digest}",
        params={"system_slug": system_slug, "input": stored, "file_name": file_name, "sha256": digest})
    if not created:
        files.delete(stored)
    return job, created
