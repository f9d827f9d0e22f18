"""The sweep that voids pending transfers past their deadline (TigerBeetle's timeouts), as a periodic
durable job (``huimin_shared.jobs``, kind ``pending_expiry``).

Each round is one job row keyed by its number on the database's clock (``now() / interval``): every replica
offers the current round, the unique (kind, key) keeps one row, and ``FOR UPDATE SKIP LOCKED`` gives it to
one replica — so two replicas do not both run a round. Were a round run twice anyway (its replica paused
past its lease while another took it over), it would be harmless: voiding is a compare-and-set on the
transfer's state (``pending`` → ``voided``) under the balances' row locks, so a transfer is voided, and its
amount released, once. The round commits a chunk of voids at a time with its count as the checkpoint.
"""

from __future__ import annotations

import structlog

from huimin_settlement.ledger import service as ledger
from huimin_shared.jobs import JobContext, JobKind

log = structlog.get_logger(__name__)
ACTOR = "system:pending-expiry"
PENDING_EXPIRY = "pending_expiry"
CHUNK = 1000  # transfers voided per transaction


async def sweep_round(context: JobContext) -> None:
    """Void every pending transfer past its deadline, a chunk per transaction, and complete the round."""
    voided_total = int(context.progress.get("voided", 0))
    while True:
        async with context.sessions() as session, session.begin():
            voided = await ledger.expire_pending(session, ACTOR, limit=CHUNK)
            voided_total += len(voided)
            if len(voided) < CHUNK:
                await context.complete(session, {"voided": voided_total})
                break
            await context.checkpoint(session, {"voided": voided_total})
    if voided_total:
        log.info("pending_transfers_expired", count=voided_total, round=context.job.key)


def pending_expiry_kind(every_seconds: float) -> JobKind:
    return JobKind(PENDING_EXPIRY, run=sweep_round, every_seconds=every_seconds)
