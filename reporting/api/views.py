"""The reporting REST API: thin adapters over `reporting.selectors` (reads) and `reporting.services` (writes).

Permissions are the role model permissions (`RoleModelPermissions`): every role reads; compliance officers change
obligations, issue documents, record and change disclosure decisions and regulatory facts; legal reviewers approve
or return disclosure decisions (`reporting.approve_disclosuredecision`). An action that is not a plain create or
update names the permissions it needs (`action_permissions`). The rules beyond that (roles, the two-person rule,
rationale and reasons, what may change) are the services'; their `ValidationError` is a 400 naming the field.

Optimistic locking as in the incident API: the detail of an obligation, a decision or the regulatory facts carries
`ETag: "<version>"`; a change names the version it was based on (body `version` or `If-Match`), else 428; a stale
one gets 409 naming who changed which fields of the record and when. Approving, returning, submitting, marking
not applicable and issuing are bound to the version read in the same way: nobody approves a text they did not see.

A disclosure decision's privileged analysis is a confidential field (`portal.core.confidential`): it is only ever
in responses to the roles cleared for it (compliance officers and legal reviewers), and no filter reads it.
"""

from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.db.models import F, Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.preconditions import PreconditionRequired, etag, expected_version
from incidents.api.response_views import REFERENCE
from incidents.api.views import ERROR_RESPONSES
from incidents.models import Incident
from inventory.api.views import ServiceModelViewSet
from portal.core.api import ConfidentialFilterBackend, Conflict
from portal.core.permissions import RoleModelPermissions
from reporting import exports, selectors, services
from reporting.api import filters, serializers
from reporting.models import DisclosureDecision, Document, DocumentKind, RegulatoryFacts
from reporting.services.facts import regulatory_facts_for

FORBIDDEN = {403: OpenApiResponse(description="Your role may not do this.")}
CHANGE_RESPONSES = {**ERROR_RESPONSES, **FORBIDDEN}


class ActionPermissions(RoleModelPermissions):
    """The role model permissions, except for the actions a view lists in `action_permissions`
    ({action: [permission, ...]}): those need exactly the permissions named. Everything else the role permissions
    check (authentication, and whatever else `RoleModelPermissions.has_permission` checks) applies unchanged."""

    def has_permission(self, request, view):
        # A permission instance serves one request: remember what this view's action needs for the lookup below.
        self.action_needs = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        return super().has_permission(request, view)

    def get_required_permissions(self, method, model_cls):
        if getattr(self, "action_needs", None) is not None:
            return list(self.action_needs)
        return super().get_required_permissions(method, model_cls)


def version_sent(request, record: str) -> int:
    """The version a change is based on (body `version` or If-Match); 428 naming the record without any."""
    try:
        return expected_version(request)
    except PreconditionRequired as exc:
        raise PreconditionRequired(f"Send the version of the {record} you read: `version` in the body or an "
                                   f"`If-Match: \"<version>\"` header (the ETag of the {record}).") from exc


def with_etag(response, version):
    response["ETag"] = etag(version)
    return response


def _renamed(error: DjangoValidationError, old: str, new: str) -> DjangoValidationError:
    if hasattr(error, "error_dict") and old in error.error_dict:
        error.error_dict[new] = error.error_dict.pop(old)
    return error


