"""Fixtures of the PDF renderer tests: in-process rendering unless a test asks for the child process."""

import copy
from pathlib import Path

import pytest

TEST_TEMPLATES = Path(__file__).resolve().parent / "templates"


@pytest.fixture(autouse=True)
def _inline_rendering(settings):
    settings.PDF_RENDER_ISOLATION = "inline"


@pytest.fixture
def test_templates(settings):
    """Makes the templates of this folder (`pdf_tests/...`) loadable: raw markup no user could ever inject."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEST_TEMPLATES]
    settings.TEMPLATES = templates
