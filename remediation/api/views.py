"""The remediation ledger's REST API: thin adapters over `remediation.selectors` (reads, the one filter language)
and `remediation.services` (writes).

Permissions are the role model permissions (`RoleModelPermissions`): every role reads the ledger; compliance
officers and incident responders add records, move them and change them in bulk (`remediation.change_affectedrecord`
for moves and bulk changes). The notice to individuals (export of the mail-merge file, recording it sent) is for
compliance officers only (`remediation.services.notices`). API tokens: `read` for lists, details and the ledger's
exports; `write` for every POST, including the mail-merge export, which is recorded on the incident's timeline.

A record's `subject_ref` is confidential: absent from the responses and the exports for leadership and auditors,
and no filter or ordering reads it.

Optimistic locking as in the incident API: the detail carries `ETag: "<version>"`; a move names the version read
(body `version` or `If-Match`), else 428; a stale one gets 409 naming who changed the record and when. A bulk change
of named records sends each record's version; one stale record refuses the whole change with 409 naming it.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.preconditions import PreconditionRequired, etag, expected_version
from incidents.models import Incident
from inventory.models import AISystem, Component
from portal.core import roles
from portal.core.api_pagination import PageOrCursorPagination
from portal.core.jobs.models import Job
from portal.core.jobs.selectors import job_visible_to
from portal.core.jobs.services import live_progress
from portal.core.permissions import RoleModelPermissions
from remediation import exports, selectors
from remediation.api import serializers
from remediation.models import AffectedRecord
from remediation.services import affected_record_create, affected_record_move, affected_records_bulk_change
from remediation.services.notices import affected_records_notice_export, affected_records_notice_sent, notice_records
from remediation.tasks import BULK_CHANGE, bulk_change_start

FORBIDDEN = {403: OpenApiResponse(description="Your role may not do this.")}
BAD = {400: OpenApiResponse(description="Bad input: the body names each field (or query parameter) and the rule.")}
STALE = {409: OpenApiResponse(description="Stale version: the record changed since you read it (the message names "
                                          "who and when, or the stale records); nothing was changed.")}
NO_VERSION = {428: OpenApiResponse(description="No version sent: send `version` or `If-Match: \"<version>\"`.")}
CHANGE = "remediation.change_affectedrecord"
NOT_FILTERS = ("cursor", "format")

FILTER_PARAMETERS = [
    OpenApiParameter("incident", str, description="The incident's reference (or id)."),
    OpenApiParameter("state", str, description="One or more states, comma-separated."),
    OpenApiParameter("kind", str, description="decision, account, transaction, person (comma-separated)."),
    OpenApiParameter("jurisdiction", str, description="A two-letter country code."),
    OpenApiParameter("contact_channel", str, description="email, post, phone, in_app, none (comma-separated)."),
    OpenApiParameter("system", str, description="An AI system's id."),
    OpenApiParameter("component", str, description="A component's id (the system version that produced it)."),
    OpenApiParameter("reviewer", str, description="A user's id, `me` (your queue) or `none` (in nobody's queue)."),
    OpenApiParameter("import_batch", str, description="An import's id."),
    OpenApiParameter("external_id", str, description="The exact identifier in the source system."),
]
FILTERS_NOTE = ("Filters (the admin's list and the bulk changes use the same): " + ", ".join(
    f"`{p.name}`" for p in FILTER_PARAMETERS) + ". An unknown parameter or a bad value is a 400 naming it.")


def _incident_by_reference(raw: dict) -> dict:
    """`incident` given as a reference (AIIR-2026-0001) becomes the incident's id; an id stays as it is."""
    value = raw.get("incident")
    text = value.strip() if isinstance(value, str) else ""
    if text and not text.isdigit() and text.isascii() and text.isprintable() and len(text) <= 40:
        pk = Incident.objects.filter(reference=text).values_list("pk", flat=True).first()
        if pk is None:
            raise DjangoValidationError({"incident": f"No incident with the reference {text!r}."})
        raw = {**raw, "incident": str(pk)}
    return raw  # anything else is refused by `clean_filters`, naming `incident`


def query_filters(request) -> dict:
    """The cleaned filter of a list's or an export's query string; 400 naming a bad parameter."""
    raw = {key: ",".join(request.query_params.getlist(key)) for key in request.query_params
           if key not in NOT_FILTERS}
    return selectors.clean_filters(_incident_by_reference(raw), actor=request.user)


def ledger_queryset():
    return AffectedRecord.objects.select_related("incident", "system", "state_changed_by", "reviewer")


def _renamed(error: DjangoValidationError, old: str, new: str) -> DjangoValidationError:
    if hasattr(error, "error_dict") and old in error.error_dict:
        error.error_dict[new] = error.error_dict.pop(old)
    return error


