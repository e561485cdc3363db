"""``manage.py createowner``: the first user of an install and the workspace they own
(or, later, a new owner with a new workspace). Everyone else is invited from the
console's Members page.

The password is asked for twice at the terminal, or read from the environment
variable ``CONSOLE_OWNER_PASSWORD`` (for scripted installs), never from an argument
that would show in the process list or the shell's history.
"""

import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from console import first_run
from console import workspace_lifecycle as lifecycle

PASSWORD_VARIABLE = "CONSOLE_OWNER_PASSWORD"  # noqa: S105 - a variable's name


class Command(BaseCommand):
    help = "Create a user and a workspace they own (the first owner of a fresh install)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--workspace", required=True, help="The new workspace's name")

    def handle(self, *args, username, email, workspace, **options):
        password = os.environ.get(PASSWORD_VARIABLE) or self._ask_password()
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        try:
            user, created = lifecycle.create_owner(username, email, password, workspace)
        except lifecycle.WorkspaceError as error:
            raise CommandError(str(error)) from None
        first_run.forget_token()  # the first-run page is closed now
        self.stdout.write(f"{user.get_username()} owns the new workspace {created.name}.")

    def _ask_password(self):
        if not os.isatty(0):
            raise CommandError(f"No terminal to ask for the password: set {PASSWORD_VARIABLE}.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first
