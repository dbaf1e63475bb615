"""Chart.js is vendored from the npm registry with its licence and a VERSION file naming what was taken."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders

VENDOR = "reporting/vendor/chartjs"


def test_the_vendored_chart_js_matches_its_version_file():
    script = Path(finders.find(f"{VENDOR}/chart.umd.min.js"))
    fields = dict(line.split(": ", 1) for line in Path(finders.find(f"{VENDOR}/VERSION")).read_text().splitlines())
    assert fields["package"] == "chart.js"
    assert re.fullmatch(r"4\.\d+\.\d+", fields["version"])
    assert fields["tarball"] == f"https://registry.npmjs.org/chart.js/-/chart.js-{fields['version']}.tgz"
    assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", fields["integrity"])
    assert f"Chart.js v{fields['version']}" in script.read_text()[:200]
    assert "MIT License" in Path(finders.find(f"{VENDOR}/LICENSE.md")).read_text()


def test_the_makefile_refreshes_it_from_the_registry_and_checks_the_integrity():
    makefile = (Path(__file__).resolve().parents[3] / "Makefile").read_text()
    target = makefile.split("vendor-chartjs:", 1)[1]
    assert "npm view" in target and "dist.integrity" in target and "integrity mismatch" in target
