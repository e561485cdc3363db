from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "workflows.agencies"
    label = "agencies"
    verbose_name = "Tax agencies"
    default_auto_field = "django.db.models.BigAutoField"
