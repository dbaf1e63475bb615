"""Refreshing the reference taxonomies. Taxonomy rows are reference data without history or timeline: an import
is recorded as a log line and returned as a summary."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents import taxonomy_data
from incidents.models import AtlasTactic, AtlasTechnique
from incidents.taxonomy_data import AtlasSyncSummary

logger = logging.getLogger(__name__)


@transaction.atomic
def atlas_import(*, actor, data: dict) -> AtlasSyncSummary:
    """Refresh MITRE ATLAS from the official ATLAS.yaml (`data` as parsed by `yaml.safe_load`).

    New tactics and techniques are added, renamed ones and changed tactic links updated; techniques no longer in
    the file are marked retired (never deleted: incidents and runbooks keep pointing at them) and un-retired when
    they come back. A malformed file raises ValidationError naming the place and the rule, with nothing changed.
    """
    try:
        atlas = taxonomy_data.atlas_from_release(data)
    except taxonomy_data.TaxonomyDataError as exc:
        raise ValidationError({"data": str(exc)}) from exc
    summary = taxonomy_data.atlas_sync(atlas, tactic_model=AtlasTactic, technique_model=AtlasTechnique)
    logger.info("ATLAS import by %s: %s", getattr(actor, "username", None) or "system", summary.summary())
    return summary
