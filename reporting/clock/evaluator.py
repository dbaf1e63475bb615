"""From facts to obligations: which regimes apply to an incident, and when each notification is due.

Counting rules (each regime file states the provision behind its numbers):

- hours and "days" run from the clock-start moment itself; a "day" is 24 hours of elapsed time, also across a
  clock change (10:00 CET + 15 days is 11:00 CEST). That is never later than Reg. (EEC, Euratom) No 1182/71
  Art. 3's end of the last day. The EU AI Act (Art. 73) and California SB 53 do not say whether their days are
  calendar or working days: counting calendar days is the conservative reading, and those stages carry a note and
  the `uncertain` flag.
- months: the same day of the month and local time of day in the entity's time zone, clamped to the end of a
  shorter month (1182/71 Art. 3(2)(c)); the time of day is kept, which is earlier than 1182/71's end of day.
- calendar years (HIPAA's annual notice): the entity's local calendar year.
- business days: see `calendars.add_us_business_days` (SEC Form 8-K).
- variants: when several limits of a stage apply (EU AI Act Art. 73(2)-(4)), the one that ends first governs.
- `no_later_than`: an earliest-of rule (DORA initial notification: 4 hours from classification, no later than 24
  hours after awareness); the second limit is dropped when the clock starts after it has ended.
- relief: a deadline on a Saturday, Sunday or bank holiday may be met by a fixed local time on the next working
  day (Del. Reg. (EU) 2025/301 Art. 5(4)-(6)), unless the entity is excluded; the day and the time are the
  entity's: its time zone, and the public holidays of its Member State (`entity_country`) plus any passed in.
- chained stages start when the earlier stage is submitted (`facts.submitted`); until then they wait, with no due
  time.
- a stage whose `applies_from` is after the local date its clock starts (in the incident's time zone) does not
  apply; `applies_from_overrides` maps "<regime>" or "<regime>.<stage>" to another date (the stage's own entry
  wins). Nor does one whose
  `applies_until` is before that date, nor one whose `applies_from_when` condition holds and whose later date has
  not come (EU AI Act Art. 111(3)). `in_force_by_location` narrows the dates per country: a per-location stage is
  owed in the countries in force; another stage when at least one of the incident's countries of its `territory`
  is in force (GDPR in Iceland, Liechtenstein and Norway from the EEA incorporation; in the UK until Brexit).
- `wait_for_clock_start`: the stage is shown without a due time until its clock-start fact is given (the CRA final
  report waits for a corrective measure), when the regime is in force at awareness.
- `postponed_by`: a later moment an authority allows (SEC Item 1.05(c), the Attorney General's delay) moves the due
  time; one beyond the provision's maximum is used too, and marked uncertain.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from reporting.clock.calendars import (
    add_months,
    add_us_business_days,
    is_working_day,
    member_state_holiday_name,
    member_state_holidays,
    next_working_day,
)
from reporting.clock.conditions import country_of
from reporting.clock.facts import Facts
from reporting.clock.model import SUBMITTED_PREFIX, ContentItem, Regime, Stage
from reporting.clock.regimes import load_regimes

EVENT_LABELS = {
    "aware_at": "awareness",
    "occurred_at": "occurrence",
    "classified_major_at": "classification as major",
    "materiality_determined_at": "the materiality determination",
    "determined_at": "the determination",
    "extortion_payment_at": "the extortion payment",
    "sec_delay_until": "the end of the Attorney General's delay",
    "corrective_measure_available_at": "the availability of a corrective or mitigating measure",
    "nis2_intermediate_requested_at": "the request for an intermediate report",
    "handling_completed_at": "the end of the incident handling",
    "algorithmic_discrimination_discovered_at": "the discovery of algorithmic discrimination",
    "adverse_decision_at": "the adverse decision",
}
UNIT_LABELS = {"hours": "hours", "days": "days", "calendar_days": "calendar days", "business_days": "business days",
               "months": "month(s)", "days_after_calendar_year_end": "days after the end of the calendar year"}


@dataclass(frozen=True)
class ObligationSpec:
    """One notification (or record) an incident owes, with its clock. Datetimes are aware and in UTC."""

    key: str
    regime: str
    regime_name: str
    provision: str
    stage: str
    stage_name: str
    recipient: str
    jurisdiction: str
    clock_start_event: str
    clock_starts_at: datetime | None
    due_at: datetime | None
    rule: str
    unit: str
    verification: str
    uncertain: bool
    note: str
    source: str
    depends_on: str
    content: tuple[ContentItem, ...]

    def to_json(self) -> dict:
        """The output dict: datetimes as ISO 8601 UTC with `Z` (or null), content as a list of dicts."""
        return {
            "key": self.key, "regime": self.regime, "regime_name": self.regime_name, "provision": self.provision,
            "stage": self.stage, "stage_name": self.stage_name, "recipient": self.recipient,
            "jurisdiction": self.jurisdiction, "clock_start_event": self.clock_start_event,
            "clock_starts_at": iso_utc(self.clock_starts_at), "due_at": iso_utc(self.due_at), "rule": self.rule,
            "unit": self.unit, "verification": self.verification, "uncertain": self.uncertain, "note": self.note,
            "source": self.source, "depends_on": self.depends_on, "content": [item.to_json() for item in self.content],
        }


def iso_utc(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def describe(unit: str, value: int | None, event: str) -> str:
    """"72 hours from awareness"."""
    return f"{value} {UNIT_LABELS.get(unit, unit)} from {EVENT_LABELS.get(event, event)}"


def due_time(stage: Stage, unit: str, value: int | None, start: datetime, facts: Facts) -> datetime | None:
    """The due time of `value` `unit`s from `start`, in UTC; None for a unit without a fixed deadline.

    Hours and days are elapsed time; months and calendar years are counted on the entity's local calendar."""
    if unit == "hours":
        return start + timedelta(hours=value)
    if unit in ("days", "calendar_days"):
        return start + timedelta(days=value)
    if unit == "months":
        return add_months(start.astimezone(facts.entity_zone), value).astimezone(UTC)
    if unit == "business_days":
        calendar = stage.business_days
        return add_us_business_days(start, value, time_zone=calendar.time_zone, cutoff=calendar.cutoff)
    if unit == "days_after_calendar_year_end":
        zone = facts.entity_zone
        year_end = datetime(start.astimezone(zone).year + 1, 1, 1, tzinfo=zone)
        return (year_end + timedelta(days=value)).astimezone(UTC)
    return None