class PDFRenderer(renderers.BaseRenderer):
    """Lets a client ask for `Accept: application/pdf` on a download; the body is the stored file."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | bytearray):
            return data
        return renderers.JSONRenderer().render(data)  # an error (404, 403) asked for as PDF


def document_rows():
    """Documents with everything their representation names (one query for any number of rows)."""
    return Document.objects.select_related("incident", "issued_by", "superseded_by")


# --- obligations -------------------------------------------------------------------------------------------------

def post_action(summary, description, request, response, status_code=200, **kwargs):
    """A POST action on one obligation or decision (submit, issue, approve ...), documented in one place."""

    def decorate(function):
        function = action(detail=True, methods=["post"], filter_backends=[], **kwargs)(function)
        return extend_schema(summary=summary, description=description, request=request,
                             responses={status_code: response, **CHANGE_RESPONSES})(function)

    return decorate


VERSION_NOTE = (" Send the `version` you read (body or `If-Match`): 428 without it, 409 when the record changed "
                "since (naming who changed which fields and when); the action applies to that version only.")


@extend_schema_view(
    list=extend_schema(summary="Regulatory obligations", description=(
        "What the organisation owes to whom by when, across incidents, soonest due first (no fixed deadline "
        "last). Filter by status, regime, incident reference, deadline (`due`) and `uncertain`.")),
    retrieve=extend_schema(summary="One obligation", description=(
        "What the regulatory clock computed, what was recorded (submission, rationale), the notification content "
        "and the documents issued for it. The `ETag` header carries its version.")),
)
class ObligationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ActionPermissions]
    filterset_class = filters.ObligationFilter
    filter_backends = [ConfidentialFilterBackend]
    action_permissions = {
        "submit": ["reporting.change_obligation"],
        "not_applicable": ["reporting.change_obligation"],
        "reopen": ["reporting.change_obligation"],
        "content": ["reporting.change_obligation"],
        "issue": ["reporting.add_document"],
    }

    def get_queryset(self):
        queryset = selectors.obligation_list().order_by(F("due_at").asc(nulls_last=True), "incident__reference",
                                                        "key", "id")
        if self.action == "list":
            return queryset
        return queryset.prefetch_related(Prefetch("documents", queryset=document_rows().order_by("-version", "-id")))

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.ObligationSerializer
        return serializers.ObligationDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        obligation = self.get_object()
        return with_etag(Response(self.get_serializer(obligation).data), obligation.version)

    def payload(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, obligation):
        stored = self.get_queryset().get(pk=obligation.pk)
        return with_etag(Response(serializers.ObligationDetailSerializer(
            stored, context=self.get_serializer_context()).data), stored.version)

    @post_action("Mark an obligation submitted", (
        "Records when it was submitted to the authority (default: now) and the authority's reference; chained "
        "stages then get their due times." + VERSION_NOTE),
        serializers.SubmitSerializer, serializers.ObligationDetailSerializer)
    def submit(self, request, pk=None):
        obligation = self.get_object()
        version = version_sent(request, "obligation")
        data = self.payload(serializers.SubmitSerializer)
        services.obligation_submit(actor=request.user, obligation=obligation, submitted_at=data.get("submitted_at"),
                                   authority_reference=data["authority_reference"], expected_version=version)
        return self.respond(obligation)

    @post_action("Mark an obligation not applicable", (
        "A compliance officer's decision that it does not apply, with the rationale (kept for audit)."
        + VERSION_NOTE), serializers.NotApplicableSerializer, serializers.ObligationDetailSerializer,
        url_path="not-applicable")
    def not_applicable(self, request, pk=None):
        obligation = self.get_object()
        version = version_sent(request, "obligation")
        data = self.payload(serializers.NotApplicableSerializer)
        services.obligation_mark_not_applicable(actor=request.user, obligation=obligation,
                                                rationale=data["rationale"], expected_version=version)
        return self.respond(obligation)

    @post_action("Reopen an obligation", (
        "Undoes a submission or a not-applicable decision recorded by mistake, with the reason (the history keeps "
        "both)." + VERSION_NOTE), serializers.ReopenSerializer, serializers.ObligationDetailSerializer)
    def reopen(self, request, pk=None):
        obligation = self.get_object()
        version = version_sent(request, "obligation")
        data = self.payload(serializers.ReopenSerializer)
        services.obligation_reopen(actor=request.user, obligation=obligation, reason=data["reason"],
                                   expected_version=version)
        return self.respond(obligation)

    @post_action("Enter notification content", (
        "The items the notification must contain that the incident record does not hold (`content_items` with "
        "source `entered`). Items not named keep their value." + VERSION_NOTE),
        serializers.ContentSerializer, serializers.ObligationDetailSerializer)
    def content(self, request, pk=None):
        obligation = self.get_object()
        version = version_sent(request, "obligation")
        data = self.payload(serializers.ContentSerializer)
        services.obligation_content_update(actor=request.user, obligation=obligation, content=data["content"],
                                           expected_version=version)
        return self.respond(obligation)

    @post_action("Issue the notification PDF", (
        "Renders the regulatory notification from the obligation's current facts and content and issues it as "
        "the next version; a version after the first supersedes the previous one and needs the "
        "`correction_reason`." + VERSION_NOTE), serializers.IssueSerializer, serializers.DocumentSerializer,
        status_code=201)
    def issue(self, request, pk=None):
        obligation = self.get_object()
        version = version_sent(request, "obligation")
        data = self.payload(serializers.IssueSerializer)
        document = services.document_issue(actor=request.user, kind=DocumentKind.REGULATORY_NOTIFICATION,
                                           obligation=obligation, correction_reason=data["correction_reason"],
                                           expected_version=version)  # the PDF renders the version read
        stored = document_rows().get(pk=document.pk)
        return Response(serializers.DocumentSerializer(stored, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


# --- documents ---------------------------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="Issued documents", description=(
        "Regulatory notifications, disclosure-decision records and post-incident reports, newest first. Filter "
        "by incident reference, kind, obligation or disclosure decision.")),
    retrieve=extend_schema(summary="One issued document", description=(
        "Its metadata: SHA-256 of the PDF, version, the version it supersedes, who issued it when, and the "
        "version of the regulatory reference data it was computed with.")),
)
class DocumentViewSet(viewsets.ReadOnlyModelViewSet):
    """Issued documents are immutable: issued by actions on obligations (and in the admin), never changed here."""

    serializer_class = serializers.DocumentSerializer
    filterset_class = filters.DocumentFilter
    filter_backends = [ConfidentialFilterBackend]

    def get_queryset(self):
        return document_rows().order_by("-issued_at", "-id")

    @extend_schema(summary="Download the PDF", filters=False,
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY,
                              404: OpenApiResponse(description="No such document, or its file is missing.")})
    @action(detail=True, methods=["get"], filter_backends=[], renderer_classes=[renderers.JSONRenderer,
                                                                                 PDFRenderer])
    def download(self, request, pk=None):
        document = self.get_object()
        try:
            handle = default_storage.open(document.file.name, "rb")
        except OSError as exc:
            raise Http404("The document's file is missing.") from exc
        name = f"{document.incident.reference}-{document.kind}-v{document.version}.pdf"
        response = FileResponse(handle, as_attachment=True, filename=name, content_type="application/pdf")
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- disclosure decisions ----------------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="Disclosure decisions", description=(
        "Whether, to whom and why incidents are disclosed, newest first. Filter by incident reference, status, "
        "audience and decision. `privileged_analysis` is only present for compliance officers and legal "
        "reviewers.")),
    retrieve=extend_schema(summary="One disclosure decision", description=(
        "The `ETag` header carries its version. `privileged_analysis` is only present for compliance officers "
        "and legal reviewers.")),
    create=extend_schema(summary="Record a disclosure decision", description=(
        "A compliance officer records it; it awaits a legal reviewer's approval (someone else)."),
        responses={201: serializers.DisclosureDecisionSerializer, 400: ERROR_RESPONSES[400], **FORBIDDEN}),
    partial_update=extend_schema(summary="Change a disclosure decision", description=(
        "Only before it is approved; a returned decision goes back to awaiting approval." + VERSION_NOTE),
        responses={200: serializers.DisclosureDecisionSerializer, **CHANGE_RESPONSES}),
)
class DisclosureDecisionViewSet(ServiceModelViewSet):
    permission_classes = [ActionPermissions]
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = serializers.DisclosureDecisionSerializer
    filterset_class = filters.DisclosureDecisionFilter
    filter_backends = [ConfidentialFilterBackend]
    create_service = staticmethod(services.disclosure_record)
    update_service = staticmethod(services.disclosure_update)
    instance_argument = "decision"
    action_permissions = {
        "approve": ["reporting.approve_disclosuredecision"],
        "return_to_compliance": ["reporting.approve_disclosuredecision"],
    }

    def get_queryset(self):
        return (DisclosureDecision.objects.select_related("incident", "decided_by", "approved_by")
                .order_by("-decided_at", "-id"))

    def create_arguments(self, validated_data):
        return {k: v for k, v in validated_data.items() if k != "version"}

    def update_arguments(self, instance, validated_data):
        changes = {k: v for k, v in validated_data.items() if k != "version"}
        return {"changes": changes, "expected_version": self.expected}  # `changes`: it may hold `decision`

    def partial_update(self, request, *args, **kwargs):
        self.expected = version_sent(request, "decision")  # 428 before anything else when no version is named
        return super().partial_update(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if 200 <= response.status_code < 300 and isinstance(data, dict) and {"id", "version"} <= set(data):
            response["ETag"] = etag(data["version"])
        return response

    def review(self, request, service, **arguments):
        decision = self.get_object()
        version = version_sent(request, "decision")
        payload = serializers.ReviewNoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            service(actor=request.user, decision=decision, note=payload.validated_data["note"],
                    expected_version=version)
        except DjangoValidationError as exc:
            raise _renamed(exc, "review_note", "note") from exc
        return Response(self.get_serializer(self.refetched(decision)).data)

    @post_action("Approve a disclosure decision", (
        "A legal reviewer approves, never the person who decided (two-person rule); an approved decision is "
        "final." + VERSION_NOTE), serializers.ReviewNoteSerializer, serializers.DisclosureDecisionSerializer)
    def approve(self, request, pk=None):
        return self.review(request, services.disclosure_approve)

    @post_action("Return a disclosure decision to compliance", (
        "A legal reviewer returns it with a note saying what needs to change." + VERSION_NOTE),
        serializers.ReviewNoteSerializer, serializers.DisclosureDecisionSerializer, url_path="return",
        url_name="return")
    def return_to_compliance(self, request, pk=None):
        return self.review(request, services.disclosure_return)


# --- per incident: AIID export and regulatory facts --------------------------------------------------------------

class IncidentScopedView(APIView):
    """A view of one incident's reporting record, named by its reference (404 when there is no such incident)."""

    @cached_property
    def incident(self) -> Incident:
        return get_object_or_404(Incident, reference=self.kwargs["reference"])