class CursorPagination(PageOrCursorPagination):
    """The ledger's lists page by cursor only (`?cursor=`, empty or absent for the first page): no count, every
    record exactly once in id order, as fast at record 900,000 as at the first (the primary key's index)."""

    def paginate_queryset(self, queryset, request, view=None):
        self.request, self.by_cursor = request, True
        return self._cursor_page(queryset, request.query_params.get(self.cursor_query_param, "").strip())

    def get_paginated_response_schema(self, schema):
        paged = super().get_paginated_response_schema(schema)
        paged["properties"] = {k: v for k, v in paged["properties"].items() if k in ("next", "previous", "results")}
        return paged

    def get_schema_operation_parameters(self, view):
        return [{"name": self.cursor_query_param, "required": False, "in": "query", "schema": {"type": "string"},
                 "description": "Empty or absent for the first page, then follow `next`/`previous`."}]


class LedgerPermissions(RoleModelPermissions):
    """The role model permissions; a move or a bulk change (POST) needs `change_affectedrecord`."""

    def get_required_permissions(self, method, model_cls):
        if method == "POST" and getattr(self, "change_action", False):
            return [CHANGE]
        return super().get_required_permissions(method, model_cls)

    def has_permission(self, request, view):
        self.change_action = getattr(view, "action", None) in ("move", "bulk")
        return super().has_permission(request, view)


def _version_sent(request) -> int:
    try:
        return expected_version(request)
    except PreconditionRequired as exc:
        raise PreconditionRequired("Send the version of the affected record you read: `version` in the body or an "
                                   "`If-Match: \"<version>\"` header (the ETag of the record).") from exc


def _json_body(request) -> dict:
    if not isinstance(request.data, dict):
        raise exceptions.ParseError("Send a JSON object.")
    return request.data


