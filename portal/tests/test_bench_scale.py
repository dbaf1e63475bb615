"""The scale benchmark's smoke run (what CI runs of `make bench`): a small seeded database, every case measured
once or twice in this process, the Markdown report written to a temporary file. No timing is asserted: the test
checks that every case produced a number (or says why it does not apply yet) and that the report holds them."""

import io
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench_modules(settings):
    sys.path.insert(0, str(BENCH))
    import scale
    import scale_cases

    settings.ROOT_URLCONF = "bench_urls"
    yield scale, scale_cases
    sys.path.remove(str(BENCH))


@pytest.fixture
def smoke_results(db, bench_modules):
    _, scale_cases = bench_modules
    started = time.perf_counter()
    call_command("seed_scale", incidents=40, seed=7, stdout=io.StringIO())
    print(f"seed_scale: {time.perf_counter() - started:.1f} s")
    config = {"cases": scale_cases.ALL_CASES, "database": "sqlite", "size": 40, "repeat": 1, "warmup": 0,
              "slow_repeat": 1, "slow_warmup": 0, "graph_components": 60, "intake": "in-process",
              "cursor_hops": 2}
    return scale_cases.measure(config)


def test_every_case_of_the_scale_benchmark_is_measured_and_reported(bench_modules, smoke_results, tmp_path):
    """Also: the API incident list runs as many queries on its last page as on its first."""
    scale, scale_cases = bench_modules
    by_case = {result["case"]: result for result in smoke_results}

    assert list(by_case) == scale_cases.ALL_CASES
    for case, result in by_case.items():
        assert not result["error"], (case, result["error"])
        if result["na"]:  # every case is offered; only a cursor in the middle needs more than one page
            assert case == "api_list_cursor_deep" and "one page" in result["na"], (case, result["na"])
            continue
        assert result["median_ms"] > 0 and result["p95_ms"] >= result["median_ms"], case
        assert result["queries"] >= (0 if case == "pdf_render" else 1), case  # rendering alone reads nothing
        if case not in ("pdf_production", "pdf_render"):
            assert result["floors"] and all(f["median_ms"] > 0 for f in result["floors"]), case
    assert by_case["alert_intake"]["rate"] > 0
    assert by_case["blast_radius"]["queries"] == 1

    config = {"databases": ["sqlite"], "sizes": [40], "repeat": 2, "warmup": 1, "slow_repeat": 1, "slow_warmup": 0,
              "intake_threads": 0, "intake_seconds": 0, "title_note": "Smoke run"}
    meta = {"cpu": "test", "cores": 1, "memory": "", "system": "test", "python": "3", "commit": "abc",
            "started": datetime.now(UTC), "finished": datetime.now(UTC), "load_before": (0, 0, 0),
            "load_after": (0, 0, 0)}
    runs = [{"database": "sqlite", "size": 40, "prepare": {"seed_scale": 1.0}, "copied_from": None,
             "results": smoke_results, "environment": {"debug": False, "template_loaders": ["cached"],
                                                       "server_version": "3", "pdf_render_isolation": "inline",
                                                       "staticfiles": "static"}}]
    output = tmp_path / "benchmarks.md"
    output.write_text(scale.report(runs, config, meta))
    text = output.read_text()

    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| case")]
    assert len(rows) == len(scale_cases.ALL_CASES)
    for case, label in scale.LABELS.items():
        line = next(row for row in rows if row.startswith(f"| {label}"))
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert cells[1] == "40"
        if by_case[case]["na"]:
            assert cells[2] == "n/a", line
        else:
            assert cells[2][0].isdigit() and cells[-1] in ("pass", "**miss** (time)", "**miss** (queries)",
                                                           "**miss** (time, queries)", "**miss** (rate)",
                                                           "**miss** (rate, queries)"), line

    counts = {r["case"]: r["queries"] for r in smoke_results if r["case"].startswith("api_list_") and not r["na"]}
    assert counts["api_list_page1"] == counts["api_list_middle"] == counts["api_list_last"], counts


def test_a_combined_report_takes_each_database_and_size_from_the_last_run_that_measured_it(bench_modules, tmp_path):
    scale, _ = bench_modules

    def saved(name, started, runs):
        meta = {"cpu": "test", "cores": 2, "memory": "", "system": "test", "python": "3", "commit": "abc",
                "started": started, "finished": started, "load_before": (0, 0, 0), "load_after": (0, 0, 0)}
        config = {"databases": [], "sizes": [], "repeat": 2, "warmup": 1, "slow_repeat": 1, "slow_warmup": 0,
                  "intake_threads": 4, "intake_seconds": 10, "title_note": "", "graph_components": 100}
        path = tmp_path / name
        path.write_text(scale.json.dumps({"runs": runs, "parts": {}, "meta": meta, "config": config}))
        return str(path)

    def run(database, size, median):
        result = {"case": "api_incident", "size": size, "database": database, "median_ms": median,
                  "p95_ms": median, "rate": None, "queries": 4, "runs": 20, "note": "", "error": "", "na": "",
                  "floors": [{"name": "raw SQL of the row", "median_ms": 0.3}]}
        return {"database": database, "size": size, "prepare": {}, "copied_from": None, "results": [result],
                "environment": {"debug": False, "template_loaders": [], "vendor": database, "server_version": "x",
                                "pdf_render_isolation": "process", "staticfiles": "s"}}

    first = saved("first.json", "2026-12-07 18:50:00+00:00",
                  [run("postgresql", 1000, 25.7), run("postgresql", 100000, 12.6)])
    again = saved("again.json", "2026-12-07 19:20:00+00:00", [run("postgresql", 1000, 11.1)])

    text = scale.combine([first, again])

    rows = [line for line in text.splitlines() if line.startswith(f"| {scale.LABELS['api_incident']}")]
    assert len(rows) == 2 and "11.1 ms" in rows[0] and "12.6 ms" in rows[1] and "25.7" not in text
    assert "18:50" in text and "19:20" in text