@extend_schema(parameters=[REFERENCE])
class AiidExportView(IncidentScopedView):
    """Readable by whoever may view incidents."""

    queryset = Incident.objects.none()  # the model whose permissions apply: incidents.view_incident

    @extend_schema(summary="The incident as an AI Incident Database submission", description=(
        "Sanitized: no privileged analysis, responsibility notes, people, evidence, timeline or internal "
        "identifiers beyond the reference. Needs an approved decision to disclose the incident to the AIID or the "
        "public: the description is that decision's shareable summary, never the incident's internal summary. "
        "Without one (or when its shareable summary is empty) the answer is 409 naming what is missing."),
        responses={200: serializers.AiidSubmissionSerializer,
                   409: OpenApiResponse(description="No approved decision to disclose the incident to the AI "
                                                    "Incident Database or the public (the message says what is "
                                                    "missing).")})
    def get(self, request, reference=None):
        incident = (Incident.objects.prefetch_related("systems", "components", "atlas_techniques", "owasp_risks",
                                                      "disclosure_decisions")
                    .get(pk=self.incident.pk))
        try:
            return Response(exports.aiid_submission(incident))
        except exports.NotDisclosed as exc:
            raise Conflict(detail=" ".join(exc.messages), code="not_disclosed") from exc


@extend_schema(parameters=[REFERENCE])
class RegulatoryFactsView(IncidentScopedView):
    """Read by every role; recorded and changed by compliance officers (reporting.change_regulatoryfacts)."""

    queryset = RegulatoryFacts.objects.none()  # the model whose permissions apply
    serializer_class = serializers.RegulatoryFactsSerializer

    def facts(self) -> RegulatoryFacts:
        incident = Incident.objects.select_related("regulatory_facts").get(pk=self.incident.pk)
        return regulatory_facts_for(incident)

    def respond(self, facts):
        response = Response(serializers.RegulatoryFactsSerializer(facts).data)
        return with_etag(response, facts.version) if facts.pk else response

    @extend_schema(summary="The incident's regulatory facts and obligations", description=(
        "The facts the incident record does not hold (NIS2 entity, significant incident, risk to individuals, "
        "DORA classification ...); until recorded, the organisation's profile defaults (`recorded: false`). The "
        "`ETag` header carries the version once recorded. The breach facts (personal-data and data-subject "
        "categories, records concerned) come with the inventory's proposal (`personal_data_categories_proposed`, "
        "read-only) and who confirmed them when."),
        responses={200: serializers.RegulatoryFactsSerializer})
    def get(self, request, reference=None):
        return self.respond(self.facts())

    @extend_schema(summary="Record or change the incident's regulatory facts", description=(
        "Facts not sent keep their value. Sending breach facts confirms them in the caller's name; an empty list "
        "means not established. The obligations are recomputed and returned. Once the facts are "
        "recorded, send the `version` you read (body or `If-Match`): 428 without it, 409 when they changed "
        "since."), request=serializers.RegulatoryFactsSerializer,
        responses={200: serializers.RegulatoryFactsSerializer, **CHANGE_RESPONSES})
    def put(self, request, reference=None):
        current = self.facts()
        version = version_sent(request, "regulatory facts") if current.pk else None
        payload = serializers.RegulatoryFactsSerializer(current, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        changes = {k: v for k, v in payload.validated_data.items() if k != "version"}
        services.regulatory_facts_update(actor=request.user, incident=self.incident, expected_version=version,
                                         **changes)
        return self.respond(self.facts())
