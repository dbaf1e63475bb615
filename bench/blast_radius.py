"""Benchmark: blast radius (one recursive query) on AIBOM graphs of growing size.

Run with `make bench` (or `DATABASE_URL=... make bench` for PostgreSQL). Builds a throw-away test database,
a binary-tree dependency graph of N components with systems attached to its leaves, and times
`systems_affected_by_component` from the root (every system affected) and from a leaf.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from simple_history.utils import bulk_create_with_history  # noqa: E402

from inventory.models import AISystem, Component, ComponentDependency, SystemComponent  # noqa: E402
from inventory.selectors import systems_affected_by_component  # noqa: E402


def build(size, systems):
    bulk_create_with_history(
        [Component(kind="library", name=f"c{size}-{i}", version="1") for i in range(size)], Component, batch_size=2000
    )
    ids = list(Component.objects.filter(name__startswith=f"c{size}-").order_by("id").values_list("id", flat=True))
    bulk_create_with_history(
        [ComponentDependency(component_id=ids[i], depends_on_id=ids[(i - 1) // 2]) for i in range(1, size)],
        ComponentDependency, batch_size=2000,
    )
    made = bulk_create_with_history(
        [AISystem(name=f"S{size}-{i}", slug=f"s{size}-{i}", purpose="bench") for i in range(systems)], AISystem
    )
    system_ids = list(AISystem.objects.filter(slug__startswith=f"s{size}-").values_list("id", flat=True))
    bulk_create_with_history(
        [SystemComponent(system_id=s, component_id=ids[-1 - n]) for n, s in enumerate(system_ids)], SystemComponent
    )
    return ids, len(made)


def timed(component_id, repeat=15):
    component = Component.objects.get(pk=component_id)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        count = len(list(systems_affected_by_component(component)))
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000, count


def main():
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"database: {connection.vendor}")
        print(f"{'components':>10} {'from':>5} {'systems hit':>11} {'median ms':>10}")
        for size in (1_000, 10_000, 50_000):
            ids, _ = build(size, systems=200)
            for label, cid in (("root", ids[0]), ("leaf", ids[-1])):
                ms, hit = timed(cid)
                print(f"{size:>10} {label:>5} {hit:>11} {ms:>10.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
