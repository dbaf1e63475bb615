"""Sub-resources of an incident: what responders record on it, under /api/v1/incidents/{reference}/.

Each viewset reads the rows of one incident and writes through the response services (checklist, containment,
evidence and custody, recovery validation, review and action items). Permissions are the role model permissions
of the row's model (`RoleModelPermissions`); object-level rules (RACI authority to contain, the two-person
sign-off, an open incident) are the services'. They append to the incident's timeline, not to the incident row,
so they need no incident version. A recovery sign-off is bound to the version of the validation the signer read
(body `version` or `If-Match`, the validation's `ETag`): 428 without it, 409 when the validation changed since.
"""

from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import services
from incidents.api import response_serializers as rs
from incidents.api.preconditions import PreconditionRequired, etag, expected_version
from incidents.api.views import ERROR_RESPONSES
from incidents.models import (
    ActionItem,
    ChecklistItem,
    ContainmentAction,
    CustodyEntry,
    Evidence,
    Incident,
    PostIncidentReview,
    RecoveryValidation,
)
from portal.core.api_inputs import BoundedJSONParser

REFERENCE = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH,
                             description="Reference of the incident, e.g. AIIR-2026-0001.")
EVIDENCE_ID = OpenApiParameter("evidence_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                               description="Id of the evidence item.")
BAD_INPUT = {400: ERROR_RESPONSES[400]}
STALE_VALIDATION = {
    409: OpenApiResponse(description="Stale version: the recovery validation changed since you read it (the "
                                     "message names who changed which fields and when); reload it and decide again."),
}
NO_VALIDATION_VERSION = {
    428: OpenApiResponse(description="No version sent: send the validation's `version` or `If-Match: "
                                     "\"<version>\"`."),
}


class IncidentChildMixin:
    """The rows of one incident, named by its reference in the URL (404 when there is no such incident)."""

    model = None
    incident_path = "incident"
    related = ()
    filter_backends = []

    @cached_property
    def incident(self) -> Incident:
        return get_object_or_404(Incident, reference=self.kwargs["reference"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no URL arguments
            return self.model.objects.none()
        return self.model.objects.filter(**{self.incident_path: self.incident}).select_related(*self.related)

    def respond(self, instance):
        """200 with the row as stored (re-read with its related rows)."""
        return Response(self.get_serializer(self.get_queryset().get(pk=instance.pk)).data)

    def payload(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class ServiceCreateMixin(mixins.CreateModelMixin):
    """POST to the list: the serializer checks the shape, `create_service` writes, the stored row is returned."""

    create_service = None

    def create_arguments(self, data):
        return {"incident": self.incident, **data}

    def perform_create(self, serializer):
        instance = self.create_service(actor=self.request.user, **self.create_arguments(serializer.validated_data))
        serializer.instance = self.get_queryset().get(pk=instance.pk)


def post_action(summary, request=None, response=None, description=None, errors=None):
    """A POST action on one row (complete, revert, verify, sign off ...), documented in one line."""

    def decorate(function):
        function = action(detail=True, methods=["post"])(function)
        return extend_schema(summary=summary, description=description, request=request,
                             responses={200: response, **(errors or BAD_INPUT)})(function)

    return decorate


def validation_version(request, *, required: bool) -> int | None:
    """The version of the recovery validation a write is based on (body `version` or If-Match)."""
    try:
        return expected_version(request)
    except PreconditionRequired as exc:
        if not required:
            return None
        raise PreconditionRequired("Send the version of the recovery validation you read: `version` in the body "
                                   "or an `If-Match: \"<version>\"` header (the ETag of the validation).") from exc


@extend_schema(parameters=[REFERENCE])
@extend_schema_view(list=extend_schema(summary="The incident's runbook checklist"),
                    retrieve=extend_schema(summary="One checklist step"))
class ChecklistViewSet(IncidentChildMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    model = ChecklistItem
    related = ("done_by",)
    serializer_class = rs.ChecklistItemSerializer

    @post_action("Complete a checklist step", rs.ChecklistCompleteSerializer, rs.ChecklistItemSerializer)
    def complete(self, request, reference=None, pk=None):
        notes = self.payload(rs.ChecklistCompleteSerializer)["notes"]
        return self.respond(services.checklist_item_complete(actor=request.user, item=self.get_object(), notes=notes))

    @post_action("Reopen a completed checklist step", None, rs.ChecklistItemSerializer)
    def reopen(self, request, reference=None, pk=None):
        return self.respond(services.checklist_item_reopen(actor=request.user, item=self.get_object()))


@extend_schema(parameters=[REFERENCE])
@extend_schema_view(
    list=extend_schema(summary="Containment actions taken on the incident"),
    retrieve=extend_schema(summary="One containment action"),
    create=extend_schema(summary="Record a containment action", description=(
        "Applies its effect on the inventory (disables the component, suspends the system, switches a rollback). "
        "Needs the RACI authority (Responsible or Accountable for the matching activity on the target system) "
        "or an emergency `override_reason`, which flags the timeline event."), responses={
        201: rs.ContainmentActionSerializer, **BAD_INPUT}),
)
class ContainmentViewSet(IncidentChildMixin, ServiceCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    model = ContainmentAction
    related = ("target_system", "performed_by", "reverted_by")
    serializer_class = rs.ContainmentActionSerializer
    create_service = staticmethod(services.containment_record)

    @post_action("Revert a containment action", rs.RevertSerializer, rs.ContainmentActionSerializer)
    def revert(self, request, reference=None, pk=None):
        reason = self.payload(rs.RevertSerializer)["reason"]
        return self.respond(services.containment_revert(actor=request.user, action=self.get_object(), reason=reason))


@extend_schema(parameters=[REFERENCE])
@extend_schema_view(
    list=extend_schema(summary="Evidence of the incident, with its chain of custody"),
    retrieve=extend_schema(summary="One evidence item"),
    create=extend_schema(summary="Add evidence", description=(
        "A multipart upload (`file`), a `reference` to where the artefact is kept, or both. The portal computes "
        "the SHA-256, size and type of the file from its bytes and opens the chain of custody."),
        request={"multipart/form-data": rs.EvidenceSerializer, "application/json": rs.EvidenceSerializer},
        responses={201: rs.EvidenceSerializer, **BAD_INPUT}),
)
class EvidenceViewSet(IncidentChildMixin, ServiceCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    model = Evidence
    related = ("collected_by",)
    serializer_class = rs.EvidenceSerializer
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]
    create_service = staticmethod(services.evidence_add)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("custody__actor")

    @post_action("Verify the stored file against its recorded SHA-256", None, rs.EvidenceVerificationSerializer)
    def verify(self, request, reference=None, pk=None):
        evidence = self.get_object()
        verified = services.evidence_verify(actor=request.user, evidence=evidence)
        stored = self.get_queryset().get(pk=evidence.pk)
        return Response({"verified": verified, "evidence": rs.EvidenceSerializer(stored).data})


@extend_schema(parameters=[REFERENCE, EVIDENCE_ID])
@extend_schema_view(
    list=extend_schema(summary="Chain of custody of an evidence item"),
    create=extend_schema(summary="Record a hand-over, access or release of an evidence item",
                         responses={201: rs.CustodyEntrySerializer, **BAD_INPUT}),
)
class CustodyViewSet(IncidentChildMixin, ServiceCreateMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    model = CustodyEntry
    incident_path = "evidence__incident"
    related = ("actor",)
    serializer_class = rs.CustodyEntrySerializer
    create_service = staticmethod(services.custody_record)

    @cached_property
    def evidence(self) -> Evidence:
        return get_object_or_404(Evidence, pk=self.kwargs["evidence_id"], incident=self.incident)

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if getattr(self, "swagger_fake_view", False) else queryset.filter(evidence=self.evidence)

    def create_arguments(self, data):
        return {"evidence": self.evidence, **data}


@extend_schema(parameters=[REFERENCE])
@extend_schema_view(
    list=extend_schema(summary="Recovery validations of the incident"),
    retrieve=extend_schema(summary="One recovery validation", description=(
        "The `ETag` header carries its version, which a sign-off sends back.")),
    create=extend_schema(summary="Record a recovery validation (test outcomes)",
                         responses={201: rs.RecoveryValidationSerializer, **BAD_INPUT}),
    partial_update=extend_schema(summary="Update test outcomes or notes", description=(
        "A changed outcome clears both sign-offs (they were given for other results). Optionally send the "
        "`version` you read (body or `If-Match`): 409 when the validation changed since."),
        responses={200: rs.RecoveryValidationSerializer, **BAD_INPUT, **STALE_VALIDATION}),
)
class RecoveryValidationViewSet(IncidentChildMixin, ServiceCreateMixin, mixins.ListModelMixin,
                                mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    model = RecoveryValidation
    related = ("engineering_signoff_by", "compliance_signoff_by")
    serializer_class = rs.RecoveryValidationSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = staticmethod(services.recovery_validation_record)

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag(response.data["version"])
        return response

    def perform_update(self, serializer):
        validation = services.recovery_validation_update(
            actor=self.request.user, validation=serializer.instance,
            expected_version=validation_version(self.request, required=False), **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=validation.pk)

    @post_action("Sign off a recovery validation", rs.SignoffSerializer, rs.RecoveryValidationSerializer,
                 description=(
                     "Signs off as engineering lead (incident responder) or compliance lead (compliance officer), two "
                     "different people, once every test passed or does not apply. Send the `version` of the "
                     "validation you read (body or `If-Match`): 428 without it, 409 when it changed since (naming "
                     "who changed which fields and when); the sign-off applies to that version only."),
                 errors={**BAD_INPUT, **STALE_VALIDATION, **NO_VALIDATION_VERSION})
    def signoff(self, request, reference=None, pk=None):
        validation = self.get_object()
        version = validation_version(request, required=True)
        as_role = self.payload(rs.SignoffSerializer)["as_role"]
        response = self.respond(services.recovery_signoff(actor=request.user, validation=validation,
                                                          as_role=as_role, expected_version=version))
        response["ETag"] = etag(response.data["version"])
        return response


@extend_schema(parameters=[REFERENCE])
class ReviewView(IncidentChildMixin, APIView):
    """The post-incident review of an incident: one per incident, created or updated with PUT."""

    model = PostIncidentReview
    serializer_class = rs.PostIncidentReviewSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("reviewed_by").prefetch_related("action_items__owner")

    def get_serializer_context(self):
        return {"request": self.request, "view": self}

    def stored(self):
        review = self.get_queryset().first()
        if review is None:
            raise NotFound(f"{self.incident.reference} has no post-incident review yet; record it with PUT.")
        return rs.PostIncidentReviewSerializer(review).data

    @extend_schema(summary="The post-incident review", responses={200: rs.PostIncidentReviewSerializer,
                                                                   404: OpenApiResponse(description="No review yet.")})
    def get(self, request, reference=None):
        return Response(self.stored())

    @extend_schema(summary="Record or update the post-incident review", request=rs.PostIncidentReviewSerializer,
                   responses={200: rs.PostIncidentReviewSerializer, **BAD_INPUT})
    def put(self, request, reference=None):
        data = self.payload(rs.PostIncidentReviewSerializer)
        services.review_record(actor=request.user, incident=self.incident, **data)
        return Response(self.stored())


@extend_schema(parameters=[REFERENCE])
@extend_schema_view(
    list=extend_schema(summary="Action items of the post-incident review"),
    create=extend_schema(summary="Add an action item to the post-incident review",
                         responses={201: rs.ActionItemSerializer, **BAD_INPUT}),
)
class ActionItemViewSet(IncidentChildMixin, ServiceCreateMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    model = ActionItem
    incident_path = "review__incident"
    related = ("owner",)
    serializer_class = rs.ActionItemSerializer
    create_service = staticmethod(services.action_item_add)

    def create_arguments(self, data):
        review = PostIncidentReview.objects.filter(incident=self.incident).first()
        if review is None:
            raise DjangoValidationError({"review": f"{self.incident.reference} has no post-incident review yet; "
                                                   "record it first (PUT .../review/)."})
        return {"review": review, **data}

    @post_action("Complete an action item", None, rs.ActionItemSerializer)
    def complete(self, request, reference=None, pk=None):
        return self.respond(services.action_item_complete(actor=request.user, item=self.get_object()))
