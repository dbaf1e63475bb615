"""Actions on the record's own page: the admin actions a list offers, as buttons on one object's page.

A user who opens an obligation, a disclosure decision or a document finds what can be done to it there (issue the
notification, approve, verify, download the latest PDF) instead of having to go back to the list, tick the row and
pick an action. Each button runs the same admin action as the list, on a queryset of that one object, so the same
permission check, confirmation page (with the version the page showed) and service apply:

- `object_actions` maps the admin actions offered as buttons to their labels; a button appears only when the user
  may run the action (`get_actions` applies the action's permissions) and it applies to the object in its current
  state (`object_action_applies`);
- a button is a POST form to `<object id>/do/<action>/`: an action that asks first shows its confirmation page,
  whose Cancel leads back to the object's page; one that finished returns to the object's page with its message;
- `object_links` adds plain links (a download) beside the buttons.
"""

from dataclasses import dataclass

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse


@dataclass(frozen=True)
class ObjectButton:
    label: str
    url: str
    post: bool = True  # a form posting to the action; False: a plain link (a download)
    primary: bool = False


class ObjectActionsMixin:
    """Offer some of a model admin's actions as buttons on the object's change (or view) page."""

    object_actions: dict[str, str] = {}  # action name -> the button's label
    primary_object_action: str = ""
    change_form_template = "admin/portal/object_actions_change_form.html"

    def object_action_applies(self, request, obj, name) -> bool:
        """Whether the action `name` makes sense for `obj` now (e.g. approve only what awaits approval)."""
        return True

    def object_links(self, request, obj) -> list[ObjectButton]:
        """Links shown beside the buttons (e.g. the latest PDF); none by default."""
        return []

    def object_buttons(self, request, obj) -> list[ObjectButton]:
        if obj is None:
            return []
        offered = self.get_actions(request)
        opts = self.model._meta
        buttons = []
        for name, label in self.object_actions.items():
            if name not in offered or not self.object_action_applies(request, obj, name):
                continue
            buttons.append(ObjectButton(
                label=label,
                url=reverse(f"admin:{opts.app_label}_{opts.model_name}_object_action", args=[obj.pk, name]),
                primary=name == self.primary_object_action))
        return [*buttons, *self.object_links(request, obj)]

    def get_urls(self):
        opts = self.model._meta
        return [path("<path:object_id>/do/<str:action>/", self.admin_site.admin_view(self.object_action_view),
                     name=f"{opts.app_label}_{opts.model_name}_object_action"), *super().get_urls()]

    def object_action_view(self, request, object_id, action):
        offered = self.get_actions(request)
        if action not in self.object_actions or action not in offered:
            raise PermissionDenied
        if request.method != "POST":  # a button posts; a link followed by hand changes nothing
            return HttpResponseRedirect(self._object_url(object_id))
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such record.")
        if not self.object_action_applies(request, obj, action):
            self.message_user(request, f"{self.object_actions[action]}: not possible for {obj} in its current "
                                       "state.", level="error")
            return HttpResponseRedirect(self._object_url(obj.pk))
        request.object_page_url = self._object_url(obj.pk)  # the confirmation page's Cancel leads back here
        func = offered[action][0]
        response = func(self, request, self.get_queryset(request).filter(pk=obj.pk))
        return response if response is not None else HttpResponseRedirect(self._object_url(obj.pk))

    def _object_url(self, object_id):
        return reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_change",
                       args=[object_id])

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["object_buttons"] = self.object_buttons(request, obj) if change else []
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

