"""The scale data set (`manage.py seed_scale`): a realistic portal database of any size, for benchmarks.

What it holds, per incident: about 2 AI systems, 2 components, 2 ATLAS techniques, 8 timeline events, 11 checklist
items, 2 obligations from the regulatory clock and, once recovered, its signed recovery validation and review, and
about 26 history rows, every one in a valid hash chain
(`manage.py verify_audit_trail` passes). Around them: users in every role and an inventory in proportion (about
300 systems, 3,000 components and 6,000 dependency edges for 100,000 incidents). See `incidents` and
`obligations` for how the records are drawn, `tables` for how they are written.

It is written the way a bulk import would be, not through the services one record at a time: ids reserved ahead,
rows inserted without model instances or signals (COPY on PostgreSQL), history rows hashed in one pass per table
and chained after the table's recorded head, one head row per table and chunk. Incidents are written in chunks (10,000
by default), each in its own transaction, so memory stays bounded and an interrupted run leaves whole chunks with
valid chains behind. Derived data (summaries, checkpoints) is rebuilt last by `portal.core.scale.after_bulk_load`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from incidents.models import Incident
from portal.core.scale import after_bulk_load
from portal.demo.scale.incidents import IncidentGenerator
from portal.demo.scale.inventory import create_inventory, ensure_users, existing_inventory

DEFAULT_CHUNK = 10_000


class AlreadySeeded(Exception):
    """The database holds incidents and the load was not asked to add to them."""


@dataclass
class Report:
    incidents: int
    created: dict[str, int] = field(default_factory=dict)
    phases: list[tuple[str, float]] = field(default_factory=list)
    templates: int = 0
    rebuilt: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(s for _, s in self.phases)


def seed_scale(*, incidents: int, seed: int | None = None, append: bool = False, chunk: int = DEFAULT_CHUNK,
               progress: Callable[[str], None] = lambda line: None) -> Report:
    """Add `incidents` incidents (and, on a database without AI systems, the inventory) to the database.

    Refuses (`AlreadySeeded`) when the database already holds incidents, unless `append`: the new incidents then
    join the existing inventory and continue the reference numbers. `seed` makes the random choices
    reproducible (the times stay relative to now)."""
    existing = Incident.objects.count()
    if existing and not append:
        raise AlreadySeeded(existing)
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # test data, not security
    report = Report(incidents=incidents)
    now = timezone.now()

    def phase(name: str, started: float) -> None:
        seconds = time.perf_counter() - started
        report.phases.append((name, seconds))
        progress(f"{name}: {seconds:.1f} s")

    started = time.perf_counter()
    with transaction.atomic():
        users = ensure_users()
        from inventory.models import AISystem

        if AISystem.objects.exists():
            inventory = existing_inventory(users)
        else:
            inventory = create_inventory(rng, incidents=incidents, users=users, now=now)
            report.created.update(inventory.created)
    phase("users and inventory", started)

    generator = IncidentGenerator(rng, inventory=inventory, now=now)
    started = time.perf_counter()
    done = 0
    while done < incidents:
        size = min(chunk, incidents - done)
        chunk_started = time.perf_counter()
        with transaction.atomic():
            generator.write_chunk(size)
        done += size
        rate = size / max(time.perf_counter() - chunk_started, 1e-9)
        progress(f"  incidents {done:,}/{incidents:,} ({rate:,.0f}/s)")
    report.created.update(generator.written.rows)
    report.templates = generator.templates.computed
    phase("incidents", started)

    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics for the tables just filled (owned tables only)
        phase("analyze", started)

    # Last, after every row is committed: derived data other parts keep (dashboard summaries, the audit chain's
    # last verified point) is rebuilt here from the records (see `portal.core.scale`).
    started = time.perf_counter()
    report.rebuilt = after_bulk_load()
    phase("after_bulk_load", started)
    return report
