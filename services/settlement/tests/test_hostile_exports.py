"""Payment instruction files are formula-safe (issue 11): no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io

import pytest

from huimin_settlement.bank.rules import INSTRUCTION_HEADERS, instruction_csv

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "=1+2", "@SUM(1)", "-2+3", "+1"]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_instruction_csv_writes_formula_like_names_as_text(encoding: str) -> None:
    rows = [
        ["T1", "B1", "MAF", name, "DIST", name, "130.00", "CNY", "210502", "dibao", "city", name, "pending"]
        for name in HOSTILE
    ]
    data = instruction_csv(rows, encoding)
    text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    lines = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(lines[0]) == INSTRUCTION_HEADERS
    for line, name in zip(lines[1:], HOSTILE, strict=True):
        assert (line[3], line[5], line[11]) == ("'" + name,) * 3
        assert line[6] == "130.00"
