"""The admin lists behind each figure: changelist URLs with the filters the admin accepts.

Parameters are either the admin's own list filters (`severity__exact`, `status__exact`, `risk_class__exact`,
`sla`, `due`, `status` of obligations) or lookups on the model's own fields, which the admin also accepts
(`status__in`, `inference_logging__exact`, `kill_switch_procedure__exact`, `complete_inference_logs__exact`,
`containment_gaps__gt` on the annotation of `inventory.selectors.system_list`, `atlas_techniques__id__in`,
`csf_category__id__startswith`); `reporting/tests/dashboard/test_links.py` opens every one of them.
"""

from django.urls import reverse
from django.utils.http import urlencode

from incidents.lifecycle import OPEN_STATUSES
from incidents.sla import SlaState
from reporting.dashboard.selectors import ACTIVE_LIFECYCLES, COUNTED_STATUSES, HIGH_RISK_CLASSES


def changelist(name: str, **params) -> str:
    """The admin changelist `app_model` with `params` as its query string (lists joined with commas)."""
    url = reverse(f"admin:{name}_changelist")
    query = {key: ",".join(value) if isinstance(value, list | tuple) else value for key, value in params.items()}
    return f"{url}?{urlencode(query)}" if query else url


def change(name: str, pk) -> str:
    return reverse(f"admin:{name}_change", args=[pk])


# --- incidents --------------------------------------------------------------------------------------------------


def open_incidents(**params) -> str:
    return changelist("incidents_incident", status__in=OPEN_STATUSES, **params)


def open_incidents_of_severity(severity: str) -> str:
    return open_incidents(severity__exact=severity)


def incidents_in_status(status: str) -> str:
    return changelist("incidents_incident", status__exact=status)


def breached_incidents() -> str:
    return changelist("incidents_incident", sla=SlaState.BREACHED)


def incident(pk) -> str:
    return change("incidents_incident", pk)


def counted_incidents(**params) -> str:
    """Incidents that are not dismissed (the population of the response-time, coverage and logs figures)."""
    return changelist("incidents_incident", status__in=COUNTED_STATUSES, **params)


def incidents_with_inference_logs(value: str) -> str:
    """`value`: "1" complete, "0" incomplete."""
    return counted_incidents(complete_inference_logs__exact=value)


def incidents_of_tactic(tactic: str, techniques: list[str]) -> str:
    """Incidents classified with any of `techniques` (the techniques of the tactic in use); where none is in use,
    the tactic's techniques in the ATLAS reference list instead (no incident to list)."""
    if not techniques:
        return changelist("incidents_atlastechnique", tactics__id__exact=tactic)
    return counted_incidents(atlas_techniques__id__in=techniques)


# --- regulatory deadlines ---------------------------------------------------------------------------------------


def deadline_board(due: str | None = None) -> str:
    """The deadline board (open obligations, soonest first), optionally with its `due` filter: overdue, 24h, later,
    none."""
    return changelist("reporting_deadlineboardentry", **({"due": due} if due else {}))


def obligation(pk) -> str:
    return change("reporting_obligation", pk)


def submitted_obligations() -> str:
    return changelist("reporting_obligation", status__exact="submitted")


def filed_obligations(regime: str | None = None) -> str:
    """Obligations submitted that had a due time (the population of the on-time filing rate), of one regime."""
    return changelist("reporting_obligation", status__exact="submitted", submitted_at__isnull="False",
                      due_at__isnull="False", **({"regime__exact": regime} if regime else {}))


# --- inventory --------------------------------------------------------------------------------------------------


def systems(**params) -> str:
    """AI systems that are not retired (the population of the inventory figures)."""
    return changelist("inventory_aisystem", lifecycle__in=ACTIVE_LIFECYCLES, **params)


def systems_of_risk_class(risk_class: str) -> str:
    return systems(risk_class__exact=risk_class)


def high_risk_systems(**params) -> str:
    return systems(risk_class__in=HIGH_RISK_CLASSES, **params)


READINESS_GAP_PARAMS = {
    "no_inference_logging": {"inference_logging__exact": "0"},
    "no_kill_switch_procedure": {"kill_switch_procedure__exact": ""},
    "no_rollback_procedure": {"rollback_procedure__exact": ""},
    "no_containment_accountable": {"containment_gaps__gt": "0"},
}


def high_risk_systems_with_gap(gap: str) -> str:
    return high_risk_systems(**READINESS_GAP_PARAMS[gap])


# --- coverage ---------------------------------------------------------------------------------------------------


def runbook_steps_of_csf_function(function: str) -> str:
    """Runbook steps whose CSF category belongs to `function` (category ids are prefixed by the function's)."""
    return changelist("incidents_runbookstep", csf_category__id__startswith=f"{function}.")


def csf_categories_of_function(function: str) -> str:
    return changelist("incidents_csfcategory", function__id__exact=function)


# --- remediation ------------------------------------------------------------------------------------------------


def ledger_records(incident_id, state: str | None = None) -> str:
    """The remediation ledger's admin list of an incident's records (in a state): `incident__id__exact` and
    `state__exact`, the admin's own filters on the ledger list."""
    query = {"incident__id__exact": incident_id, **({"state__exact": state} if state else {})}
    return f"{reverse('admin:index')}remediation/affectedrecord/?{urlencode(query)}"
