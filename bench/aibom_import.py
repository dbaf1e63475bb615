"""Benchmark: `manage.py import_aibom` of a large CycloneDX 1.6 BOM, its wall time and peak memory.

    .venv/bin/python bench/aibom_import.py [--components 25000] [--keep FILE] [--reimport]

Generates a BOM of N components (default 25,000, about 50 MB: realistic descriptions, hashes, licenses, package
URLs, `aiir:` properties, model cards on the models, a dependency graph of one to three edges per component and
derived-from links), migrates a scratch database (`BENCH_DATABASE_URL` for the runtime role and
`BENCH_MIGRATION_DATABASE_URL` for the owner role on PostgreSQL; without them a throw-away SQLite file), creates the
acting user, then runs the real command in a child process and prints its wall time, CPU time and peak RSS, and
verifies the audit trail afterwards. `--reimport` runs the same import a second time (every component matched,
nothing changed) and times that too. The machine's load is printed too: on a shared machine the wall time grows with
it, the CPU time does not.

The scratch database is left as the import made it (the portal's own DATABASE_URL is never used).
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = (
    "model", "retrieval", "evaluation", "dataset", "tokenizer", "embedding", "safety", "guardrail", "prompt",
    "latency", "throughput", "fine-tuned", "customer", "support", "ticket", "summary", "classifier", "policy",
    "language", "multilingual", "benchmark", "accuracy", "bias", "fairness", "robustness", "drift", "monitoring",
    "inference", "batch", "streaming", "quantised", "weights", "adapter", "checkpoint", "licence", "provenance",
    "training", "validation", "holdout", "annotation", "consent", "retention", "privacy", "red-team", "jailbreak",
    "toxicity", "refusal",
)
KINDS = ("library", "library", "library", "machine-learning-model", "data", "application", "framework")


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def component(i: int, rng: random.Random) -> dict:
    cdx_type = KINDS[i % len(KINDS)]
    item = {
        "type": cdx_type,
        "bom-ref": f"c-{i}",
        "supplier": {"name": f"Supplier {i % 97}"},
        "group": f"org-{i % 211}",
        "name": f"component-{i}",
        "version": f"{i % 7}.{i % 13}.{i % 3}",
        "description": " ".join(sentence(rng, 14) for _ in range(10)),
        "hashes": [{"alg": "SHA-256", "content": f"{rng.getrandbits(256):064x}"}],
        "licenses": [{"license": {"id": rng.choice(("Apache-2.0", "MIT", "BSD-3-Clause"))}}],
        "purl": f"pkg:pypi/org-{i % 211}/component-{i}@{i % 7}.{i % 13}.{i % 3}",
        "externalReferences": [{"type": "distribution", "url": f"https://example.org/org-{i % 211}/c-{i}"}],
        "properties": [
            {"name": "aiir:known_good", "value": "true" if i % 5 else "false"},
            {"name": "aiir:disableable", "value": "true" if i % 4 == 0 else "false"},
            {"name": "aiir:status", "value": "active"},
        ],
    }
    if i % 4 == 0:
        item["properties"].append({"name": "aiir:disable_procedure", "value": sentence(rng, 20)})
    if i % 50 == 49:  # a newer version of an earlier artefact
        item["properties"].append({"name": "aiir:derived_from", "value": f"c-{i - 49}"})
    if cdx_type == "machine-learning-model":
        item["modelCard"] = {
            "modelParameters": {
                "task": "text-generation",
                "architectureFamily": "transformer",
                "modelArchitecture": "decoder-only",
                "datasets": [{"ref": f"c-{max(0, i - 3)}"}] if i >= 3 else [],
                "inputs": [{"format": "text"}],
                "outputs": [{"format": "text"}],
            },
            "quantitativeAnalysis": {
                "performanceMetrics": [
                    {"type": "accuracy", "value": f"0.{rng.randint(700, 999)}", "slice": "holdout"},
                    {"type": "f1", "value": f"0.{rng.randint(600, 999)}", "slice": "multilingual"},
                ]
            },
            "considerations": {
                "users": ["support agents"],
                "useCases": [sentence(rng, 10)],
                "technicalLimitations": [sentence(rng, 16)],
                "ethicalConsiderations": [{"name": "bias", "mitigationStrategy": sentence(rng, 16)}],
            },
        }
    return item


def generate(count: int, path: Path, seed: int = 11) -> None:
    """Write the BOM to `path` component by component (the generator holds no whole document either)."""
    rng = random.Random(seed)  # noqa: S311  # test data, not secrets
    head = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2026-12-01T00:00:00Z",
            "component": {"type": "application", "bom-ref": "system", "name": "Benchmark assistant",
                          "description": "A large AI system for the import benchmark."},
        },
    }
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps(head)[:-1] + ', "components": [\n')
        for i in range(count):
            out.write(("," if i else "") + json.dumps(component(i, rng)) + "\n")
        out.write('], "dependencies": [\n')
        used = [f"c-{i}" for i in range(0, count, 3)]
        out.write(json.dumps({"ref": "system", "dependsOn": used}))
        for i in range(count):
            targets = sorted({f"c-{rng.randrange(i)}" for _ in range(rng.randint(1, 3))}) if i else []
            out.write(",\n" + json.dumps({"ref": f"c-{i}", "dependsOn": targets}))
        out.write("\n]}\n")


def manage(*args, env, capture=False):
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True,  # noqa: S603
                          capture_output=capture, text=True)


def timed_import(path: Path, env: dict) -> tuple[float, float, float, str]:
    """Run the import command as a child; (seconds, CPU seconds, peak RSS of the child in MB, its last line)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = manage("import_aibom", str(path), "--system", "benchmark", "--user", "bench", env=env, capture=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    lines = done.stdout.strip().splitlines()
    # ru_maxrss of the children is the largest of any child so far; the import is by far the largest.
    return elapsed, cpu, after.ru_maxrss / 1024, lines[-1] if lines else ""


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=25_000)
    parser.add_argument("--keep", help="write the BOM here (and keep it)")
    parser.add_argument("--reimport", action="store_true", help="import the same BOM a second time")
    args = parser.parse_args()

    env = {**os.environ, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "true")}
    scratch = tempfile.TemporaryDirectory(prefix="aibom-bench-")
    env["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch.name}/bench.sqlite3"
    env["MIGRATION_DATABASE_URL"] = os.environ.get("BENCH_MIGRATION_DATABASE_URL", "")
    path = Path(args.keep) if args.keep else Path(scratch.name) / "bom.cdx.json"

    start = time.perf_counter()
    generate(args.components, path)
    size = path.stat().st_size / 1e6
    print(f"BOM: {args.components} components, {size:.1f} MB, generated in {time.perf_counter() - start:.1f} s")
    database = env["DATABASE_URL"].split("@")[-1]
    print(f"database: {database.split('://')[0] if '://' in database else database}"
          f"{' (two roles)' if env.get('MIGRATION_DATABASE_URL') else ''}; cpus: {os.cpu_count()}, "
          f"load average {load()}")

    manage("migrate", "--noinput", env=env, capture=True)
    manage("shell", "-c", "from django.contrib.auth import get_user_model; "
                          "get_user_model().objects.get_or_create(username='bench')", env=env, capture=True)

    elapsed, cpu, peak, summary = timed_import(path, env)
    print(f"import: {elapsed:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak:.0f} MB; load average {load()}")
    print(f"  {summary}")
    if args.reimport:
        elapsed, cpu, peak, summary = timed_import(path, env)
        print(f"re-import: {elapsed:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak:.0f} MB (of both runs); "
              f"load average {load()}")
        print(f"  {summary}")
    start = time.perf_counter()
    verified = manage("verify_audit_trail", env=env, capture=True)
    print(f"verify_audit_trail: ok in {time.perf_counter() - start:.1f} s "
          f"({len(verified.stdout.splitlines())} lines of report)")
    scratch.cleanup()


if __name__ == "__main__":
    main()
