"""Generation jobs: the SQLite job table that the HTTP API, the UI and the GPU worker share."""

from i2v.jobs.store import FINISHED, IllegalTransition, Job, JobNotFound, JobStatus, JobStore, QueueFull

__all__ = ["FINISHED", "IllegalTransition", "Job", "JobNotFound", "JobStatus", "JobStore", "QueueFull"]
