"""The job store on PostgreSQL: the ORM store with its two hot writes as one statement
each (``docs/engine.md``).

``CLAIM_DUE`` and ``STEP_COMMIT`` do what ``Store.claim`` (for a due job) and
``Store.write_step`` do through the ORM (which SQLite runs, and which stays the
readable reference), each in one statement: one round trip and one commit instead of
BEGIN, four or five writes and COMMIT, prepared once per connection (psycopg's
server-side-binding cursor; Django's default client-side cursor never prepares). The
rest (a job abandoned by its worker, a wait, an end with no step left, a cancel) goes
through the ORM store. The suite runs every engine test on both.
"""

import uuid
from contextlib import nullcontext
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from psycopg import Cursor
from psycopg.types.json import Jsonb

from console.models import Workspace
from jobs import live, position
from jobs.leases import LeaseLost, first_lease, lease_for
from jobs.models import Change, Intent, Job, Status
from jobs.store import Store, pinned_definition
from workflows.actions import registry

# What Store.claim() does for a due job, as one statement (one round trip, one commit): lock
# the first due job others have not locked, start it (with its first step's intent,
# read from its pinned version, when it is starting out), record the live change.
CLAIM_DUE = """
WITH picked AS (
    SELECT id FROM jobs_job
    WHERE status IN ('QUEUED', 'WAIT') AND due_at <= %(now)s
    ORDER BY due_at LIMIT 1
    FOR UPDATE SKIP LOCKED
), starting AS (
    SELECT job.id AS job_id, version.definition -> 'steps' -> 0 AS step
    FROM jobs_job job
    JOIN picked ON picked.id = job.id
    JOIN workflows_workflowversion version ON version.id = job.version_id
    WHERE job.position = '{}'::jsonb AND jsonb_array_length(version.definition -> 'steps') > 0
), first_intent AS (
    INSERT INTO jobs_intent
        (job_id, seq, step_id, name, provider, flow, status, code, message, started_at, changes)
    SELECT job_id, 1, step ->> 'id', COALESCE(step ->> 'name', ''), step ->> 'provider', 'main',
        'RUN', '', '', %(now)s, '{}'::jsonb
    FROM starting
    RETURNING id
), claimed AS (
    UPDATE jobs_job job
    SET status = 'RUN', lease_token = %(token)s, due_at = NULL, lease_until = %(lease_until)s,
        started_at = COALESCE(job.started_at, %(now)s),
        position = CASE WHEN job.position = '{}'::jsonb THEN %(start)s ELSE job.position END,
        current_intent_id = COALESCE((SELECT id FROM first_intent), job.current_intent_id),
        intent_count = job.intent_count + (SELECT count(*) FROM first_intent)
    FROM picked WHERE job.id = picked.id
    RETURNING job.*
), change AS (
    INSERT INTO jobs_change (workspace_id, job_id, entry_id, status, at)
    SELECT workspace_id, id, entry_id, 'RUN', %(now)s FROM claimed
    RETURNING id
)
SELECT claimed.*, (SELECT id FROM first_intent), (SELECT id FROM change),
    workspace.name, workspace.slug, workspace.created_at
FROM claimed JOIN console_workspace workspace ON workspace.id = claimed.workspace_id
"""

# Is any job due, or running with its lease run out? Both walk a partial index. Asked
# after every drain's last claim and on every tick of the workers' clock, so prepared
# once per connection (the ORM built two querysets with three joins each time: half
# of a busy worker's Python time went to that).
DUE_OR_LOST = """
SELECT EXISTS (SELECT FROM jobs_job WHERE status IN ('QUEUED', 'WAIT') AND due_at <= %(due)s),
    EXISTS (SELECT FROM jobs_job WHERE status = 'RUN' AND lease_until < %(due)s)
"""


