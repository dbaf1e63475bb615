"""The audit pages (/audit/): for legal reviewers, auditors and compliance officers (superusers hold every role).

Other roles get 403, anonymous visitors the admin login. The pages read through `reporting.audit.selectors` and
render inside the admin's shell; they carry no script and no inline style or event handler (CSP). The values of
confidential fields are shown only to the roles cleared for them (`portal.core.confidential`).
"""

import logging
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.core import roles
from portal.core.auditchain import checkpoints
from reporting.audit import bundle, selectors
from reporting.pdf import RenderError

logger = logging.getLogger(__name__)

AUDIT_ROLES = frozenset({roles.LEGAL_REVIEWER, roles.AUDITOR, roles.COMPLIANCE_OFFICER})
PAGE_SIZE = 100


def audit_view(view):
    """Signed in (else the admin login) with an audit role (else 403); GET only; never cached."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        held = roles.user_roles(request.user)
        if not held & AUDIT_ROLES:
            raise PermissionDenied("The audit pages are for legal reviewers, auditors and compliance officers.")
        return view(request, *args, **kwargs)

    return never_cache(require_GET(login_required(checked)))


def _context(request, title, **extra):
    return {**admin.site.each_context(request), "title": title, "is_nav_sidebar_enabled": False,
            "verify_every": _every("audit-verify"), "verify_full_every": _every("audit-verify-full"), **extra}


def _every(entry: str) -> str:
    """How often the schedule runs `entry`, in words ("15 minutes", "24 hours"), or "(not scheduled)"."""
    schedule = settings.CELERY_BEAT_SCHEDULE.get(entry, {}).get("schedule")
    if schedule is None:
        return "(not scheduled)"
    seconds = int(schedule.total_seconds() if hasattr(schedule, "total_seconds") else float(schedule))
    for unit, size in (("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"


@audit_view
def index(request):
    results = selectors.audit_search(request.GET.get("q", ""), reader=request.user)
    return TemplateResponse(request, "reporting/audit/index.html", _context(
        request, "Audit", results=results, verification=selectors.chain_verification_summary()))


def _trail_page(request, trail, *, title, template_context):
    part = request.GET.get("part") or None
    if part and part not in {p.part.key for p in trail.parts}:
        part = None
    versions = trail.of_part(part)
    page = Paginator(versions, PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(request, "reporting/audit/record.html", _context(
        request, title, trail=trail, page=page, part=part, **template_context))


@audit_view
def incident_detail(request, reference):
    incident = selectors.incident_for_audit(reference)
    if incident is None:
        raise Http404("No incident with this reference.")
    trail = selectors.incident_audit_trail(incident, reader=request.user)
    return _trail_page(request, trail, title=f"Audit trail of {incident.reference}", template_context={
        "kind": "incident", "record_name": f"{incident.reference} {incident.title}",
        "admin_url": reverse("admin:incidents_incident_change", args=[incident.pk]),
        "bundle_csv": reverse("audit:incident_bundle_csv", args=[incident.reference]),
        "bundle_pdf": reverse("audit:incident_bundle_pdf", args=[incident.reference]),
        "bundle_zip": reverse("audit:incident_bundle_zip", args=[incident.reference]),
        "bundle_job": reverse("audit:incident_bundle_job", args=[incident.reference]),
    })


@audit_view
def system_detail(request, slug):
    system = selectors.system_for_audit(slug)
    if system is None:
        raise Http404("No AI system with this slug.")
    trail = selectors.system_audit_trail(system, reader=request.user)
    return _trail_page(request, trail, title=f"Audit trail of {system.name}", template_context={
        "kind": "system", "record_name": f"{system.name} ({system.slug})",
        "admin_url": reverse("admin:inventory_aisystem_change", args=[system.pk]),
    })


@audit_view
def document_detail(request, pk):
    document = selectors.document_for_audit(pk)
    if document is None:
        raise Http404("No document with this id.")
    trail = selectors.document_audit_trail(document, reader=request.user)
    return _trail_page(request, trail, title=f"Audit trail of document {document.pk}", template_context={
        "kind": "document", "record_name": f"{document.title} v{document.version}", "document": document,
        "admin_url": reverse("admin:reporting_document_change", args=[document.pk]),
        "incident_url": reverse("audit:incident", args=[document.incident.reference]),
    })


class BundleUnavailable(Exception):
    """The bundle cannot be made (no signing key, a chain broken at its head, the PDF failed): the message says
    why, and the view answers 503 with it."""


def _bundle_for(request, reference):
    """The incident and its bundle, with a signed checkpoint taken for it (also kept in AUDIT_CHECKPOINT_DIR)."""
    incident = selectors.incident_for_audit(reference)
    if incident is None:
        raise Http404("No incident with this reference.")
    try:
        signed, _path = checkpoints.take_and_keep(reason=f"audit bundle {incident.reference}")
    except checkpoints.CheckpointError as exc:
        logger.warning("Audit bundle of %s not made: %s", incident.reference, exc)
        raise BundleUnavailable(f"The audit bundle cannot be signed: {exc}") from exc
    data = bundle.incident_bundle(incident, generated_by=request.user, checkpoint=signed)
    logger.info("Audit bundle of %s exported by %s", incident.reference, request.user.get_username())
    return incident, data


def _pdf(data, incident):
    try:
        return bundle.bundle_pdf(data, incident)
    except RenderError as exc:
        logger.warning("Audit bundle PDF of %s failed: %s", incident.reference, exc)
        raise BundleUnavailable(f"The audit bundle PDF could not be rendered: {exc}") from exc


def bundle_view(view):
    """An audit view whose bundle could not be made answers 503 with the reason, never 500."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BundleUnavailable as exc:
            return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")

    return audit_view(guarded)


