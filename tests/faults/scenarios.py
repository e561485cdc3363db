"""The faults production meets, each against a running ``Stack``.

Every scenario creates its jobs, runs them through real worker processes while it
injects its fault, waits for all of them to end, then checks what S9 promises: every
job ended, none ran twice, and each attempt of each step is recorded exactly once.
It returns a line of figures; an AssertionError says what broke.
"""

import contextlib
import http.server
import random
import socketserver
import statistics
import threading
import time

from django.db.models import Count, Max, Min

from tests.faults.harness import LiveFollower, member

STEPS = 5


def _simulate(step_id, **config):
    return {"id": step_id, "provider": "simulate.outcome", "config": {"status": "OK", **config}}


def _workflow(workspace, steps, name):
    from workflows.services import create_workflow

    return create_workflow(workspace, {"name": name, "schema": "bill/invoice", "steps": steps})[0]


def _many_steps(workspace, name):
    steps = [_simulate(f"s{i}") for i in range(STEPS)]
    # One transient failure per job, so retries cross the faults too.
    steps[2]["config"]["transient_failures"] = 1
    steps[2]["retry"] = {"max_attempts": 3, "backoff_s": 0.05}
    return _workflow(workspace, steps, name)


def _queue(workspace, workflow, count):
    """Jobs as ``create_job`` makes them, written in bulk so a flood is quick to queue."""
    from django.utils import timezone

    from jobs.models import Job

    version = workflow.versions.get(number=workflow.current_version)
    now = timezone.now()
    Job.objects.bulk_create(
        [
            Job(workspace=workspace, workflow=workflow, version=version, args={"n": str(n)})
            for n in range(count)
        ],
        batch_size=1000,
    )
    Job.objects.filter(workflow=workflow).update(due_at=now)
    return Job.objects.filter(workflow=workflow)


def _wait_until_ended(stack, jobs, timeout_s, during=None):
    """Poll until no job is active, calling ``during()`` between polls (the fault)."""
    from django.db import close_old_connections

    from jobs.models import ACTIVE

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            close_old_connections()
            if not jobs.filter(status__in=ACTIVE).exists():
                return
        except Exception:  # PostgreSQL is restarting under us: look again shortly
            close_old_connections()
        if time.monotonic() > deadline:
            left = list(jobs.filter(status__in=ACTIVE).values_list("status", "recoveries")[:10])
            raise AssertionError(
                f"jobs still active after {timeout_s}s: {left}\n{stack.worker_log_tail()}"
            )
        if during is not None:
            during()
        time.sleep(0.2)


def check_exactly_once(jobs, steps, retried_step="s2"):
    """Every job OK, every step once, every attempt once and in order."""
    from jobs.models import Event, Intent, Status

    count = jobs.count()
    not_ok = jobs.exclude(status=Status.OK).count()
    assert not_ok == 0, f"{not_ok} of {count} jobs did not end OK"
    intents = Intent.objects.filter(job__in=jobs)
    per_job = intents.values("job").annotate(n=Count("id")).values_list("n", flat=True)
    assert set(per_job) == {steps}, f"a step ran twice or not at all: {set(per_job)}"
    assert not intents.exclude(status="OK").exists(), "an intent did not end OK"
    events = Event.objects.filter(intent__job__in=jobs)
    shape = events.values("intent").annotate(n=Count("id"), last=Max("index"), first=Min("index"))
    broken = [r for r in shape if not (r["first"] == 1 and r["last"] == r["n"])]
    assert not broken, f"attempts missing or out of order in {len(broken)} intents"
    oks = events.filter(status="OK").values("intent").annotate(n=Count("id"))
    assert {r["n"] for r in oks} == {1}, "a step has more than one OK attempt"
    retries = events.filter(status="RETRY", intent__step_id=retried_step).count()
    assert retries >= count, f"only {retries} retries recorded for {count} jobs"


def _rate(jobs):
    span = jobs.aggregate(first=Min("started_at"), last=Max("completed_at"))
    return jobs.count() / max((span["last"] - span["first"]).total_seconds(), 1e-6)


# --- Scenarios --------------------------------------------------------------------------


