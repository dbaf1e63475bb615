"""Production serves static files from a manifest (`collectstatic` with hashed names): a file that names another
one which is missing (a source map, a stylesheet's url()) makes `collectstatic` fail, and every page 500."""

from io import StringIO

from django.core.management import call_command


def test_collectstatic_builds_the_manifest_production_serves(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}

    call_command("collectstatic", "--noinput", stdout=StringIO())  # raises on a file naming a missing one

    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "reporting/vendor/chartjs/chart.umd.min.js" in manifest
    assert ".map" not in (tmp_path / "static" / "reporting/vendor/chartjs/chart.umd.min.js").read_text()[-200:]
