"""Re-encrypt every workspace secret with the first key of ``CONSOLE_SECRETS_KEY``.

To change the key: set ``CONSOLE_SECRETS_KEY="<new key>,<old key>"``, run this, then
drop the old key. Secrets stored while ``CONSOLE_SECRETS_KEY`` was unset (keyed from
``SECRET_KEY``) are read too, so setting a first key and running this moves them over.
"""

from django.core.management.base import BaseCommand, CommandError

from console import secrets


class Command(BaseCommand):
    help = "Re-encrypt every workspace secret with the first key of CONSOLE_SECRETS_KEY."

    def handle(self, *args, **options):
        rotated, unreadable = secrets.rotate_all()
        self.stdout.write(f"{rotated} secrets re-encrypted.")
        if unreadable:
            raise CommandError(
                f"{unreadable} secrets could not be read with any configured key; "
                "they were left as they were."
            )
