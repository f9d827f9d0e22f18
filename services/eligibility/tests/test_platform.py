"""Index-served status look-up, the certificate key kept across restarts, every route documented."""

import io
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import divisions
from huimin_eligibility.app import create_app
from huimin_eligibility.common import now
from huimin_eligibility.imports.parsing import synthetic_csv_lines
from huimin_eligibility.imports.service import apply_staged, new_job, stage_file
from huimin_eligibility.imports.validation import Door
from huimin_eligibility.settings import EligibilitySettings
from huimin_shared.auth import Role
from huimin_shared.synthetic import synthetic_residents
from huimin_shared.testing import api_client, bearer


async def _load(session: AsyncSession, count: int) -> list[str]:
    residents = list(synthetic_residents(count, seed=9))
    content = "".join(synthetic_csv_lines(residents)).encode()
    job_id = uuid.uuid4()
    job = new_job(job_id, "bench.csv", "csv", "-", "partial", "test", now())
    await stage_file(session, job, io.BytesIO(content), Door(("210500",), divisions.today_in_china()))
    finished = await apply_staged(session, job_id, chunk_rows=2000, commit_chunks=False)
    assert finished is not None
    assert finished.rejected == 0
    return [r.id_number for r in residents]


async def test_status_look_up_is_an_index_scan(session: AsyncSession) -> None:
    """Done-when: a status look-up is served by an index, not a scan (plan of the repository's queries)."""
    numbers = await _load(session, 3000)
    await session.execute(text("ANALYZE certifications"))
    await session.execute(text("ANALYZE resident_versions"))
    plans = {}
    for table in ("certifications", "resident_versions"):
        rows = await session.execute(
            text(
                f"EXPLAIN SELECT * FROM {table} WHERE id_number = ANY(:numbers) AND recorded_at <= :as_of "
                "AND (superseded_at IS NULL OR superseded_at > :as_of)"
            ),
            {"numbers": [numbers[17]], "as_of": now()},
        )
        plans[table] = "\n".join(r[0] for r in rows)
    assert "ix_certifications_id_number_recorded_at" in plans["certifications"], plans
    assert "Seq Scan" not in plans["certifications"], plans
    assert "Seq Scan" not in plans["resident_versions"], plans


async def test_the_generated_certificate_key_survives_a_restart(settings: EligibilitySettings) -> None:
    """Unset ELIGIBILITY_CERTIFICATE_PRIVATE_KEY in test: one key generated, stored, and reused."""
    keys = []
    for _ in range(2):
        async with api_client(create_app(settings)) as client:
            keys.append((await client.get("/.well-known/jwks.json")).json()["keys"][0]["kid"])
    assert keys[0] == keys[1]


async def test_a_configured_key_is_used(settings: EligibilitySettings) -> None:
    from huimin_eligibility.status.signing import CertificateSigner, generate_private_key_pem

    pem = generate_private_key_pem()
    configured = settings.model_copy(
        update={"certificate_private_key": __import__("pydantic").SecretStr(pem)}
    )
    async with api_client(create_app(configured)) as client:
        kid = (await client.get("/.well-known/jwks.json")).json()["keys"][0]["kid"]
    assert kid == CertificateSigner(pem, "x").kid


async def test_every_v1_route_is_documented_with_summary_description_and_problems(
    settings: EligibilitySettings,
) -> None:
    schema = create_app(settings).openapi()
    for path, operations in schema["paths"].items():
        if not path.startswith("/v1"):
            continue
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert "**Roles:**" in operation.get("description", ""), (method, path)
            assert any(code in operation["responses"] for code in ("401", "403")), (method, path)


async def test_an_id_beyond_its_column_is_refused_as_input_not_a_500(client) -> None:
    """A lineage, an import row or an audit cursor larger than its column names nothing: a 422 problem
    naming the field (the fuzzer found lineage 2^63 answering 500)."""
    headers = bearer(Role.civil_affairs)
    exit_body = {"valid_to": "2010-06-30", "reason": "test"}
    responses = {
        "path.lineage": await client.post(
            "/v1/certifications/9223372036854775808/exit", json=exit_body, headers=headers
        ),
        "query.after": await client.get(f"/v1/imports/{uuid.uuid4()}/rows?after=2147483648", headers=headers),
    }
    audit = await client.get("/v1/audit?after=9223372036854775808", headers=bearer(Role.auditor))
    for field, response in [*responses.items(), ("query.after", audit)]:
        assert response.status_code == 422, (field, response.text)
        assert field in [error["field"] for error in response.json()["errors"]]