@extend_schema_view(
    list=extend_schema(summary="Affected records", parameters=FILTER_PARAMETERS, description=(
        "The remediation ledger, in id order, paged by cursor (no count). " + FILTERS_NOTE
        + " `subject_ref` is present only for compliance officers, incident responders and legal reviewers.")),
    retrieve=extend_schema(summary="One affected record", description=(
        "The `ETag` header carries its version, for `If-Match` on a move.")),
    create=extend_schema(summary="Add an affected record", request=serializers.AffectedRecordCreateSerializer,
                         responses={201: serializers.AffectedRecordSerializer, **BAD, **FORBIDDEN}, description=(
        "Compliance officers and incident responders add a record to an incident's ledger by hand, in the state "
        "identified (history row and timeline event).")),
)
class AffectedRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.AffectedRecordSerializer
    permission_classes = [LedgerPermissions]
    pagination_class = CursorPagination
    filter_backends = []  # the ledger's own filter language (query_filters)
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if self.action == "list":
            return selectors.ledger_records(query_filters(self.request), ledger_queryset()).order_by("pk")
        return ledger_queryset().order_by("pk")

    def get_object(self):
        if int(self.kwargs["pk"]) > selectors.MAX_ID:
            raise exceptions.NotFound("No affected record with this id.")
        return super().get_object()

    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        response = Response(self.get_serializer(record).data)
        response["ETag"] = etag(record.version)
        return response

    def respond(self, record, code=status.HTTP_200_OK):
        stored = ledger_queryset().get(pk=record.pk)
        response = Response(serializers.AffectedRecordSerializer(stored, context=self.get_serializer_context()).data,
                            status=code)
        response["ETag"] = etag(stored.version)
        return response

    def create(self, request, *args, **kwargs):
        payload = serializers.AffectedRecordCreateSerializer(data=_json_body(request))
        payload.is_valid(raise_exception=True)
        if unknown := sorted(set(request.data) - set(payload.fields)):
            raise exceptions.ValidationError({unknown[0]: ["This field cannot be set on a new affected record (it "
                                                           "starts identified, at version 1)."]})
        values = dict(payload.validated_data)
        incident = Incident.objects.filter(reference=values.pop("incident")).first()
        if incident is None:
            raise exceptions.ValidationError({"incident": ["No incident with this reference."]})
        if values.get("system") is not None:
            values["system"] = AISystem.objects.filter(slug=values["system"]).first()
            if values["system"] is None:
                raise exceptions.ValidationError({"system": ["No AI system with this slug."]})
        if values.get("component") is not None:
            values["component"] = Component.objects.filter(pk=values["component"]).first()
            if values["component"] is None:
                raise exceptions.ValidationError({"component": ["No component with this id."]})
        try:
            record = affected_record_create(actor=request.user, incident=incident, **values)
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict") and "__all__" in exc.error_dict and AffectedRecord.objects.filter(
                    incident=incident, external_id=values["external_id"]).exists():
                raise DjangoValidationError({"external_id": exc.messages}) from exc
            raise
        return self.respond(record, status.HTTP_201_CREATED)

    @extend_schema(summary="Move an affected record to another state", request=serializers.MoveSerializer,
                   responses={200: serializers.AffectedRecordSerializer, **BAD, **FORBIDDEN, **STALE, **NO_VERSION},
                   description=(
        "identified → under re-review → upheld | reversed; reversed → redress offered → redress accepted | "
        "declined → notified → closed; upheld → notified | closed. A move not allowed is a 400 naming the states "
        "allowed next. Send the `version` you read (body or `If-Match`)."))
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        record = self.get_object()
        version = _version_sent(request)
        payload = serializers.MoveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            affected_record_move(actor=request.user, record=record, to=payload.validated_data["to"],
                                 expected_version=version, note=payload.validated_data.get("note", ""))
        except DjangoValidationError as exc:
            raise _renamed(exc, "state", "to") from exc
        return self.respond(record)

    @extend_schema(summary="Change many affected records", request=serializers.BulkSerializer, responses={
        200: serializers.BulkResultSerializer,
        202: OpenApiResponse(serializers.BulkJobSerializer, description="A filtered change, started as a job."),
        **BAD, **FORBIDDEN, **STALE}, description=(
        "Move records to a state (`action: move`, `to`) or put them in a reviewer's queue (`action: assign`, "
        "`reviewer`). Select them either by naming them with the versions you read (`records: [{id, version}]`, "
        "at most 10,000): changed now, all or nothing; a stale record refuses the whole change with 409 naming "
        "it, a record whose state cannot move there with 400. Or by a filter (`filters`, the list's parameters as "
        "an object) with `as_of`, when you saw the selection: 202 with the job's status URL; records changed "
        "after `as_of`, or whose state cannot move there, are left alone and counted in the job's summary."))
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        body = _json_body(request)
        arguments = {key: body.get(key) for key in ("action", "to", "reviewer", "note", "filters", "as_of",
                                                     "records") if key in body}
        if unknown := sorted(set(body) - set(arguments)):
            raise exceptions.ValidationError({unknown[0]: ["Not a field of a bulk change."]})
        arguments["action"] = body.get("action")  # missing: refused by the service, naming `action`
        if isinstance(arguments.get("filters"), dict):
            try:  # a bad filter is named inside `filters`: {"filters": {"state": [...]}}
                arguments["filters"] = _incident_by_reference(arguments["filters"])
                selectors.clean_filters(arguments["filters"], actor=request.user)
            except DjangoValidationError as exc:
                raise exceptions.ValidationError({"filters": exc.message_dict}) from exc
        try:
            if arguments.get("records") is not None or "filters" not in arguments:
                result = affected_records_bulk_change(actor=request.user, **arguments)
                return Response(self._named_result(result, arguments.get("records")))
            job, _created = bulk_change_start(actor=request.user, **arguments)
        except DjangoValidationError as exc:
            raise _renamed(exc, "state", "to") from exc
        return Response(job_status(request, job), status=status.HTTP_202_ACCEPTED,
                        headers={"Location": job_status(request, job)["url"]})

    @staticmethod
    def _named_result(result, records):
        ids = [item["id"] if isinstance(item, dict) else item[0] for item in records or []]
        versions = dict(AffectedRecord.objects.filter(pk__in=ids).values_list("pk", "version"))
        return {"changed": result.changed, "summary": result.summary(),
                "records": [{"id": pk, "version": versions.get(pk)} for pk in ids]}


def job_status(request, job: Job) -> dict:
    done, total = live_progress(job)
    return {"id": job.pk, "state": job.state, "progress_done": done, "progress_total": total,
            "progress_unit": job.progress_unit, "summary": job.summary, "error": job.error,
            "created_at": job.created_at, "finished_at": job.finished_at,
            "url": request.build_absolute_uri(reverse("affected-record-bulk-job", args=[job.pk])),
            "page": request.build_absolute_uri(reverse("admin:core_job_change", args=[job.pk]))}


class BulkJobView(APIView):
    """The status of a filtered bulk change: for its starter and the ledger's workers (the job kind's viewers)."""

    queryset = AffectedRecord.objects.none()  # the model whose permissions apply
    permission_classes = [RoleModelPermissions]

    @extend_schema(summary="The status of a bulk change", responses={200: serializers.BulkJobSerializer,
                                                                      **FORBIDDEN,
                                                                      404: OpenApiResponse(description="No such bulk "
                                                                                           "change.")},
                   description="Its state, progress in records and, once finished, what it did or why it failed.")
    def get(self, request, pk):
        job = Job.objects.filter(pk=pk, kind=BULK_CHANGE.name).first() if pk <= selectors.MAX_ID else None
        if job is None:
            raise exceptions.NotFound("No bulk change with this id.")
        if not job_visible_to(job, request.user):  # as on the job's page in the admin
            raise exceptions.PermissionDenied("A bulk change is shown to its starter and the ledger's workers.")
        return Response(job_status(request, job))


