"""Who answers for the AI systems: teams, RACI assignments and escalation steps."""

from django.contrib import admin, messages
from django.db import transaction

from inventory import selectors
from inventory.forms import EscalationStepForm, RaciAssignmentForm, TeamForm
from inventory.models import EscalationStep, RaciAssignment, Team
from portal.core.admin import ServiceModelAdmin, ServiceRefused, writes_for


class TeamStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("retired", "Retired")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(retired_at__isnull=True)
        if self.value() == "retired":
            return queryset.filter(retired_at__isnull=False)
        return queryset


@admin.register(Team)
class TeamAdmin(ServiceModelAdmin):
    form = TeamForm
    list_display = ["name", "email", "member_names", "system_count", "retired_at"]
    list_filter = [TeamStateFilter]
    search_fields = ["name", "email"]
    filter_horizontal = ["members"]
    readonly_fields = ["retired_at"]
    # A team that answers for systems incidents refer to is retired, not deleted; a retired team takes no new
    # assignment until it is reinstated.
    actions = ["delete_selected", "retire_selected", "reinstate_selected"]
    retire_changes = {"retired": True}
    delete_alternative = "retire_selected"
    delete_alternative_label = "Retire it instead"

    def get_queryset(self, request):
        return selectors.team_list()

    @admin.action(permissions=["change"], description="Reinstate selected teams")
    def reinstate_selected(self, request, queryset):
        writes = writes_for(Team)
        rows = list(Team.objects.filter(pk__in=[team.pk for team in queryset]))
        try:
            with transaction.atomic():
                for team in rows:
                    writes.do_update(actor=request.user, instance=team, changes={"retired": False})
        except ServiceRefused as refused:
            self.message_user(request, f"Nothing was reinstated: {refused.message}", messages.ERROR)
            return
        self.message_user(request, f"Reinstated: {', '.join(map(str, rows))}.", messages.SUCCESS)

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
