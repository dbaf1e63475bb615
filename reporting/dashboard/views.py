"""The governance dashboard (HTML) and its CSV export; both for leadership, compliance and legal only."""

from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from incidents.lifecycle import Status
from portal.core.choices import Severity
from remediation.states import State
from reporting.dashboard import csv, links, presenters, selectors
from reporting.dashboard.access import dashboard_access


@never_cache
@require_GET
@dashboard_access
def dashboard(request):
    metrics = selectors.dashboard_metrics()
    figures = presenters.dashboard_figures(metrics)
    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": "Governance dashboard",
        "metrics": metrics,
        "figures": figures,
        "charts": presenters.chart_data(figures),
        "open_incidents_url": links.open_incidents(),
        "breached_url": links.breached_incidents(),
        "breaches": [{**row, "url": links.incident(row["pk"]), "status_label": Status(row["status"]).label,
                      "severity_label": Severity(row["severity"]).label}
                     for row in metrics.sla_breaches["incidents"]],
        "deadline_board_url": links.deadline_board(),
        "overdue_url": links.deadline_board("overdue"),
        "due_24h_url": links.deadline_board("24h"),
        "soonest": [{**row, "url": links.obligation(row["pk"]), "incident_url": links.incident(row["incident_id"]),
                     "overdue": row["due_at"] < metrics.as_of} for row in metrics.deadlines["soonest"]],
        "high_risk_url": links.high_risk_systems(),
        "logs_url": links.incidents_with_inference_logs("1"),
        "logs_share": presenters.percent(metrics.inference_logs["share"]),
        "submitted_url": links.submitted_obligations(),
        "median_submission": presenters.hours_text(metrics.submission["median_hours"]),
        "filed_url": links.filed_obligations(),
        "on_time_share": presenters.percent(metrics.on_time_filing["share"]),
        "remediation": [{**row, "url": links.incident(row["pk"]), "records_url": links.ledger_records(row["pk"]),
                         "done_percent": f"{row['done'] * 100 // row['total']}%",  # as the report: 100% = all
                         "states": [{**state, "url": links.ledger_records(row["pk"], state["key"])}
                                    for state in row["states"]]}
                        for row in metrics.remediation],
        "remediation_states": [state.label for state in State],
        "measure_labels": presenters.MEASURE_LABELS,
        "summary_minutes": presenters.summary_minutes(),
    }
    return render(request, "reporting/dashboard/index.html", context)


@never_cache
@require_GET
@dashboard_access
def metrics_csv(request):
    metrics = selectors.dashboard_metrics()
    response = HttpResponse(csv.metrics_csv(metrics), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="governance-metrics-{metrics.as_of:%Y-%m-%d}.csv"')
    return response
