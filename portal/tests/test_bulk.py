"""Bulk writes without model instances: `update_rows` gives each row its own values in one statement round."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.core.bulk import update_rows
from portal.core.models import ApiToken

pytestmark = pytest.mark.django_db


def test_update_rows_sets_each_row_its_own_values_in_one_round():
    user = get_user_model().objects.create_user("bulk")
    tokens = [ApiToken.objects.create(user=user, name=f"t{i}", prefix=f"p{i}", key_hash=f"{i:064d}")
              for i in range(40)]
    when = timezone.now()
    rows = [{"id": t.pk, "name": f"renamed {i}", "scopes": ["read", str(i)], "expires_at": when}
            for i, t in enumerate(tokens)]

    with CaptureQueriesContext(connection) as queries:
        update_rows(ApiToken, rows, fields=["name", "scopes", "expires_at"])

    assert len(queries) == 1
    for i, token in enumerate(tokens):
        token.refresh_from_db()
        assert (token.name, token.scopes, token.expires_at, token.prefix) == (f"renamed {i}", ["read", str(i)],
                                                                              when, f"p{i}")


def test_update_rows_with_no_rows_runs_no_query():
    with CaptureQueriesContext(connection) as queries:
        update_rows(ApiToken, [], fields=["name"])
    assert len(queries) == 0
