"""The admin site shell: the portal's name, and who may search related rows in autocomplete fields.

Django lets a user search a related model in an autocomplete field only with the view permission on that model.
A compliance officer assigning a RACI role or a team member needs to find users without being allowed to browse
the user admin, so the portal also allows the search to anyone who may add or change the model whose field it is:
the same names a plain drop-down on that form would list.
"""

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.views.autocomplete import AutocompleteJsonView

SITE_NAME = "AI Incident Governance Portal"

admin.site.site_header = SITE_NAME
admin.site.site_title = SITE_NAME
admin.site.index_title = "Governance records"


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
