"""Users per role for tests. Roles are the groups the data migration creates."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from portal.core import roles

ROLE_USERNAMES = {
    roles.COMPLIANCE_OFFICER: "compliance",
    roles.INCIDENT_RESPONDER: "responder",
    roles.LEGAL_REVIEWER: "legal",
    roles.LEADERSHIP: "leadership",
    roles.AUDITOR: "auditor",
}


def make_user(username, role=None, *, superuser=False, password="a-long-test-password"):
    User = get_user_model()
    user = User.objects.create_user(
        username=username, password=password, email=f"{username}@example.org", is_staff=True,
        is_superuser=superuser,
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_role_users():
    users = {role: make_user(name, role) for role, name in ROLE_USERNAMES.items()}
    users["admin"] = make_user("admin", superuser=True)
    return users
