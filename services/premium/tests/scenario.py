"""The small hand-worked Benxi roster shared by the assessment, simulation and report tests.

Benxi 2010 illustrative contributions: minor 40.00, adult 150.00, elderly 90.00; dibao 100 %, marginal
70 %; districts 7:3, counties 5:5 (see test_assessments for the worked figures).
"""

from __future__ import annotations

import httpx

from .helpers import SOCIAL, wait_for_run
from .roster import person

T1 = "2010-01-05T00:00:00+08:00"
T2 = "2010-03-01T00:00:00+08:00"
T3 = "2010-04-01T00:00:00+08:00"

A = person("210502", "1975-05-05", 11, [("dibao", "2008-01-01", None)])
B = person("210521", "2000-02-02", 12, [("marginal", "2009-06-01", None)])
C = person("210503", "1940-04-04", 13, [("marginal", "2007-01-01", None), ("dibao", "2009-01-01", None)])
D = person("210522", "1980-08-08", 14, [("marginal", "2009-01-01", None)])
E = person("210504", "1970-07-07", 15, [("dibao", "2010-06-01", None)])
F = person("210502", "1985-03-03", 16, [("marginal", "2009-01-01", None)])
# Back-dated at T2: B was in fact dibao from 2009-06-01; D is gone; G (dibao minor) was missed.
B_DIBAO = {**B, "categories": [{"category": "dibao", "valid_from": "2009-06-01", "valid_to": None}]}
G = person("210504", "2004-04-04", 17, [("dibao", "2009-09-01", None)])

ROSTER_T1 = sorted([A, B, C, D, E, F], key=lambda r: r["id_number"])
ROSTER_T2 = sorted([A, B_DIBAO, C, E, F, G], key=lambda r: r["id_number"])


async def start(
    client: httpx.AsyncClient, kind: str, as_of: str, paid: list[str] | None = None
) -> tuple[str, dict]:  # type: ignore[type-arg]
    response = await client.post(
        "/v1/assessments",
        json={"region": "210500", "year": 2010, "kind": kind, "as_of": as_of, "paid": paid or []},
        headers=SOCIAL,
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert (
        response.headers["location"] == f"/v1/assessments/{body['assessment']['id']}/runs/{body['run']['id']}"
    )
    run = await wait_for_run(client, body["assessment"]["id"], body["run"]["id"])
    return body["assessment"]["id"], run