def killed_workers(stack, jobs_count):
    """SIGKILL django-q2 workers at random while multi-step jobs run."""
    _, workspace = member("kill", "Killed workers")
    jobs = _queue(workspace, _many_steps(workspace, "kill"), jobs_count)
    stack.start_workers(machines=2, per_machine=2)
    kills, most = [], 3 if jobs_count < 500 else jobs_count // 25

    def kill():
        # The first three half a second apart (a fast machine runs the short suite's
        # jobs in a few seconds, and the test needs kills during the run), then spread.
        gap = 0.5 if len(kills) < 3 else random.uniform(0.5, 1.5)
        due = not kills or time.monotonic() - kills[-1] > gap
        if len(kills) < most and due and stack.kill_a_worker():
            kills.append(time.monotonic())

    try:
        _wait_until_ended(stack, jobs, timeout_s=120 + jobs_count * 0.15, during=kill)
    finally:
        stack.stop_workers()
    check_exactly_once(jobs, STEPS)
    recovered = sum(jobs.values_list("recoveries", flat=True))
    assert len(kills) >= 3, f"only {len(kills)} workers were killed; the run was too short"
    return (
        f"{jobs_count} jobs x {STEPS} steps, {len(kills)} workers SIGKILLed, "
        f"{recovered} steps resumed by another worker, {_rate(jobs):.0f} jobs/s"
    )


def _restart_during_run(stack, jobs, restart, restarts):
    done = []
    started = time.monotonic()

    def maybe_restart():
        if len(done) < restarts and time.monotonic() - started > 1.0 + 2.0 * len(done):
            restart()
            done.append(time.monotonic())

    _wait_until_ended(stack, jobs, timeout_s=90 + jobs.count() * 0.15, during=maybe_restart)
    return len(done)


def postgres_restart(stack, jobs_count):
    """Restart PostgreSQL (fast: every connection is cut) twice while jobs run."""
    user, workspace = member("pgrestart", "PostgreSQL restart")
    stack.start_web()  # first: it takes a few seconds to start, which the jobs would use
    jobs = _queue(workspace, _many_steps(workspace, "pg restart"), jobs_count)
    stack.start_workers(machines=2, per_machine=2)
    try:
        restarts = _restart_during_run(stack, jobs, stack.postgres.restart, restarts=2)
        with contextlib.closing(stack.browser_session(user.username)) as browser:
            history = browser.get("/jobs/")
        assert history.status_code == 200, f"History answered {history.status_code}"
    finally:
        stack.stop_workers()
        stack.stop_web()
    assert restarts >= 1, "the jobs ended before PostgreSQL could be restarted"
    check_exactly_once(jobs, STEPS)
    return f"{jobs_count} jobs x {STEPS} steps, PostgreSQL restarted {restarts} times, web back"


def redis_restart(stack, jobs_count):
    """Restart Redis (losing its data: the queue, groups) twice while jobs run; a page
    following History live reconnects and catches up on every job's end."""
    user, workspace = member("redisrestart", "Redis restart")
    stack.start_web()
    browser = stack.browser_session(user.username)
    follower = LiveFollower(stack, browser, workspace)
    jobs = _queue(workspace, _many_steps(workspace, "redis restart"), jobs_count)
    stack.start_workers(machines=2, per_machine=2)
    try:
        restarts = _restart_during_run(stack, jobs, stack.redis.restart, restarts=2)
        history = browser.get("/jobs/")
        assert history.status_code == 200, f"History answered {history.status_code}"
        wanted = {str(pk): "OK" for pk in jobs.values_list("pk", flat=True)}
        deadline = time.monotonic() + 15
        while follower.statuses != wanted and time.monotonic() < deadline:
            time.sleep(0.2)
        missed = sum(1 for pk in wanted if follower.statuses.get(pk) != "OK")
        assert not missed, (
            f"the live page never saw {missed} of {jobs_count} jobs end "
            f"({follower.reconnects} reconnects, last: {follower.last_error})"
        )
    finally:
        follower.stop()
        browser.close()
        stack.stop_workers()
        stack.stop_web()
    assert restarts >= 1, "the jobs ended before Redis could be restarted"
    check_exactly_once(jobs, STEPS)
    return (
        f"{jobs_count} jobs x {STEPS} steps, Redis restarted {restarts} times; the live "
        f"page reconnected {follower.reconnects} times ({follower.resets} told to reload) "
        f"and saw every job end"
    )


