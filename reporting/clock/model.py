"""The regime data model: regimes, their stages, and the parts of a stage (variants, limits, relief, content)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time

from reporting.clock.conditions import Condition

SUBMITTED_PREFIX = "submitted:"


CONTENT_ITEM_FIELDS = ("key", "label", "provision", "source")


@dataclass(frozen=True)
class ContentItem(Mapping):
    """One item a notification must contain. Also a read-only mapping: `dict(item)` gives the four fields.

    `source` is an incident data path the document builder fills (e.g. "incident.summary") or "entered" (free text
    the compliance officer fills in)."""

    key: str
    label: str
    provision: str
    source: str

    def __getitem__(self, name: str) -> str:
        if name not in CONTENT_ITEM_FIELDS:
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self):
        return iter(CONTENT_ITEM_FIELDS)

    def __len__(self) -> int:
        return len(CONTENT_ITEM_FIELDS)

    def to_json(self) -> dict:
        return dict(self)


@dataclass(frozen=True)
class Variant:
    """A shorter (or other) limit that applies `when` its condition holds; the earliest applicable limit wins."""

    when: Condition
    unit: str
    value: int | None
    provision: str
    rule: str


@dataclass(frozen=True)
class Limit:
    """`no_later_than`: a second limit from another event; dropped when the stage's own clock starts after it ends."""

    clock_start: str
    unit: str
    value: int
    rule: str


@dataclass(frozen=True)
class Relief:
    """A deadline on a weekend or holiday may be met by `at` (UTC) on the next working day, unless `excluded`."""

    at: time
    provision: str
    excluded: Condition
    note: str = ""  # added to the obligation's note, which is then marked uncertain, when the relief moves a deadline


@dataclass(frozen=True)
class BusinessDays:
    calendar: str
    time_zone: str
    cutoff: time


@dataclass(frozen=True)
class Caution:
    when: Condition
    note: str


@dataclass(frozen=True)
class Postponement:
    """The due time moves to the moment a fact gives, when that is later (an authority's delay of a disclosure).

    `max_days`: how far past the own due time the provision allows the delay; a later moment is still used, with a
    caution that it exceeds the provision."""

    fact: str
    provision: str
    rule: str
    max_days: int | None = None


@dataclass(frozen=True)
class LaterStart:
    """`applies_from_when`: the stage applies only from `applies_from` when the condition holds (a transitional
    provision for some cases, e.g. EU AI Act Art. 111(3))."""

    when: Condition
    applies_from: date
    provision: str


@dataclass(frozen=True)
class Stage:
    code: str
    name: str
    provision: str
    recipient: str
    jurisdiction: str
    clock_start: str
    unit: str
    value: int | None
    applies_from: date
    source: str
    verification: str
    uncertain: bool
    note: str
    rule: str
    when: Condition
    variants: tuple[Variant, ...]
    no_later_than: Limit | None
    relief: Relief | None
    per_location: str | None
    per_location_countries: frozenset[str]
    content: tuple[ContentItem, ...]
    cautions: tuple[Caution, ...]
    clock_start_default: str | None
    business_days: BusinessDays | None
    # The last day the stage applies (inclusive); None: no end. A stage whose applies_until is before its
    # applies_from never applies, and `superseded` says why.
    applies_until: date | None = None
    superseded: str = ""
    # Per-country dates {ISO 3166-1 code: (from or None, until or None)}, narrower than the stage's own dates; for a
    # stage that is not per_location, the incident's countries in `territory` are the places checked.
    in_force_by_location: Mapping[str, tuple[date | None, date | None]] = field(default_factory=dict, hash=False)
    territory: frozenset[str] = frozenset()
    applies_from_when: tuple[LaterStart, ...] = ()
    # Show the stage, without a due time, while its clock-start fact is not given (a final report that waits for a
    # corrective measure, or for the end of the incident handling).
    wait_for_clock_start: bool = False
    postponed_by: Postponement | None = None

    @property
    def after(self) -> str | None:
        """The code of the stage whose submission starts this stage's clock, if it is chained."""
        return self.clock_start.removeprefix(SUBMITTED_PREFIX) if self.is_chained else None

    @property
    def is_chained(self) -> bool:
        return self.clock_start.startswith(SUBMITTED_PREFIX)


@dataclass(frozen=True)
class Regime:
    code: str
    name: str
    jurisdiction: str
    source: str
    when: Condition
    stages: tuple[Stage, ...]
    file: str

    def stage(self, code: str) -> Stage:
        return next(stage for stage in self.stages if stage.code == code)