def _earliest(candidates):
    """The candidate (due, ...) that ends first; one without a due time only when none has one."""
    return min(candidates, key=lambda c: (c[0] is None, c[0] or datetime.min.replace(tzinfo=UTC)))


def _apply_limits(stage: Stage, facts: Facts, start: datetime):
    """(due, unit, provision, rule, notes) after the variants and the `no_later_than` limit of the stage."""
    candidates = [(due_time(stage, stage.unit, stage.value, start, facts), stage.unit, stage.provision, stage.rule)]
    candidates += [(due_time(stage, v.unit, v.value, start, facts), v.unit, v.provision, v.rule)
                   for v in stage.variants if v.when(facts)]
    due, unit, provision, rule = _earliest(candidates)
    notes = []
    others = [c for c in candidates[1:] if c[2] != provision]  # other variants that apply; a variant overrides the base
    if others:
        listed = "; ".join(f"{c[2]}: {c[3]}" for c in others)
        notes.append(f"Several limits apply; the earliest governs ({provision}). Also applicable: {listed}.")
    limit = stage.no_later_than
    cap_start = facts.get(limit.clock_start) if limit is not None else None
    if cap_start is not None and due is not None:
        cap_due = due_time(stage, limit.unit, limit.value, cap_start, facts)
        own = describe(unit, stage.value, stage.clock_start)
        if start > cap_due:
            rule += f"; clock started after the limit of {limit.rule} had passed, so {own} governs"
        elif cap_due < due:
            due = cap_due
            rule += f"; here the limit of {limit.rule} ends first and governs"
        else:
            rule += f"; here {own} ends first and governs"
    return due, unit, provision, rule, notes