class LedgerExportView(APIView):
    """The records a filter selects, streamed as CSV or JSON Lines; every role that reads the ledger."""

    queryset = AffectedRecord.objects.none()  # the model whose permissions apply: view_affectedrecord
    permission_classes = [RoleModelPermissions]
    fmt = "csv"

    @extend_schema(summary="Export affected records", parameters=FILTER_PARAMETERS, filters=False,
                   responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/jsonl"): OpenApiTypes.STR,
                              **BAD}, description=(
        "Every record the filter selects, in id order, streamed (any number of rows; no count). " + FILTERS_NOTE
        + " CSV cells starting with = + - @ are written as text. The `subject_ref` column is present only for "
          "compliance officers, incident responders and legal reviewers."))
    def get(self, request):
        records = selectors.ledger_records(query_filters(request), AffectedRecord.objects.all())
        return exports.ledger_export(records, reader=request.user, fmt=self.fmt, filename="affected-records")


# --- the notice to individuals ------------------------------------------------------------------------------------

class NoticePermissions(RoleModelPermissions):
    """Reading what the ledger holds lets past (a GET is then 405); a POST needs `change_affectedrecord` and the
    compliance officer's role (the service checks the role again)."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method == "POST" and roles.COMPLIANCE_OFFICER not in roles.user_roles(request.user):
            raise exceptions.PermissionDenied("Only a compliance officer exports and records the notice to "
                                              "individuals.")
        return True

    def get_required_permissions(self, method, model_cls):
        return [CHANGE] if method == "POST" else super().get_required_permissions(method, model_cls)


class IncidentNoticeView(APIView):
    queryset = AffectedRecord.objects.none()
    permission_classes = [NoticePermissions]
    http_method_names = ["post", "options"]

    def incident(self) -> Incident:
        return get_object_or_404(Incident, reference=self.kwargs["reference"])


REFERENCE = OpenApiParameter("reference", str, OpenApiParameter.PATH, description="The incident's reference.")


@extend_schema(parameters=[REFERENCE])
class NoticeExportView(IncidentNoticeView):
    @extend_schema(summary="Export the mail-merge file of the notice to individuals (GDPR Art. 34)", request=None,
                   responses={(200, "text/csv"): OpenApiTypes.STR, **FORBIDDEN}, description=(
        "The incident's records with a contact channel in a state from which `notified` is next (upheld, redress "
        "accepted, redress declined), as CSV: external_id, kind, subject_ref, jurisdiction, contact_channel, "
        "state, outcome, record_id, version. Cells starting with = + - @ are written as text. The export is "
        "recorded on the incident's timeline (who, how many, the filter). Compliance officers only."))
    def post(self, request, reference=None):
        incident = self.incident()
        _json_body(request)  # no body is needed; a malformed one is refused (400) before anything is recorded
        affected_records_notice_export(actor=request.user, incident=incident)
        return exports.notice_file(notice_records(incident), filename=f"{incident.reference}-notice-mail-merge.csv")


@extend_schema(parameters=[REFERENCE])
class NoticeSentView(IncidentNoticeView):
    @extend_schema(summary="Record the notice to individuals sent", request=serializers.NoticeSentSerializer,
                   responses={200: serializers.BulkResultSerializer, **BAD, **FORBIDDEN, **STALE}, description=(
        "Moves exactly the records of the mail-merge file (`record_id` and `version` as exported) to notified, "
        "all or nothing: a record changed since the export is a 409 naming it, a record of another incident or "
        "without a contact channel a 400. With `obligation` and `obligation_version`, the incident's open Art. 34 "
        "obligation is marked submitted at `sent_at` in the same transaction. Compliance officers only."))
    def post(self, request, reference=None):
        incident = self.incident()
        payload = serializers.NoticeSentSerializer(data=_json_body(request))
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        records = [{"id": item["id"], "version": item["version"]} for item in data["records"]]
        result = affected_records_notice_sent(
            actor=request.user, incident=incident, records=records, sent_at=data.get("sent_at"),
            note=data.get("note", ""), obligation=data.get("obligation"),
            obligation_version=data.get("obligation_version"))
        return Response(AffectedRecordViewSet._named_result(result, records))

