"""Shared fixtures: alice works in "Acme", bob in "Globex" (two workspaces), so every
view test can check in one line that bob cannot see alice's things."""

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from console.models import Membership, Workspace

GOBL_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "gobl"
if not GOBL_DIR.exists():  # a checkout with shared/ beside it, or inside it
    GOBL_DIR = Path(__file__).resolve().parents[1] / "shared" / "data" / "gobl"

PASSWORD = "correct horse battery"


def load_gobl(name):
    return json.loads((GOBL_DIR / name).read_text())


def make_member(username, workspace_name):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    workspace = Workspace.objects.create(name=workspace_name)
    Membership.objects.create(user=user, workspace=workspace, role=Membership.Role.OWNER)
    return user, workspace


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # alice and bob are created for almost every test; real hashing costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    return make_member("alice", "Acme")


@pytest.fixture
def bob(db):
    return make_member("bob", "Globex")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice[0])
    return client


@pytest.fixture
def invoice_doc():
    return load_gobl("es-invoice-es-es-freelance.json")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` run in the PostgreSQL pass of ``make test`` only."""
    import os

    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs in make test's PostgreSQL pass")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
