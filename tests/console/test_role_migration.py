"""Upgrading keeps everyone's access: the old "member" role becomes "editor"."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("console", "0002_workspacesettings_secret")]
AFTER = [("console", "0003_roles_and_invitations")]


@pytest.mark.django_db(transaction=True)
def test_members_become_editors_and_owners_stay_owners():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="carol")
    other = old.get_model("auth", "User").objects.create(username="dave")
    workspace = old.get_model("console", "Workspace").objects.create(name="Acme", slug="acme")
    Membership = old.get_model("console", "Membership")
    Membership.objects.create(user=user, workspace=workspace, role="member")
    Membership.objects.create(user=other, workspace=workspace, role="owner")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("console", "Membership")

    roles = dict(new.objects.values_list("user__username", "role"))
    assert roles == {"carol": "editor", "dave": "owner"}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