def _apply_relief(stage: Stage, facts: Facts, due: datetime | None, extra_holidays):
    """(due, rule text, note): a weekend/holiday deadline moved to the relief time of the next working day.

    Both are judged where the entity is (Del. Reg. (EU) 2025/301 Art. 5(4)): the local date of the deadline in its
    time zone, the public holidays of its Member State (`entity_country`) and any holidays passed in; the moved
    deadline is the relief time, local, on the next working day. The note is the relief's own caveat, and one when
    the entity's Member State is not given, returned only when the relief moved the deadline."""
    relief = stage.relief
    if relief is None or due is None:
        return due, "", ""
    zone = facts.entity_zone
    local_due = due.astimezone(zone)
    day = local_due.date()
    holidays = member_state_holidays(facts.entity_country, day.year) | frozenset(extra_holidays)
    if is_working_day(day, holidays):
        return due, "", ""
    holidays |= member_state_holidays(facts.entity_country, day.year + 1)  # the next working day may be in January
    tz = facts.entity_time_zone
    detail = [member_state_holiday_name(facts.entity_country, day) or "a holiday passed in"] if day in holidays else []
    detail.append(f"the local date in {tz}" if tz != "UTC" else "the date in UTC")
    kind = "a bank holiday" if day in holidays else day.strftime("%A")
    falls = f"; it falls on {kind} {day.isoformat()} ({'; '.join(detail)})"
    if relief.excluded(facts):
        return due, f"{falls}, but the relief of {relief.provision} does not apply to this entity's report", ""
    moved = datetime.combine(next_working_day(day, holidays), relief.at, tzinfo=zone).astimezone(UTC)
    at = f"{relief.at.strftime('%H:%M')} UTC" if tz == "UTC" else \
        f"{relief.at.strftime('%H:%M')} {tz} time ({moved.strftime('%H:%M')} UTC)"
    text = (f"{falls}, so under {relief.provision} it may be filed by {at} on "
            f"{moved.astimezone(zone).date().isoformat()}, the next working day")
    notes = [relief.note]
    if not facts.entity_country:
        notes.append("The entity's Member State (entity_country) is not given: only weekends and the bank holidays "
                     "passed in were taken into account.")
    return moved, text, " ".join(n for n in notes if n)


def _parse_overrides(overrides: Mapping | None, regimes: Iterable[Regime]) -> dict[str, date]:
    known = {r.code for r in regimes} | {f"{r.code}.{s.code}" for r in regimes for s in r.stages}
    result = {}
    for key, value in (overrides or {}).items():
        if key not in known:
            raise ValueError(f"applies_from_overrides: {key!r} is not a regime or <regime>.<stage>")
        try:
            result[key] = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"applies_from_overrides: {key!r}: {value!r} is not a date (YYYY-MM-DD)") from None
    return result


def _spec(regime: Regime, stage: Stage, jurisdiction: str | None, **fields) -> ObligationSpec:
    suffix = f"@{jurisdiction}" if jurisdiction else ""
    recipient = stage.recipient.replace("{jurisdiction}", jurisdiction or stage.jurisdiction)
    return ObligationSpec(
        key=f"{regime.code}.{stage.code}{suffix}", regime=regime.code, regime_name=regime.name,
        stage=stage.code, stage_name=stage.name, recipient=recipient, jurisdiction=jurisdiction or stage.jurisdiction,
        verification=stage.verification, source=stage.source, content=stage.content, **fields,
    )


def _notes(stage: Stage, facts: Facts, extra: list[str], relief_note: str = "") -> tuple[str, bool]:
    """The obligation's note and `uncertain` flag: the stage's, plus matching cautions and a relief caveat."""
    cautions = [c.note for c in stage.cautions if c.when(facts)]
    if relief_note:
        cautions.append(relief_note)
    note = " ".join(part for part in [stage.note, *extra, *cautions] if part)
    return note, stage.uncertain or bool(cautions)


