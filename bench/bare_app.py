"""The reference for bench/status.py: a bare FastAPI async route, served by the same uvicorn the services
use, so the status look-up is measured next to what this machine can answer at all in the same run.

    .venv/bin/python -m uvicorn bare_app:app --app-dir bench
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
async def bare() -> dict[str, bool]:
    return {"ok": True}
