"""Waiting for a Bulk API 2.0 job, shared by query jobs and ingest jobs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from connector.errors import FatalError, RetriableError
from connector.salesforce.client import SalesforceClient

FINISHED = "JobComplete"
FAILED = frozenset({"Failed", "Aborted"})


@dataclass(frozen=True)
class JobWaiter:
    """Polls a job's state until it is complete.

    Args:
        client: the Salesforce adapter (each poll is one counted ``bulk_status`` call).
        jobs: the jobs resource, ``jobs/query`` or ``jobs/ingest``.
        sleep: waits between polls (injected so tests do not wait).
        poll_interval: seconds between polls.
        timeout: seconds after which the wait gives up (the step is retried next cycle).
    """

    client: SalesforceClient
    jobs: str
    sleep: Callable[[float], None]
    poll_interval: float
    timeout: float

    def wait(self, job_id: str) -> None:
        """Return once ``job_id`` is complete.

        Raises:
            FatalError: Salesforce failed or aborted the job.
            RetriableError: the job is still running after ``timeout`` seconds.
        """
        deadline = time.monotonic() + self.timeout
        while True:
            job = self.client.request("bulk_status", "GET", f"{self.jobs}/{job_id}").json()
            state = str(job.get("state"))
            if state == FINISHED:
                return
            if state in FAILED:
                raise FatalError(f"Salesforce Bulk API job {job_id} ({self.jobs}) {state}: "
                                 f"{job.get('errorMessage') or 'no reason given'}")
            if time.monotonic() >= deadline:
                raise RetriableError(f"Salesforce Bulk API job {job_id} ({self.jobs}) still "
                                     f"{state} after {self.timeout:.0f} s")
            self.sleep(self.poll_interval)