class _Hanging(http.server.BaseHTTPRequestHandler):
    """Reads the request, then never answers (until the suite ends)."""

    release = threading.Event()

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.release.wait(120)

    def log_message(self, *args):
        pass


def hanging_receiver(stack, jobs_count):
    """A webhook receiver that accepts and never answers: the step times out, is
    retried, and no worker is held past the timeout; other jobs keep running."""
    from jobs.models import Event, Status

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Hanging)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    _, workspace = member("hang", "Hanging receiver")
    timeout_s = 1.0
    hooks = _queue(
        workspace,
        _workflow(
            workspace,
            [
                {
                    "id": "hook",
                    "provider": "webhook.post",
                    "config": {"url": url, "timeout_s": timeout_s},
                    "retry": {"max_attempts": 2, "backoff_s": 0.1},
                }
            ],
            "hang",
        ),
        jobs_count,
    )
    quick = _queue(workspace, _many_steps(workspace, "alongside"), jobs_count * 5)
    stack.start_workers(machines=1, per_machine=2)
    try:
        _wait_until_ended(stack, hooks | quick, timeout_s=120)
    finally:
        stack.stop_workers()
        _Hanging.release.set()
        server.shutdown()
    assert set(hooks.values_list("status", flat=True)) == {Status.KO}
    attempts = Event.objects.filter(intent__job__in=hooks)
    assert attempts.count() == 2 * jobs_count, "each hook step should have had 2 attempts"
    longest = max(attempts.values_list("duration_ms", flat=True)) / 1000
    assert longest < timeout_s + 2, f"an attempt held its worker {longest:.1f}s"
    check_exactly_once(quick, STEPS)
    return (
        f"{jobs_count} hooks to a hanging receiver ended KO after 2 attempts each, "
        f"longest attempt {longest:.2f}s (timeout {timeout_s:g}s); "
        f"{quick.count()} other jobs ran meanwhile"
    )


def flood(stack, jobs_count):
    """Queue many jobs at once; the console stays responsive while they drain."""
    user, workspace = member("flood", "Flood")
    stack.start_web()
    jobs = _queue(workspace, _workflow(workspace, [_simulate("only")], "flood"), jobs_count)
    stack.start_workers(machines=2, per_machine=2)
    timings, statuses = [], []
    try:
        with contextlib.closing(stack.browser_session(user.username)) as browser:

            def look():
                started = time.perf_counter()
                response = browser.get("/jobs/")
                timings.append(time.perf_counter() - started)
                statuses.append(response.status_code)

            _wait_until_ended(stack, jobs, timeout_s=60 + jobs_count * 0.05, during=look)
    finally:
        stack.stop_workers()
        stack.stop_web()
    assert set(statuses) == {200}, f"History answered {sorted(set(statuses))}"
    from jobs.models import Status

    assert jobs.filter(status=Status.OK).count() == jobs_count
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1] if len(timings) > 1 else timings[0]
    return (
        f"{jobs_count} jobs queued at once drained at {_rate(jobs):.0f} jobs/s; History's first "
        f"page while they ran: median {statistics.median(timings) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms over {len(timings)} loads (round trip, 2 cores shared)"
    )


SCENARIOS = {
    "killed_workers": (killed_workers, {"full": 1000, "short": 400}),
    "postgres_restart": (postgres_restart, {"full": 600, "short": 300}),
    "redis_restart": (redis_restart, {"full": 600, "short": 150}),
    "hanging_receiver": (hanging_receiver, {"full": 10, "short": 4}),
    "flood": (flood, {"full": 10000, "short": 1500}),
}


def run(names, size):
    """Run the scenarios one after another on one stack; returns how many failed."""
    from tests.faults.harness import Stack

    failed = 0
    with Stack() as stack:
        for name in names:
            scenario, sizes = SCENARIOS[name]
            started = time.monotonic()
            try:
                figures = scenario(stack, sizes[size])
            except AssertionError as error:
                failed += 1
                print(f"FAIL {name}: {error}", flush=True)
            else:
                print(f"ok   {name} ({time.monotonic() - started:.0f}s): {figures}", flush=True)
            finally:
                stack.stop_workers()
                stack.stop_web()
    return failed
