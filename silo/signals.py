"""What the silo tells the rest of the console, without importing it.

``entry_created(entry, source, actor, job_id)`` and ``entry_state_changed(entry, before,
after, job_id, actor)`` are sent inside the transaction that made the change;
``job_id`` is the job whose step made it, if any (``jobs.triggers`` listens).
``entry_changed(entry, job_id)`` follows every logged change of an entry (``jobs.live``).
"""

from django.dispatch import Signal

entry_created = Signal()
entry_changed = Signal()
entry_state_changed = Signal()
