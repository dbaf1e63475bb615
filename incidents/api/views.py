"""The incident REST API: thin adapters over `incidents.selectors` (reads) and `incidents.services` (writes).

Permissions are the role model permissions set globally (`RoleModelPermissions`): compliance officers and incident
responders read and write, legal reviewers, leadership and auditors read, anonymous users get nothing. Incidents
are never deleted and never replaced wholesale: no DELETE, no PUT. Every write calls a service with
`actor=request.user`, so history and timeline name the user for session and token requests alike.

Optimistic locking (see `preconditions.py`): the detail response carries `ETag: "<version>"`; PATCH and
transitions name the version they were based on (body `version` or `If-Match`), else 428; a stale one gets 409.
"""

import functools

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents import blast, selectors, services
from incidents.api import filters, serializers
from incidents.api.preconditions import etag, expected_version
from incidents.models import (
    ActionItem,
    ChecklistItem,
    ContainmentAction,
    CustodyEntry,
    Evidence,
    Incident,
    RecoveryValidation,
    TimelineEvent,
)
from inventory.api.views import ServiceModelViewSet
from portal.core import json_sets
from portal.core.api import ConfidentialFilterBackend, ConfidentialSearchFilter
from portal.core.api_pagination import PageOrCursorPagination, TieBreakingOrderingFilter
from portal.core.json_sets import JsonSet

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Bad input: the body names each field and the rule it breaks."),
    409: OpenApiResponse(description="Stale version: the incident was changed since you read it (the message "
                                     "names who and when); reload and apply your change again."),
    428: OpenApiResponse(description="No version sent: send `version` or `If-Match: \"<version>\"`."),
}

# The response records the detail shows, each carried in the incident's own query as a JSON array with the users
# (and target system) it names: the incident, its commander, its review and every kind of response record are one
# query, whatever kinds the incident has (`portal.core.json_sets`). Custody and action items come after the evidence
# and the review they belong to.
USERNAME = ("username",)
RESPONSE_RECORDS = (
    JsonSet("timeline", TimelineEvent, "incident", related={"actor": USERNAME}),
    JsonSet("checklist", ChecklistItem, "incident", related={"done_by": USERNAME}),
    JsonSet("containment_actions", ContainmentAction, "incident", related={
        "target_system": ("slug",), "performed_by": USERNAME, "reverted_by": USERNAME}),
    JsonSet("evidence", Evidence, "incident", related={"collected_by": USERNAME}),
    JsonSet("custody", CustodyEntry, "evidence__incident", owner="evidence", related={"actor": USERNAME}),
    JsonSet("recovery_validations", RecoveryValidation, "incident", related={
        "engineering_signoff_by": USERNAME, "compliance_signoff_by": USERNAME}),
    JsonSet("action_items", ActionItem, "review__incident", owner="review", related={"owner": USERNAME}),
)


@functools.cache
def _detail_queryset():
    """The incident query of the detail, its expressions resolved once per process (a queryset is cloned, never
    changed, by the filter applied to it)."""
    queryset = selectors.with_sla_state(Incident.objects.select_related("commander", "review__reviewed_by"))
    return blast.with_ledger_figures(json_sets.annotate(queryset, RESPONSE_RECORDS))


def incident_for_detail(reference: str) -> Incident:
    """The incident with everything the detail shows, or 404, in two queries: the incident with its commander,
    review, every kind of response record and its ledger counts (`incidents.blast`), then the sets it names
    (systems, components, taxonomies, jurisdictions)."""
    incident = get_object_or_404(_detail_queryset(), reference=reference)
    json_sets.attach(incident, RESPONSE_RECORDS)
    selectors.incident_named_sets(incident)
    return incident


def _renamed(error: DjangoValidationError, old: str, new: str) -> DjangoValidationError:
    if hasattr(error, "error_dict") and old in error.error_dict:
        error.error_dict[new] = error.error_dict.pop(old)
    return error