def _in_force(stage: Stage, place: str | None, day: date, facts: Facts) -> bool:
    """Whether `stage` applies on `day` (the date its clock starts) at `place` (an ISO 3166-1 country, or None):
    its applies_until, a later applies_from for some cases, and the per-country dates. Its applies_from (with the
    overrides) is checked by the caller; the per-country and conditional dates are never earlier."""
    if stage.applies_until is not None and day > stage.applies_until:
        return False
    if any(later.when(facts) and day < later.applies_from for later in stage.applies_from_when):
        return False
    start, end = stage.in_force_by_location.get(place, (None, None)) if place else (None, None)
    return not ((start is not None and day < start) or (end is not None and day > end))


def _places_in_force(stage: Stage, facts: Facts, day: date) -> list[str | None]:
    """The places the stage is owed for on `day`: the in-force countries of a per-location stage; otherwise [None]
    when it is in force (for a stage with a territory: in at least one of the incident's countries in it), or []."""
    countries = {country_of(loc) for loc in facts.locations}
    if stage.per_location:
        return [c for c in sorted(countries & stage.per_location_countries) if _in_force(stage, c, day, facts)]
    if stage.territory:
        in_force = any(_in_force(stage, c, day, facts) for c in countries & stage.territory)
        return [None] if in_force and _in_force(stage, None, day, facts) else []
    return [None] if _in_force(stage, None, day, facts) else []


def _waiting(regime: Regime, stage: Stage, facts: Facts, applies_from: date) -> list[ObligationSpec]:
    """A stage shown without a due time because its clock-start fact is not given yet (`wait_for_clock_start`);
    owed when the stage is in force on the date of awareness."""
    day = facts.local_date(facts.aware_at)
    if day < applies_from:
        return []
    rule = f"waiting for {stage.clock_start}; then: {stage.rule}"
    note, uncertain = _notes(stage, facts, [])
    return [_spec(regime, stage, place, provision=stage.provision, clock_start_event=stage.clock_start,
                  clock_starts_at=None, due_at=None, rule=rule, unit=stage.unit, uncertain=uncertain, note=note,
                  depends_on="")
            for place in _places_in_force(stage, facts, day)]


def _postpone(stage: Stage, facts: Facts, due: datetime | None) -> tuple[datetime | None, str, list[str], bool]:
    """(due, rule text, notes, questioned): the due time moved to a later moment an authority allowed
    (`postponed_by`). The rule text stays short (the obligation's rule is a bounded field); the notes explain."""
    postponement = stage.postponed_by
    until = facts.get(postponement.fact) if postponement is not None else None
    if until is None or due is None:
        return due, "", [], False
    if until <= due:
        return due, "", [f"The delay under {postponement.provision} (until {iso_utc(until)}) ends before the due "
                         "time and does not move it."], False
    notes = [f"Delayed under {postponement.provision} from {iso_utc(due)}: {postponement.rule}."]
    questioned = postponement.max_days is not None and until > due + timedelta(days=postponement.max_days)
    if questioned:
        notes.append(f"The delay is longer than the {postponement.max_days} days after the undelayed due time that "
                     f"{postponement.provision} allows: check its basis.")
    return until, f"; delayed to {iso_utc(until)} ({postponement.provision})", notes, questioned