# The same writes as Store.write_step, as one statement: on PostgreSQL a
# step's commit is then one round trip instead of six (BEGIN, four writes, COMMIT).
# Every write hangs off ``owned``, so a worker that lost its lease writes nothing.
STEP_COMMIT = """
WITH owned AS (
    SELECT id FROM jobs_job
    WHERE id = %(job)s AND lease_token = %(token)s AND status = 'RUN'
    FOR UPDATE
), attempt AS (
    INSERT INTO jobs_event (intent_id, index, status, code, message, at, duration_ms)
    SELECT %(intent)s, %(attempt)s, %(status)s, %(code)s, %(message)s, %(now)s, %(duration)s
    FROM owned
), outcome AS (
    UPDATE jobs_intent
    SET status = %(status)s, code = %(code)s, message = %(message)s, finished_at = %(now)s,
        next_attempt_at = NULL, changes = %(changes)s
    WHERE id = %(intent)s AND EXISTS (SELECT FROM owned)
), following AS (
    INSERT INTO jobs_intent
        (job_id, seq, step_id, name, provider, flow, status, code, message, started_at, changes)
    SELECT id, %(seq)s, %(step_id)s, %(name)s, %(provider)s, %(flow)s, 'RUN', '', '', %(now)s,
        '{}'::jsonb
    FROM owned WHERE %(has_next)s
    RETURNING id
), change AS (
    INSERT INTO jobs_change (workspace_id, job_id, entry_id, status, at)
    SELECT %(workspace)s, id, %(entry)s, %(job_status)s, %(now)s FROM owned
    RETURNING id
)
UPDATE jobs_job
SET entry_id = %(entry)s, position = %(position)s, attempt = 0,
    current_intent_id = (SELECT id FROM following),
    intent_count = %(intent_count)s, faults = %(faults)s, status = %(job_status)s,
    completed_at = %(completed_at)s, lease_until = %(lease_until)s,
    lease_token = CASE WHEN %(has_next)s THEN lease_token END
FROM owned WHERE jobs_job.id = owned.id
RETURNING current_intent_id, (SELECT id FROM change)
"""