def _download(content, *, content_type, name):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def audit_post_view(view):
    """Signed in (else the admin login) with an audit role (else 403); POST only (405 otherwise)."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not roles.user_roles(request.user) & AUDIT_ROLES:
            raise PermissionDenied("The audit pages are for legal reviewers, auditors and compliance officers.")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, *args, **kwargs)

    return never_cache(login_required(checked))


@audit_post_view
def incident_bundle_job(request, reference):
    """Make the bundle (PDF or signed ZIP, `format`) in the background; the job page follows it and serves the
    file to who may see it. Asking again while it is being made gives the same job."""
    from reporting.tasks import audit_bundle_start

    incident = selectors.incident_for_audit(reference)
    if incident is None:
        raise Http404("No incident with this reference.")
    form = request.POST.get("format", "")
    if form not in ("pdf", "zip"):
        return HttpResponseBadRequest("format: ask for pdf or zip.", content_type="text/plain; charset=utf-8")
    job, _created = audit_bundle_start(actor=request.user, incident=incident, form=form)
    return HttpResponseRedirect(reverse("admin:core_job_change", args=[job.pk]))


@bundle_view
def incident_bundle_csv(request, reference):
    _, data = _bundle_for(request, reference)
    return _download(bundle.bundle_csv(data), content_type="text/csv; charset=utf-8",
                     name=bundle.bundle_file_name(data, "csv"))


@bundle_view
def incident_bundle_pdf(request, reference):
    incident, data = _bundle_for(request, reference)
    return _download(_pdf(data, incident), content_type="application/pdf", name=bundle.bundle_file_name(data, "pdf"))


@bundle_view
def incident_bundle_zip(request, reference):
    """The signed archive: PDF, CSV, checkpoint, public key, signed SHA-256 sums, and how to verify them."""
    incident, data = _bundle_for(request, reference)
    archive = bundle.bundle_archive(data, pdf=_pdf(data, incident), csv_text=bundle.bundle_csv(data))
    return _download(archive, content_type="application/zip", name=bundle.bundle_file_name(data, "zip"))
