"""Which records refer to a row, and the refusal to delete a row that records still refer to.

Regulated records (incidents, obligations, documents, disclosure decisions, history rows) name inventory rows and
users. Deleting such a row would drop the link silently (a many-to-many row goes with it), null a foreign key
without a history row, or leave history pointing at nothing. So such a delete is refused: the refusal names what
refers to the row and offers the alternative that keeps the record (retire an AI system, a component or a team;
deactivate a user).

The kernel knows no app. An app whose records refer to another app's rows registers a finder for that model
(`register_finder`, from its AppConfig.ready()); the service that deletes the row asks `referrers(row)` and raises
`refusal(...)`. Labels (`register_label`) say how a record is named in a refusal, e.g. an evidence item by the
reference of its incident; `portal.core.users` uses them to describe everything that names a user.

Each finder runs one query per kind of reference (never one per referring record) and returns the distinct labels
of the referring records, so a refusal can name a few and count the rest.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

SHOWN = 3  # labels named in a refusal before "(and N more)"


class ReferencedError(ValidationError):
    """A delete refused because records still refer to the row. The API answers it with 409 Conflict, the admin
    with a page (or message) that shows it; nothing is deleted. Besides its one-line message it keeps its parts
    (`subject`, `reasons`, `alternative`) so a page can list the reasons one per line."""

    subject = ""
    reasons: tuple[str, ...] = ()
    alternative = ""


@dataclass(frozen=True)
class Referrers:
    """The records of one kind that refer to a row: `what` they are, as a phrase that continues the row's name
    ("is named on incidents"), and their distinct labels."""

    what: str
    labels: tuple[str, ...]

    def __bool__(self):
        return bool(self.labels)

    def describe(self, shown: int = SHOWN) -> str:
        named = ", ".join(self.labels[:shown])
        more = len(self.labels) - shown
        return f"{self.what} {named}" + (f" (and {more} more)" if more > 0 else "")


def labels_of(queryset: QuerySet, path: str) -> tuple[str, ...]:
    """The distinct values of `path` over `queryset`, sorted, in one query."""
    values = queryset.order_by(path).values_list(path, flat=True).distinct()
    return tuple(str(value) for value in values if value not in (None, ""))


def found(what: str, queryset: QuerySet, path: str) -> Referrers:
    return Referrers(what, labels_of(queryset, path))


# --- finders: which records refer to a row of a model ------------------------------------------------------------

Finder = Callable[[Model], Iterable[Referrers]]
_FINDERS: dict[type, list[Finder]] = defaultdict(list)


def register_finder(model: type, finder: Finder) -> None:
    """`finder(row)` yields the Referrers of one app's records that refer to `row` (empty ones are dropped)."""
    if finder not in _FINDERS[model]:
        _FINDERS[model].append(finder)


def referrers(instance: Model) -> list[Referrers]:
    """Every kind of record that refers to `instance`, as the registered finders see it."""
    model = type(instance)._meta.concrete_model
    return [ref for finder in _FINDERS.get(model, ()) for ref in finder(instance) if ref]


def refusal(subject: str, found_: Iterable[Referrers], alternative: str) -> ReferencedError:
    """The refusal to delete `subject` ("AI system 'Support bot'"): what refers to it, then the alternative.

    E.g. "AI system 'Support bot' is named on incidents AIIR-2026-0003, AIIR-2026-0007 (and 12 more); retire it
    instead (lifecycle: retired)."
    """
    reasons = tuple(ref.describe() for ref in found_)
    error = ReferencedError(f"{subject} {'; '.join(reasons)}; {alternative}.")
    error.subject, error.reasons, error.alternative = subject, reasons, alternative
    return error


# --- labels: how a record is named in a refusal -----------------------------------------------------------------

@dataclass(frozen=True)
class Label:
    """How records of a model are named: by the values at `path` ("incident__reference"), introduced by `of`
    ("on incidents"), e.g. "containment actions (performed by) on incidents AIIR-2026-0001"."""

    path: str
    of: str = ""


_LABELS: dict[type, Label] = {}


def register_label(model: type, path: str, of: str = "") -> None:
    _LABELS[model] = Label(path, of)


def label_for(model: type) -> Label | None:
    return _LABELS.get(model._meta.concrete_model)
