"""Who answers for the AI systems: teams, RACI assignments and escalation steps."""

from django.contrib import admin

from inventory import selectors
from inventory.forms import EscalationStepForm, RaciAssignmentForm, TeamForm
from inventory.models import EscalationStep, RaciAssignment, Team
from portal.core.admin import ServiceModelAdmin


@admin.register(Team)
class TeamAdmin(ServiceModelAdmin):
    form = TeamForm
    list_display = ["name", "email", "member_names", "system_count"]
    search_fields = ["name", "email"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return selectors.team_list()

    @admin.display(description="members")
    def member_names(self, obj):
        return ", ".join(sorted(user.get_username() for user in obj.members.all()))

    @admin.display(description="systems owned", ordering="system_count")
    def system_count(self, obj):
        return obj.system_count


class AssigneeAdmin(ServiceModelAdmin):
    autocomplete_fields = ["system", "user", "team"]

    def get_readonly_fields(self, request, obj=None):
        # A row stays with its system; assign on the other system instead.
        return ["system"] if obj is not None else []

    @admin.display(description="assignee")
    def assignee(self, obj):
        return obj.assignee_label


@admin.register(RaciAssignment)
class RaciAssignmentAdmin(AssigneeAdmin):
    form = RaciAssignmentForm
    list_display = ["system", "activity", "role", "assignee"]
    list_filter = ["activity", "role", ("system", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["system__name", "user__username", "user__last_name", "team__name"]

    def get_queryset(self, request):
        return selectors.raci_list()


@admin.register(EscalationStep)
class EscalationStepAdmin(AssigneeAdmin):
    form = EscalationStepForm
    list_display = ["system", "severity", "order", "assignee", "acknowledge_within_minutes"]
    list_filter = ["severity", ("system", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["system__name", "user__username", "user__last_name", "team__name"]

    def get_queryset(self, request):
        return selectors.escalation_list()
