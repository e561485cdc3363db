from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"

    def ready(self):
        from jobs import live, triggers
        from silo import signals

        triggers.connect()
        signals.entry_changed.connect(live.entry_changed, dispatch_uid="jobs.live.entry")
