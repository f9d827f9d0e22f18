"""Durable background jobs: rows in the service's own ``jobs`` table that any live replica runs.

A job is a row (kind, key, payload, state, progress) with a lease: the process running it is its
``lease_owner`` until ``lease_until`` and renews the lease by heartbeat while it works. Any process of
the service claims a queued job, or a running one whose lease lapsed (its process died), with
``FOR UPDATE SKIP LOCKED`` so two replicas never take the same row. A handler commits its work in
chunks and records, in the same transaction, where it got to (``checkpoint``); a reclaimed job resumes
from its last committed chunk. Every checkpoint and the completion are fenced by the lease — an UPDATE
``WHERE lease_owner = me`` in the chunk's own transaction — so a process that lost its lease (paused
past it, or cut off) cannot commit a chunk twice or complete a job another process completed.

A job fails (``failed``, once, with the handler's ``on_failure`` clean-up in the same transaction) when
its handler raises; when the database is unreachable the job is left to be reclaimed instead, and the
runner keeps polling until the database is back.
"""

from huimin_shared.jobs.router import JobList, JobOut, JobState, jobs_router
from huimin_shared.jobs.runner import (
    FailureHook,
    Handler,
    JobContext,
    JobKind,
    JobRunner,
    LeaseLost,
    database_unavailable,
    new_owner,
)
from huimin_shared.jobs.store import enqueue, enqueue_round, get_readable, job_for, list_readable
from huimin_shared.jobs.table import STATES, Job, jobs_table

__all__ = [
    "STATES",
    "FailureHook",
    "Handler",
    "Job",
    "JobContext",
    "JobKind",
    "JobList",
    "JobOut",
    "JobRunner",
    "JobState",
    "LeaseLost",
    "database_unavailable",
    "enqueue",
    "enqueue_round",
    "get_readable",
    "job_for",
    "jobs_router",
    "jobs_table",
    "list_readable",
    "new_owner",
]
