"""The inventory REST API: thin adapters over the selectors (reads) and the services (writes).

Permissions are the role model permissions set globally (`RoleModelPermissions`: view_* to read, add_*,
change_*, delete_* to write). Every write calls an inventory service with `actor=request.user`, so the history
row and the timeline event name the user whether the request used a session or a token. A service's
`ValidationError` becomes a 400 naming the field (`portal.core.api.exception_handler`).

DELETE of a row that records still refer to (an AI system named on an incident, a component in use, a team that
answers for such a system) is refused with 409 Conflict: the message names what refers to it and the alternative
(retire: PATCH `lifecycle`/`status` to `retired`, or `retired: true` for a team), and nothing is deleted.
"""

from django.db.models import ProtectedError
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from inventory import selectors, services
from inventory.api import filters, serializers
from inventory.models import AISystem, Jurisdiction
from portal.core.api import FILTER_BACKENDS


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The record is still referenced by other records."
    default_code = "conflict"


class ServiceModelViewSet(viewsets.ModelViewSet):
    """A model viewset whose writes go through inventory services.

    Subclasses name the services (`create_service`, `update_service`, `delete_service`, as staticmethods) and
    the keyword under which update and delete services take the instance (`instance_argument`).
    """

    filter_backends = FILTER_BACKENDS  # filters, search and ordering that honour the confidential fields
    create_service = None
    update_service = None
    delete_service = None
    instance_argument = ""

    def create_arguments(self, validated_data):
        return dict(validated_data)

    def update_arguments(self, instance, validated_data):
        return dict(validated_data)

    def refetched(self, instance):
        """The written row again, read through the list selector so the response carries its annotations."""
        return self.get_queryset().get(pk=instance.pk)

    def perform_create(self, serializer):
        instance = self.create_service(actor=self.request.user, **self.create_arguments(serializer.validated_data))
        serializer.instance = self.refetched(instance)

    def perform_update(self, serializer):
        instance = self.update_service(
            actor=self.request.user,
            **{self.instance_argument: serializer.instance},
            **self.update_arguments(serializer.instance, serializer.validated_data),
        )
        serializer.instance = self.refetched(instance)

    def perform_destroy(self, instance):
        try:
            self.delete_service(actor=self.request.user, **{self.instance_argument: instance})
        except ProtectedError as exc:
            blocking = sorted({str(obj) for obj in exc.protected_objects})[:10]
            raise Conflict(f"{instance} is still referenced by: {'; '.join(blocking)}.") from exc


@extend_schema_view(
    list=extend_schema(summary="AI systems", description="Filter by risk class, lifecycle, operator role, "
                       "deployment kind, jurisdiction code and readiness gaps; search by name, slug and purpose."),
    retrieve=extend_schema(summary="One AI system with its readiness gaps, components, RACI and escalation path"),
)
class AISystemViewSet(ServiceModelViewSet):
    lookup_field = "slug"
    filterset_class = filters.AISystemFilter
    search_fields = ["name", "slug", "purpose"]
    ordering_fields = ["name", "slug", "risk_class", "lifecycle", "component_count", "created_at", "updated_at"]
    ordering = ["name", "slug"]
    create_service = staticmethod(services.ai_system_create)
    update_service = staticmethod(services.ai_system_update)
    delete_service = staticmethod(services.ai_system_delete)
    instance_argument = "system"

    def get_queryset(self):
        return selectors.system_list()

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.AISystemSerializer
        return serializers.AISystemDetailSerializer

    def get_object(self):
        if self.action != "retrieve":
            return super().get_object()
        try:
            system = selectors.system_detail(self.kwargs[self.lookup_field])
        except AISystem.DoesNotExist as exc:
            raise Http404("No AI system with this slug.") from exc
        self.check_object_permissions(self.request, system)
        return system

    def refetched(self, instance):
        return selectors.system_detail(instance.slug)


class ComponentViewSet(ServiceModelViewSet):
    filterset_class = filters.ComponentFilter
    search_fields = ["name", "group", "version", "supplier", "purl", "bom_ref", "description"]
    ordering_fields = ["kind", "name", "version", "supplier", "status", "system_count", "created_at", "updated_at"]
    ordering = ["kind", "name", "version", "id"]
    serializer_class = serializers.ComponentSerializer
    create_service = staticmethod(services.component_create)
    update_service = staticmethod(services.component_update)
    delete_service = staticmethod(services.component_delete)
    instance_argument = "component"

    def get_queryset(self):
        return selectors.component_list()

    @extend_schema(
        summary="Blast radius: the AI systems that reach this component",
        description="Every AI system that uses the component directly or through the dependency graph "
                    "(transitively), with its owner team and the Accountable for owning it.",
        filters=False,
        responses=serializers.BlastRadiusSystemSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="blast-radius", pagination_class=None, filter_backends=[])
    def blast_radius(self, request, pk=None, format=None):  # `format`: the `blast-radius.json` route
        component = self.get_object()
        systems = selectors.systems_affected_by_component(component)
        return Response(serializers.BlastRadiusSystemSerializer(systems, many=True).data)


