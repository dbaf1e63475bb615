"""Queries compiled once per database (`portal.core.compiled`) and serializer fields built once per class
(`portal.core.api.ModelSerializer`): each use still gets its own rows and its own fields."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection

from incidents.api.serializers import TimelineEventSerializer
from inventory.models import Team
from portal.core.api import ModelSerializer
from portal.core.authentication import RoleModelBackend
from portal.core.compiled import CompiledOnce

User = get_user_model()


def test_a_query_compiled_once_reads_the_rows_of_each_key(role_users):
    query = CompiledOnce(lambda key: User.objects.filter(pk=key).values_list("username"))
    names = []
    for user in (role_users["admin"], role_users["auditor"], role_users["admin"]):
        with connection.cursor() as cursor:
            cursor.execute(*query.sql(connection.alias, user.pk))
            names.append(cursor.fetchone()[0])

    assert names == [role_users["admin"].username, role_users["auditor"].username, role_users["admin"].username]


def test_a_query_without_the_key_among_its_parameters_is_refused(db):
    with pytest.raises(ValueError, match="not a parameter"):
        CompiledOnce(lambda key: User.objects.all()).sql(connection.alias, 1)


def test_the_session_user_is_read_with_its_permissions_by_the_compiled_query(role_users):
    backend = RoleModelBackend()
    auditor, responder = role_users["auditor"], role_users["incident responder"]

    read = [backend.get_user(user.pk) for user in (auditor, responder, auditor)]

    assert [user.username for user in read] == [auditor.username, responder.username, auditor.username]
    assert read[0].get_all_permissions() == User.objects.get(pk=auditor.pk).get_all_permissions()
    assert backend.get_user(10**9) is None and backend.get_user("not-an-id") is None


def test_permission_names_are_compiled_once_and_each_token_reads_its_own_users_names(role_users, admin_user,
                                                                                    monkeypatch):
    from portal.core import permissions, tokens

    monkeypatch.setattr(permissions, "_compiled_names", {})
    compiled = []
    original = permissions._permission_names
    monkeypatch.setattr(permissions, "_permission_names",
                        lambda *args: compiled.append(args) or original(*args))
    auditor, responder = role_users["auditor"], role_users["incident responder"]
    responder.user_permissions.add(Permission.objects.get(codename="view_team"))
    keys = {user.pk: tokens.api_token_create(actor=admin_user, user=user, name="t", scopes=["read"])[1]
            for user in (auditor, responder)}

    read = [tokens.api_token_for_key(keys[user.pk]) for user in (auditor, responder, auditor)]

    assert len(compiled) == 2  # the own and the group names, compiled for the first token only
    for token, user in zip(read, (auditor, responder, auditor), strict=True):
        permissions.permissions_keep(token.user, own=token.own_permission_names,
                                     groups=token.group_permission_names)
        fresh = User.objects.get(pk=user.pk)
        assert token.user.pk == user.pk
        assert token.user.get_all_permissions() == fresh.get_all_permissions()
        assert token.user.get_user_permissions() == fresh.get_user_permissions()
    assert "inventory.view_team" in read[1].user.get_user_permissions()
    assert read[0].user.get_user_permissions() == set()


def test_serializer_fields_are_built_once_per_class_and_each_serializer_gets_its_own(db, monkeypatch):
    class TeamSerializer(ModelSerializer):
        class Meta:
            model = Team
            fields = ["id", "name"]

    built = []
    original = ModelSerializer.build_field
    monkeypatch.setattr(ModelSerializer, "build_field",
                        lambda self, *args, **kwargs: built.append(args[0]) or original(self, *args, **kwargs))
    first = TeamSerializer().fields
    first["name"].read_only = True
    second = TeamSerializer().fields

    assert built == ["id", "name"]  # the second serializer copied the first build
    assert second["name"] is not first["name"] and not second["name"].read_only
    assert list(TimelineEventSerializer().fields) == TimelineEventSerializer.Meta.fields
