"""The refusals of the batch use cases (409s with a stable problem type each)."""

from __future__ import annotations

from huimin_shared.errors import Conflict


class AssessmentOutdated(Conflict):
    slug = "assessment-outdated"
    title = "The assessment version is no longer the latest"


class BatchStateConflict(Conflict):
    slug = "batch-state"
    title = "The batch is not in the state this step needs"


class ControlTotalsMismatch(Conflict):
    slug = "control-totals-mismatch"
    title = "The batch's control totals no longer match its lines"
