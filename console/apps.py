from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Console"

    def ready(self):
        # A deleted token is forgotten by the shared token cache (console/api/tokens.py)
        # in every process that can delete one, the workers' included.
        from console.api import tokens  # noqa: F401