def _evaluate_regime(regime: Regime, facts: Facts, bank_holidays, overrides) -> list[ObligationSpec]:
    done: dict[str, list[tuple[ObligationSpec, datetime]]] = {}  # stage code -> [(spec, trigger moment)]
    result = []
    for stage in regime.stages:
        applies_from = overrides.get(f"{regime.code}.{stage.code}") or overrides.get(regime.code) or stage.applies_from
        if not stage.when(facts):
            continue
        made = []
        if stage.is_chained:
            for parent, trigger in done.get(stage.after, []):
                if facts.local_date(trigger) < applies_from:
                    continue
                jurisdiction = parent.jurisdiction if stage.per_location else None
                made.append((_chained(regime, stage, facts, parent, jurisdiction, bank_holidays), trigger))
        else:
            event = stage.clock_start
            start = facts.get(event)
            if start is None and stage.clock_start_default:
                event, start = stage.clock_start_default, facts.get(stage.clock_start_default)
            if start is None and stage.wait_for_clock_start:
                result += _waiting(regime, stage, facts, applies_from)
                continue
            if start is None or facts.local_date(start) < applies_from:
                continue
            for place in _places_in_force(stage, facts, facts.local_date(start)):
                made.append((_timed(regime, stage, facts, event, start, place, bank_holidays), start))
        done[stage.code] = made
        result += [spec for spec, _ in made]
    return result


def _timed(regime, stage, facts, event, start, jurisdiction, bank_holidays) -> ObligationSpec:
    due, unit, provision, rule, extra = _apply_limits(stage, facts, start)
    if event != stage.clock_start:
        rule += f"; {stage.clock_start} is not given here, so the clock counts from {event}"
    due, relief_text, relief_note = _apply_relief(stage, facts, due, bank_holidays)
    due, delay_text, delay_notes, questioned = _postpone(stage, facts, due)
    note, uncertain = _notes(stage, facts, extra + delay_notes, relief_note)
    return _spec(regime, stage, jurisdiction, provision=provision, clock_start_event=event, clock_starts_at=start,
                 due_at=due, rule=rule + relief_text + delay_text, unit=unit, uncertain=uncertain or questioned,
                 note=note, depends_on="")


def _chained(regime, stage, facts, parent: ObligationSpec, jurisdiction, bank_holidays) -> ObligationSpec:
    start = facts.submitted.get(parent.key)
    if start is None:
        due, unit, provision, rule, extra = None, stage.unit, stage.provision, stage.rule, []
        rule = f'waiting for {parent.key} ("{parent.stage_name}") to be submitted; then: {rule}'
        relief_text = relief_note = ""
    else:
        due, unit, provision, rule, extra = _apply_limits(stage, facts, start)
        due, relief_text, relief_note = _apply_relief(stage, facts, due, bank_holidays)
    note, uncertain = _notes(stage, facts, extra, relief_note)
    return _spec(regime, stage, jurisdiction, provision=provision, clock_start_event=SUBMITTED_PREFIX + parent.key,
                 clock_starts_at=start, due_at=due, rule=rule + relief_text, unit=unit, uncertain=uncertain,
                 note=note, depends_on=parent.key)


def evaluate(
    facts: Facts,
    *,
    regimes: Iterable[Regime] | None = None,
    bank_holidays: Iterable[date] = frozenset(),
    applies_from_overrides: Mapping[str, date | str] | None = None,
) -> list[ObligationSpec]:
    """Every obligation the facts trigger, sorted by due time (None last), then key.

    `regimes`: default the shipped regime files. `bank_holidays`: more dates that are not working days for the
    DORA weekend/holiday relief, besides the public holidays of the entity's Member State (`facts.entity_country`).
    `applies_from_overrides`: {"<regime>" or "<regime>.<stage>": date}, e.g. {"eu_ai_act_73": "2027-12-02"} for a
    deployment that reads the Digital Omnibus as deferring Art. 73 for Annex III systems.
    Raises ValueError for an unknown override key.
    """
    regimes = load_regimes() if regimes is None else tuple(regimes)
    overrides = _parse_overrides(applies_from_overrides, regimes)
    holidays = frozenset(bank_holidays)
    specs = []
    for regime in regimes:
        if regime.when(facts):
            specs += _evaluate_regime(regime, facts, holidays, overrides)
    return sorted(specs, key=lambda s: (s.due_at is None, s.due_at or datetime.min.replace(tzinfo=UTC), s.key))
