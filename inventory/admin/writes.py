"""How the admin writes each inventory model: the service functions to call and the name they take the row by.

Services are looked up on `inventory.services` when called, so the admin always runs the current function.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from inventory import services
from inventory.models import (
    AISystem,
    Component,
    ComponentDependency,
    EscalationStep,
    RaciAssignment,
    SystemComponent,
    Team,
)


class ServiceRefused(Exception):
    """A service refused a write the form had accepted (a rule broken by a concurrent change, a row in use)."""

    def __init__(self, error: ValidationError):
        super().__init__("; ".join(error.messages))
        self.error = error

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Writes:
    create: str
    update: str
    delete: str
    keyword: str  # the keyword the update and delete services take the row by

    def do_create(self, *, actor, data: dict):
        return self._call(self.create, actor=actor, **data)

    def do_update(self, *, actor, instance, changes: dict):
        return self._call(self.update, actor=actor, **{self.keyword: instance}, **changes)

    def do_delete(self, *, actor, instance) -> None:
        self._call(self.delete, actor=actor, **{self.keyword: instance})

    @staticmethod
    def _call(service_name, /, **kwargs):
        try:
            return getattr(services, service_name)(**kwargs)
        except ValidationError as exc:
            raise ServiceRefused(exc) from exc


WRITES = {
    AISystem: Writes("ai_system_create", "ai_system_update", "ai_system_delete", "system"),
    Component: Writes("component_create", "component_update", "component_delete", "component"),
    SystemComponent: Writes("system_component_attach", "system_component_update", "system_component_detach", "link"),
    ComponentDependency: Writes("dependency_add", "dependency_update", "dependency_remove", "edge"),
    Team: Writes("team_create", "team_update", "team_delete", "team"),
    RaciAssignment: Writes("raci_assign", "raci_update", "raci_remove", "assignment"),
    EscalationStep: Writes("escalation_step_create", "escalation_step_update", "escalation_step_delete", "step"),
}


def writes_for(model) -> Writes:
    return WRITES[model]


def _writable_names(model) -> set[str]:
    opts = model._meta
    concrete = {f.name for f in opts.concrete_fields if not f.primary_key}
    return concrete | {f.name for f in opts.many_to_many}


def form_values(form, *, exclude=()) -> dict:
    """Every model field the form submitted (many-to-many included: the services take them by name)."""
    names = _writable_names(form._meta.model) - set(exclude)
    return {name: value for name, value in form.cleaned_data.items() if name in names}


def changed_values(form, *, exclude=()) -> dict:
    """The model fields the user changed, with their new values."""
    names = _writable_names(form._meta.model) - set(exclude)
    return {name: form.cleaned_data[name] for name in form.changed_data if name in names and name in form.cleaned_data}


def adopt(target, saved) -> None:
    """Make `target` (the object Django's admin holds) the row the service saved: same pk and field values."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db
