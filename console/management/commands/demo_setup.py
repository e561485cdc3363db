"""Demo data for ``make run``: workspaces "Demo" and "Sandbox", a ``demo`` user in
both, and in Demo the GOBL examples, the ready-made workflows and past jobs run by the
engine (``console.demo``). Safe to run on every start.

The password is generated once into ``var/demo_password`` and reused, so it stays the
same across restarts without ever being committed.
"""

import secrets
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from console import demo
from console.models import Membership, Workspace
from workflows.agencies.demo import use_local_aeat

USERNAME = "demo"
WORKSPACES = {"demo": "Demo", "sandbox": "Sandbox"}


def demo_password():
    path = settings.VAR_DIR / "demo_password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


class Command(BaseCommand):
    help = (
        "Create the demo user and workspaces, load the GOBL examples, install the "
        "ready-made workflows and run the demo's jobs (idempotent)."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        password = demo_password()
        with transaction.atomic():
            user, _ = get_user_model().objects.get_or_create(username=USERNAME)
            if not user.check_password(password):
                user.set_password(password)
                user.save()
            for slug, name in WORKSPACES.items():
                workspace, _ = Workspace.objects.get_or_create(slug=slug, defaults={"name": name})
                Membership.objects.get_or_create(
                    user=user, workspace=workspace, defaults={"role": Membership.Role.OWNER}
                )
        call_command("load_gobl", workspace="demo", stdout=self.stdout, stderr=self.stderr)
        use_local_aeat(Workspace.objects.get(slug="demo"))  # VERI*FACTU: the local test AEAT
        installed, told = demo.install(Workspace.objects.get(slug="demo"))
        self.stdout.write(
            f"Workflows: {installed} installed. Demo jobs: {told} stories run "
            f"({time.monotonic() - started:.1f} s in all)."
        )
        self.stdout.write(f"Demo user: {USERNAME}  password: {password}")
