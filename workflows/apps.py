from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"

    def ready(self):
        # A deleted workflow moves its generation on in the shared cache
        # (workflows/selectors.py) in every process that can delete one.
        from workflows import selectors  # noqa: F401
