"""Every line a job's work logs carries the job and step it belongs to, as JSON."""

import json
import logging

from console.logs import JsonFormatter, ScopeFilter
from tests.jobs.flows import ok, run_flow, sim


def test_a_jobs_log_lines_carry_its_job_and_step_ids(alice, caplog):
    caplog.handler.addFilter(ScopeFilter())
    with caplog.at_level(logging.INFO, logger="jobs.engine"):
        job = run_flow(alice.workspace, [ok("first"), sim("second", "OK", transient=1)])
    lines = [json.loads(JsonFormatter().format(record)) for record in caplog.records]

    assert {line["job_id"] for line in lines} == {str(job.id)}
    said = [(line.get("step_id"), line.get("attempt"), line["message"]) for line in lines]
    assert said[0] == ("first", "1", "step first ended OK")
    assert said[1][:2] == ("second", "1") and said[1][2].startswith("step waits until")
    assert said[2] == ("second", "2", "step second ended OK")
    assert said[3] == ("second", "2", "job ended OK")