@extend_schema_view(
    list=extend_schema(summary="Incidents", description=(
        "Filter by status, severity, class, track, SLA state, affected system (slug), open=true/false and "
        "detection time; search by reference and title; order by detection time, severity, status, SLA due "
        "time, reference or update time (ties newest detected first, reversed with `-`; no SLA due time sorts "
        "last). Newest detected first by default.\n\n"
        "Two ways to page, each as fast on page 2,000 as on page 1: `?page=N` (with `count`, an estimate "
        "flagged by `count_is_estimate` for the unfiltered list on PostgreSQL) for a user moving between pages, "
        "and `?cursor=` (empty to start, then the `next` links; no count) for a client reading the whole list: "
        "each incident exactly once.")),
    retrieve=extend_schema(summary="One incident", description=(
        "With its timeline, checklist, containment actions, evidence, recovery validations, review, SLA targets "
        "and response times. The `ETag` header carries its version, for `If-Match` on changes.")),
    create=extend_schema(summary="Open an incident", description=(
        "Opens the incident in status detected, with its reference, SLA due times, the runbook of its class as "
        "checklist and an `opened` timeline event.")),
    partial_update=extend_schema(summary="Change facts of an incident", description=(
        "Send the `version` you read (in the body or as `If-Match: \"<version>\"`): without it the change is "
        "refused with 428 Precondition Required; if the incident changed since, with 409 Conflict naming who "
        "changed it and when. The status changes only through `transition/`."), responses={
        200: serializers.IncidentDetailSerializer, **ERROR_RESPONSES}),
)
class IncidentViewSet(ServiceModelViewSet):
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = filters.IncidentFilter
    filter_backends = [ConfidentialFilterBackend, ConfidentialSearchFilter, TieBreakingOrderingFilter]
    pagination_class = PageOrCursorPagination
    search_fields = ["reference", "title"]
    ordering_fields = ["reference", "detected_at", "severity", "status", "sla_next_due_at", "updated_at"]
    ordering = ["-detected_at", "-id"]
    create_service = staticmethod(services.incident_open)
    update_service = staticmethod(services.incident_update)
    instance_argument = "incident"

    def get_queryset(self):
        return selectors.incident_list()

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.IncidentSerializer
        return serializers.IncidentDetailSerializer

    def get_object(self):
        if self.action != "retrieve":
            return super().get_object()
        incident = incident_for_detail(self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, incident)
        return incident

    def refetched(self, instance):
        return incident_for_detail(instance.reference)

    def create_arguments(self, validated_data):
        return {k: v for k, v in validated_data.items() if k != "version"}

    def update_arguments(self, instance, validated_data):
        changes = {k: v for k, v in validated_data.items() if k != "version"}
        return {**changes, "expected_version": self.expected}

    def partial_update(self, request, *args, **kwargs):
        self.expected = expected_version(request)  # 428 before anything else when no version is named
        return super().partial_update(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if 200 <= response.status_code < 300 and isinstance(data, dict) and {"reference", "version"} <= set(data):
            response["ETag"] = etag(data["version"])
        return response

    @extend_schema(summary="Move an incident through its lifecycle", description=(
        "detected -> triaged -> contained -> investigating -> recovering -> review -> closed; dismissed from "
        "detected or triaged (with a note saying why). Refused with 400 naming the allowed next states or the "
        "missing guard (signed recovery validation, post-incident review). Needs the version you read, like PATCH."),
        request=serializers.TransitionSerializer,
        responses={200: serializers.IncidentDetailSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request, reference=None):
        incident = self.get_object()
        version = expected_version(request)
        payload = serializers.TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            services.incident_transition(actor=request.user, incident=incident, to=data["to"], note=data["note"],
                                         at=data.get("at"), expected_version=version)
        except DjangoValidationError as exc:
            raise _renamed(exc, "status", "to") from exc
        detail = serializers.IncidentDetailSerializer(self.refetched(incident), context=self.get_serializer_context())
        return Response(detail.data)

    @extend_schema(summary="Add a note to the timeline", request=serializers.NoteSerializer,
                   responses={201: serializers.TimelineEventSerializer, 400: ERROR_RESPONSES[400]})
    @action(detail=True, methods=["post"], filter_backends=[])
    def notes(self, request, reference=None):
        incident = self.get_object()
        payload = serializers.NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        event = services.incident_note(actor=request.user, incident=incident, text=payload.validated_data["text"])
        return Response(serializers.TimelineEventSerializer(event).data, status=status.HTTP_201_CREATED)