class PostgresStore(Store):
    """``Store`` with a due job's claim and a step's commit as one statement each."""

    def claim(self, job_id=None):
        if job_id is None:
            now = timezone.now()
            claimed = self._claim_due(now)
            if claimed is not None:
                return claimed
            if not self._due_or_lost(now)[1]:
                return None
        return super().claim(job_id)  # a job abandoned by its worker, or this one job

    def due_exists(self, overdue_s=0):
        return any(self._due_or_lost(timezone.now() - timedelta(seconds=overdue_s)))

    def _due_or_lost(self, due):
        connection.ensure_connection()
        with connection.wrap_database_errors, Cursor(connection.connection) as cursor:
            return cursor.execute(DUE_OR_LOST, {"due": due}, prepare=True).fetchone()

    def _claim_due(self, now):
        token = uuid.uuid4()
        params = {
            "now": now,
            "token": token,
            "lease_until": first_lease(now),
            "start": Jsonb(position.start("main")),
        }
        connection.ensure_connection()
        with connection.wrap_database_errors, Cursor(connection.connection) as cursor:
            row = cursor.execute(CLAIM_DUE, params, prepare=True).fetchone()
            if row is None:
                return None
            columns = _claim_columns(cursor)
        fields = len(columns) - 5  # the job's own columns come first
        job = _job_from_row(dict(zip(columns[:fields], row[:fields], strict=True)))
        first_intent_id, change_id, name, slug, created_at = row[fields:]
        # from_db leaves any field not read here deferred (loaded if used), not defaulted.
        job.workspace = Workspace.from_db(
            connection.alias,
            ["id", "name", "slug", "created_at"],
            [job.workspace_id, name, slug, created_at],
        )
        live.committed(
            Change(
                id=change_id,
                workspace_id=job.workspace_id,
                job_id=job.pk,
                entry_id=job.entry_id,
                status=Status.RUN,
                at=now,
            )
        )
        if first_intent_id is not None:  # a resumed job's intent is read when it is used
            first = pinned_definition(job.version_id).steps[0]
            job.current_intent = _intent(job, first_intent_id, first, now)
            self._cover(job, token, first)
        elif job.current_intent_id is None:  # a rerun from a step, or an empty flow
            try:
                self.begin(job, token)
            except LeaseLost:  # cancelled in between: take the next one
                return self.claim()
        return job, token

    def _cover(self, job, token, step):
        """Lengthen the claim's lease when the first step may take longer (what
        ``Store.claim`` gives in its one write); a rare action that may run for minutes."""
        claimed_until = job.lease_until
        if lease_for(job, registry.get(step.provider)) != claimed_until:
            Job.objects.filter(pk=job.pk, lease_token=token).update(lease_until=job.lease_until)

    def write_step(self, job, token, intent, attempt, outcome, started, move):
        now = timezone.now()
        following = move.following
        has_next = following is not None
        if has_next:
            job.intent_count += 1
            status, completed_at = Status.RUN, None
            lease_until = lease_for(job, registry.get(following.provider))
        else:
            status, completed_at, lease_until = move.status, now, None
        params = {
            "job": job.pk,
            "workspace": job.workspace_id,
            "entry": job.entry_id,
            "token": token,
            "intent": intent.pk,
            "attempt": attempt,
            "status": outcome.status,
            "code": str(outcome.code or "")[:200],
            "message": outcome.message or "",
            "now": now,
            "duration": int((now - started).total_seconds() * 1000),
            "changes": Jsonb(outcome.changes),
            "has_next": has_next,
            "seq": job.intent_count,
            "step_id": following.id if has_next else "",
            "name": following.name if has_next else "",
            "provider": following.provider if has_next else "",
            "flow": job.position["flow"],
            "position": Jsonb(job.position),
            "intent_count": job.intent_count,
            "faults": Jsonb(job.faults),
            "job_status": status,
            "completed_at": completed_at,
            "lease_until": lease_until,
        }
        logs_end = not has_next and job.entry_id
        with transaction.atomic() if logs_end else nullcontext():
            connection.ensure_connection()
            with connection.wrap_database_errors, Cursor(connection.connection) as cursor:
                # A server-side-binding cursor, so psycopg prepares the statement once per
                # connection (Django's default client-side cursor never prepares).
                row = cursor.execute(STEP_COMMIT, params, prepare=True).fetchone()
            if row is None:
                raise LeaseLost
            live.committed(
                Change(
                    id=row[1],
                    workspace_id=job.workspace_id,
                    job_id=job.pk,
                    entry_id=job.entry_id,
                    status=status,
                    at=now,
                )
            )
            if not has_next:
                self.record_end(job, status)
        if not has_next:
            return None
        return _intent(job, row[0], following, now)


_columns = []


def _claim_columns(cursor):
    """The claim's column names: the same for every claim, and reading them from
    ``cursor.description`` costs about 0.1 ms each time (a Column object per column).
    Read again if the number of columns changed (a migration under a running worker)."""
    if len(_columns) != cursor.pgresult.nfields:
        _columns[:] = [column.name for column in cursor.description]
    return _columns


def _job_from_row(by_column):
    """A Job from raw columns, converted as the ORM would (JSON arrives as text)."""
    values = []
    for field in Job._meta.concrete_fields:
        value = by_column[field.column]
        if hasattr(field, "from_db_value"):
            value = field.from_db_value(value, None, connection)
        values.append(value)
    return Job.from_db(connection.alias, [f.attname for f in Job._meta.concrete_fields], values)


def _intent(job, intent_id, step, started_at):
    """The Intent a statement just inserted, without reading it back."""
    intent = Intent(
        id=intent_id,
        job=job,
        seq=job.intent_count,
        step_id=step.id,
        name=step.name,
        provider=step.provider,
        flow=job.position["flow"],
        started_at=started_at,
    )
    intent._state.adding = False
    intent._state.db = connection.alias
    return intent
