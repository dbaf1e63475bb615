"""The BLAST counts an incident shows: the figure entered by hand, or the count of a ledger of affected records.

Where the remediation ledger lists records of a kind for the incident (decisions, people, transactions, accounts),
the figure that kind feeds is the ledger's count, computed when it is read; the hand-entered figure is kept as it
was entered, shown as overridden, and used again only for kinds the ledger does not list (ADR 0015). `incidents`
knows no ledger: the app keeping one registers its readers here at start-up (`register_ledger`), and without one
every figure is the hand-entered one.

The admin page, the API and the documents all read `blast_figures` and word a figure with `figure_text`, so they show
the same number and say the same about where it comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ENTERED, LEDGER = "entered", "ledger"
# (figure, label, the incident's hand-entered field or None). Accounts have no hand-entered figure.
FIGURES = (
    ("users_affected", "Users affected", "users_affected"),
    ("decisions_affected", "Decisions affected", "decisions_affected"),
    ("transactions_affected", "Transactions affected", "transactions_affected"),
    ("accounts_affected", "Accounts affected", None),
)
ENTERED_FIELDS = tuple(field for _, _, field in FIGURES if field)


@dataclass(frozen=True)
class Ledger:
    """The readers a ledger app registers: `counts(incident)` -> {figure: count} for the figures it has records
    for (one query per incident at most), and `annotations()` -> {annotation_name(figure): expression} for a
    queryset of incidents."""

    counts: Callable
    annotations: Callable


_ledger: Ledger | None = None


def register_ledger(ledger: Ledger | None) -> None:
    global _ledger  # set once, at start-up
    _ledger = ledger


def annotation_name(figure: str) -> str:
    return f"ledger_{figure}"


def with_ledger_figures(queryset):
    """The incidents with their ledger counts as annotations (one subquery per figure in the same query), so that
    `blast_figures` reads them without a query of its own."""
    return queryset.annotate(**_ledger.annotations()) if _ledger else queryset


@dataclass(frozen=True)
class BlastFigure:
    name: str
    label: str
    value: int | None  # the figure in force
    source: str | None  # LEDGER, ENTERED, or None where there is no figure at all
    entered: int | None  # the hand-entered figure (None: not entered, or no such field)

    @property
    def from_ledger(self) -> bool:
        return self.source == LEDGER

    @property
    def overrides(self) -> bool:
        """The ledger's count replaces a figure that was entered by hand."""
        return self.from_ledger and self.entered is not None


def _ledger_counts(incident) -> dict[str, int]:
    if _ledger is None or incident.pk is None:
        return {}
    names = {annotation_name(name): name for name, _, _ in FIGURES}
    if all(key in incident.__dict__ for key in names):
        return {figure: incident.__dict__[key] or 0 for key, figure in names.items()}
    return _ledger.counts(incident)


def blast_figures(incident) -> list[BlastFigure]:
    """The users, decisions, transactions and accounts affected, each from the ledger where it lists records of
    that kind, else as entered by hand. Accounts appear only when the ledger lists some."""
    counts = _ledger_counts(incident)
    figures = []
    for name, label, field in FIGURES:
        entered = getattr(incident, field) if field else None
        if counts.get(name):
            figures.append(BlastFigure(name, label, counts[name], LEDGER, entered))
        elif field:
            figures.append(BlastFigure(name, label, entered, ENTERED if entered is not None else None, entered))
    return figures


def blast_figure(incident, name: str) -> BlastFigure | None:
    return next((f for f in blast_figures(incident) if f.name == name), None)


def count_text(value: int | None) -> str | None:
    return None if value is None else f"{value:,}"


def figure_text(figure: BlastFigure) -> str | None:
    """The figure in words: `312 (counted in the remediation ledger; replaces the hand-entered 1,800)`, `1,800`,
    or None when there is none."""
    if figure.value is None:
        return None
    if not figure.from_ledger:
        return count_text(figure.value)
    note = "counted in the remediation ledger"
    if figure.overrides:
        note += f"; replaces the hand-entered {count_text(figure.entered)}"
    return f"{count_text(figure.value)} ({note})"
