"""How the incident admin shows states and durations: coloured SLA labels, readable time spans."""

from datetime import timedelta

from django.utils.html import format_html

from incidents.sla import SlaState

SLA_COLOURS = {
    SlaState.BREACHED: "#ba2121",
    SlaState.DUE_SOON: "#b35c00",
    SlaState.ON_TRACK: "#2e7d32",
    SlaState.MET: "#417690",
    SlaState.MISSED: "#7a5c00",
}


def sla_label(state):
    """A coloured label for an SLA state; a dash for none (a closed or dismissed incident)."""
    if not state:
        return "-"
    state = SlaState(state)
    return format_html(
        '<span class="sla-state sla-{}" style="background:{};color:#fff;padding:1px 7px;border-radius:9px;'
        'white-space:nowrap;font-weight:600">{}</span>',
        state.value, SLA_COLOURS[state], state.label,
    )


def duration(span: timedelta | None) -> str:
    """'2 d 3 h', '1 h 05 min', '12 min', '40 s'; a dash when the interval is not known yet."""
    if span is None:
        return "-"
    seconds = int(span.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes:02d} min"
    elif minutes:
        text = f"{minutes} min"
    else:
        text = f"{secs} s"
    return sign + text