class SystemComponentViewSet(ServiceModelViewSet):
    filterset_class = filters.SystemComponentFilter
    search_fields = ["system__name", "system__slug", "component__name", "usage"]
    ordering_fields = ["id", "usage", "is_active"]
    ordering = ["system__name", "id"]
    serializer_class = serializers.SystemComponentSerializer
    create_service = staticmethod(services.system_component_attach)
    update_service = staticmethod(services.system_component_update)
    delete_service = staticmethod(services.system_component_detach)
    instance_argument = "link"

    def get_queryset(self):
        return selectors.system_component_list()

    def update_arguments(self, instance, validated_data):
        # A link keeps its ends (the serializer refuses a change); only the use is updated.
        return {k: v for k, v in validated_data.items() if k not in ("system", "component")}


class ComponentDependencyViewSet(ServiceModelViewSet):
    filterset_class = filters.DependencyFilter
    search_fields = ["component__name", "depends_on__name"]
    ordering_fields = ["id", "relation"]
    ordering = ["component_id", "depends_on_id", "id"]
    serializer_class = serializers.ComponentDependencySerializer
    create_service = staticmethod(services.dependency_add)
    update_service = staticmethod(services.dependency_update)
    delete_service = staticmethod(services.dependency_remove)
    instance_argument = "edge"

    def get_queryset(self):
        return selectors.dependency_list()

    def update_arguments(self, instance, validated_data):
        return {"relation": validated_data.get("relation", instance.relation)}


class TeamViewSet(ServiceModelViewSet):
    filterset_class = filters.TeamFilter
    search_fields = ["name", "email"]
    ordering_fields = ["name", "system_count"]
    ordering = ["name"]
    serializer_class = serializers.TeamSerializer
    create_service = staticmethod(services.team_create)
    update_service = staticmethod(services.team_update)
    delete_service = staticmethod(services.team_delete)
    instance_argument = "team"

    def create_arguments(self, validated_data):
        return {k: v for k, v in validated_data.items() if k != "retired"}  # a new team is active

    def get_queryset(self):
        return selectors.team_list()


@extend_schema_view(list=extend_schema(summary="RACI assignments",
                                       description="Who is Responsible, Accountable, Consulted and Informed per AI "
                                                   "system and activity; exactly one Accountable per pair."))
class RaciAssignmentViewSet(ServiceModelViewSet):
    filterset_class = filters.RaciFilter
    search_fields = ["system__name", "system__slug", "user__username", "team__name"]
    ordering_fields = ["activity", "role", "id"]
    ordering = ["system__name", "activity", "role", "id"]
    serializer_class = serializers.RaciAssignmentSerializer
    create_service = staticmethod(services.raci_assign)
    update_service = staticmethod(services.raci_update)
    delete_service = staticmethod(services.raci_remove)
    instance_argument = "assignment"

    def get_queryset(self):
        return selectors.raci_list()


class EscalationStepViewSet(ServiceModelViewSet):
    filterset_class = filters.EscalationStepFilter
    search_fields = ["system__name", "system__slug", "user__username", "team__name"]
    ordering_fields = ["severity", "order", "acknowledge_within_minutes"]
    ordering = ["system__name", "severity", "order", "id"]
    serializer_class = serializers.EscalationStepSerializer
    create_service = staticmethod(services.escalation_step_create)
    update_service = staticmethod(services.escalation_step_update)
    delete_service = staticmethod(services.escalation_step_delete)
    instance_argument = "step"

    def get_queryset(self):
        return selectors.escalation_list()


class JurisdictionViewSet(viewsets.ReadOnlyModelViewSet):
    """Reference data (ISO codes), loaded by a migration; read only."""

    lookup_field = "code"
    queryset = Jurisdiction.objects.all()
    serializer_class = serializers.JurisdictionSerializer
    filterset_fields = ["eu_member", "eea_member"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]


class InventoryEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The inventory timeline: append-only, read only."""

    serializer_class = serializers.InventoryEventSerializer
    filterset_class = filters.InventoryEventFilter
    search_fields = ["summary"]
    ordering_fields = ["at", "kind"]
    ordering = ["-at", "-id"]

    def get_queryset(self):
        return selectors.event_list()
