"""`etl parse FILE [--json]`: one JSON object, readable tables, and one clear line on bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from etl.cli import app
from etl.parse.command import parse_command

FIX = Path(__file__).parent / "fixtures"
SEED = FIX / "000_0ef24cf9c99c7ecf.txt"
runner = CliRunner()


def test_json_output():
    res = runner.invoke(app, ["parse", str(SEED), "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["agency"] == "南星街道" and data["year"] == 2023 and data["template"] == "2021"
    assert len(data["section3"]) == 25 and all(len(v) == 7 for v in data["section3"].values())
    assert data["section3"]["new_received"] == [3, 0, 0, 0, 0, 0, 3]
    assert data["section4"]["review_total"] == 0
    assert data["section2"]["admin_fees"] == {"amount_10k_yuan": 0}
    assert {"cells", "prose", "warnings", "identity_source"} <= set(data)
    assert data["cells"][0]["source"]


def test_rich_tables():
    res = runner.invoke(app, ["parse", str(SEED)])
    assert res.exit_code == 0
    assert "南星街道" in res.stdout and "new_received" in res.stdout


def _one_line_error(tmp_path: Path, capsys, name: str, data: bytes, reason: str) -> None:
    f = tmp_path / name
    f.write_bytes(data)
    assert parse_command(f, json_out=True) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().split("\n")
    assert len(lines) == 1
    assert lines[0].startswith(f"{f}: {reason}")


def test_empty_file(tmp_path, capsys):
    _one_line_error(tmp_path, capsys, "empty.txt", b"", "empty")


def test_binary_file(tmp_path, capsys):
    _one_line_error(tmp_path, capsys, "blob.txt", bytes(range(256)) * 8, "undecodable")


def test_text_that_is_not_a_report(tmp_path, capsys):
    _one_line_error(tmp_path, capsys, "notice.txt", "关于召开会议的通知\n\n请准时参加。\n".encode(),
                    "not_a_report")


def test_cli_exit_code_on_missing_file(tmp_path):
    res = runner.invoke(app, ["parse", str(tmp_path / "nope.txt")])
    assert res.exit_code == 2


def test_an_unexpected_error_still_names_the_file(tmp_path, capsys, monkeypatch):
    import etl.parse.report as report

    def boom(doc, manifest=None):
        raise ValueError("a bug\non two lines")

    monkeypatch.setattr(report, "parse_document", boom)
    f = tmp_path / "r.txt"
    f.write_text("一、总体情况\n", encoding="utf-8")
    assert parse_command(f, json_out=False) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(f"{f}: parse_failed — ValueError: a bug")
