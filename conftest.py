"""Root test configuration: local (debug) settings unless a test says otherwise, and shared fixtures."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")

import pytest


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """No test may reach the network: any socket connection outside loopback fails loudly."""
    import socket

    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise RuntimeError(f"Tests may not reach the network (tried {address!r}).")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture
def role_users(db):
    """One staff user per role, named after it, plus an `admin` superuser: {role_name: user}."""
    from portal.tests.factories import make_role_users

    return make_role_users()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files (evidence) go to a per-test folder, never into the project."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def client_as(role_users):
    """`client_as(role)`: a client signed in as the user of `role` ("admin" for the superuser); None: anonymous."""
    from django.test import Client

    def make(role):
        client = Client()
        if role is not None:
            client.force_login(role_users[role])
        return client

    return make


@pytest.fixture
def compliance(role_users):
    from portal.core import roles

    return role_users[roles.COMPLIANCE_OFFICER]
