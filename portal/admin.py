"""The admin site shell: the portal's name, and who may search related rows in autocomplete fields.

Django lets a user search a related model in an autocomplete field only with the view permission on that model.
A compliance officer assigning a RACI role or a team member needs to find users without being allowed to browse
the user admin, so the portal also allows the search to anyone who may add or change the model whose field it is:
the same names a plain drop-down on that form would list.

API tokens are created (their key shown once) and revoked here, and users are deactivated rather than deleted; see
the sections at the end.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from portal.core import tokens, users
from portal.core.admin import ConfidentialFieldsAdmin, DeleteRefusalMixin
from portal.core.jobs.admin import JobAdmin
from portal.core.models import ApiToken, Job, TokenScope

SITE_NAME = "AI Incident Governance Portal"

admin.site.site_header = SITE_NAME
admin.site.site_title = SITE_NAME
admin.site.index_title = "Governance records"
# Lists get the whole width: the app list is one click away (Home), and a 1,440-px screen shows a list's columns
# without scrolling sideways.
admin.site.enable_nav_sidebar = False


class PortalAutocompleteJsonView(AutocompleteJsonView):
    def has_perm(self, request, obj=None):
        if super().has_perm(request, obj):
            return True
        try:
            source_admin = self.admin_site.get_model_admin(self.source_field.model)
        except NotRegistered:
            return False
        return source_admin.has_add_permission(request) or source_admin.has_change_permission(request)


def autocomplete_view(request):
    return PortalAutocompleteJsonView.as_view(admin_site=admin.site)(request)


admin.site.autocomplete_view = autocomplete_view

_admin_login = admin.site.login


def login(request, extra_context=None):
    """The admin's sign-in; someone who signed in without asking for a page lands where their role starts
    (`portal.views.landing`: leadership on the governance dashboard)."""
    from portal.views import landing

    response = _admin_login(request, extra_context)
    asked = request.POST.get("next") or request.GET.get("next") or ""
    if (request.method == "POST" and request.user.is_authenticated and isinstance(response, HttpResponseRedirect)
            and asked in ("", reverse("admin:index"))):
        return HttpResponseRedirect(reverse(landing(request.user)))
    return response


admin.site.login = login
admin.site.index_template = "admin/portal_index.html"

_admin_index = admin.site.index


def index(request, extra_context=None):
    """The admin home, with the user's own recent work from the portal's timelines (`portal.recent_actions`)."""
    from portal.recent_actions import recent_actions

    return _admin_index(request, {**(extra_context or {}), "recent_actions": recent_actions(request.user)})


admin.site.index = index


# --- API tokens ---------------------------------------------------------------------------------------------------
# Superusers (and whoever is given the `core.*_apitoken` permissions; no role is) create tokens here. The key is
# shown once, on the page that answers the creation (never stored, never put in a message cookie), and the token
# is revoked by the list action; a token is never edited or deleted, so its record and history stay.


class ApiTokenCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple,
        help_text="read: GET; write: POST, PUT, PATCH, DELETE; alert intake: POST /api/v1/alerts/ only.",
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes", "expires_at"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("user") is not None:
            tokens.check_token_request(user=cleaned["user"], expires_at=cleaned.get("expires_at"))
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(ConfidentialFieldsAdmin, admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "scope_list", "created_at", "last_used_at", "expires_at", "state"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    actions = ["revoke"]
    readonly_fields = ["user", "name", "prefix", "scope_list", "created_at", "created_by", "last_used_at",
                       "expires_at", "revoked_at", "revoked_by", "state"]
    autocomplete_fields = ["user"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ApiTokenCreateForm.Meta.fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    # A token is never edited or deleted: it is revoked. The change permission is what the revoke action needs.
    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    @admin.display(description="state")
    def state(self, obj):
        if obj.revoked_at:
            return "revoked"
        return "expired" if obj.is_expired else "active"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        token, raw_key = tokens.api_token_create(actor=request.user, user=data["user"], name=data["name"],
                                                 scopes=data["scopes"], expires_at=data.get("expires_at"))
        obj.__dict__.update({k: v for k, v in token.__dict__.items() if k != "_state"})
        obj._state.adding = False
        request._api_token_key = raw_key

    def response_add(self, request, obj, post_url_continue=None):
        response = TemplateResponse(request, "admin/core/apitoken/key_created.html", {
            **self.admin_site.each_context(request), "title": "API token created", "token": obj,
            "raw_key": request._api_token_key, "opts": self.model._meta,
        })
        add_never_cache_headers(response)  # the key must not stay in any cache
        return response

    @admin.action(permissions=["change"], description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.api_token_revoke(actor=request.user, token=token)
            revoked += 1
        self.message_user(request, f"{revoked} token(s) revoked; they stop working at once.", messages.SUCCESS)


# --- users ----------------------------------------------------------------------------------------------------------
# Superusers manage users here. A user any record names (incidents, obligations, documents, disclosure decisions,
# history rows, RACI, escalation, API tokens, teams, admin log entries) is not deleted: the delete page and the bulk
# action show what names them and offer deactivation (`portal.core.users`). Deactivation is logged as an admin log
# entry (who, when), shown on the user's history page; the user model has no history table of its own.

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(DeleteRefusalMixin, ConfidentialFieldsAdmin, UserAdmin):
    actions = ["deactivate_selected", "delete_selected"]
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser"]
    delete_alternative = "deactivate_selected"
    delete_alternative_label = "Deactivate instead"

    def delete_refusal(self, request, obj):
        try:
            users.user_delete_check(user=obj)
        except ValidationError as refusal:
            return refusal
        return None

    def delete_model(self, request, obj):
        users.user_delete(actor=request.user, user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as refusal:  # named by a record since the page was shown
            self.message_user(request, f"Not deleted: {' '.join(refusal.messages)}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:auth_user_change", args=[object_id]))

    @admin.action(permissions=["change"], description="Deactivate selected users (they can no longer sign in)")
    def deactivate_selected(self, request, queryset):
        done, refused = [], []
        for user in queryset:
            try:
                if users.user_deactivate(actor=request.user, user=user):
                    done.append(user.get_username())
            except ValidationError as refusal:
                refused.append(" ".join(refusal.messages))
        if done:
            self.message_user(request, f"Deactivated: {', '.join(done)}. They can no longer sign in or use their API "
                                       "tokens; every record keeps naming them.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, f"Not deactivated: {reason}", messages.ERROR)
        if not done and not refused:
            self.message_user(request, "The selected users were inactive already.", messages.INFO)


# --- jobs -----------------------------------------------------------------------------------------------------------
# The job list and job page (portal.core.jobs.admin): every staff user sees the jobs they may see.
admin.site.register(Job, JobAdmin)
