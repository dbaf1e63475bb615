"""Shared pieces of the reporting admin: calling a service so a refusal becomes a form error or a message, and
the intermediate page an action shows when it needs more input (a reason, a note)."""

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse

from portal.core.admin import call

__all__ = ["NoteForm", "ReasonForm", "call", "intermediate", "refusal_text", "run_for_each"]


def refusal_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{'' if f == '__all__' else f.replace('_', ' ') + ': '}{m}"
                        for f, errs in error.error_dict.items() for e in errs for m in e.messages)
    return " ".join(error.messages)


def run_for_each(model_admin, request, queryset, label, fn):
    """Apply `fn(obj)` to each selected object; report successes and refusals per object."""
    done = 0
    for obj in queryset:
        try:
            fn(obj)
            done += 1
        except ValidationError as exc:
            model_admin.message_user(request, f"{obj}: {refusal_text(exc)}", messages.ERROR)
    if done:
        model_admin.message_user(request, f"{label}: {done} done.", messages.SUCCESS)


def intermediate(model_admin, request, queryset, *, action, title, form_class, intro="", submit="Confirm"):
    """Show `form_class` for the selected objects; on its confirmed POST return the valid form, else a response.

    Returns (form, None) when the user confirmed with valid input, or (None, response) to show the page.
    """
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            return form, None
    else:
        form = form_class()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title, "intro": intro, "form": form, "objects": list(queryset), "action": action,
        "submit": submit, "opts": model_admin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return None, TemplateResponse(request, "reporting/admin/action_form.html", context)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), required=False,
                             label="Reason for the correction",
                             help_text="Needed when a version was already issued: the new version supersedes it.")


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), required=True,
                           label="Note to compliance")
