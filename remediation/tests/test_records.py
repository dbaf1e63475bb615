"""Adding one affected record by hand: checked as an imported row is."""

import pytest
from django.core.exceptions import ValidationError

from incidents.tests.factories import open_incident
from remediation.models import AffectedRecord
from remediation.services import affected_record_create

pytestmark = pytest.mark.django_db


def test_a_record_added_by_hand_is_refused_a_country_code_iso_3166_lacks_as_an_import_refuses_it(compliance):
    incident = open_incident(compliance)

    with pytest.raises(ValidationError) as refused:
        affected_record_create(actor=compliance, incident=incident, kind="decision", external_id="loan-1",
                               jurisdiction="uk")

    assert refused.value.message_dict == {"jurisdiction": ["'UK'; use GB (ISO 3166-1 has no UK)."]}
    assert not AffectedRecord.objects.exists()
