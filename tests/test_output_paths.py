"""Issue 18, item 3 and a small item: no command's output lands on the vault's own files,
whatever the path's spelling or symlinks; `-o -` is refused rather than written as a file."""

from __future__ import annotations

import os

import pytest

import main
from services import paths

LIVE = (paths.DB_NAME, paths.HEADER_NAME, paths.DB_NAME + "-wal")


def _state(data_dir) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data_dir.iterdir()) if p.is_file()}


@pytest.mark.parametrize("command", [
    ["backup", "-o"], ["export", "--format", "json", "-o"], ["brief", "--partner", "Helix", "-o"]])
def test_no_output_lands_on_the_live_vault(cli, data_dir, tmp_path, capsys, command):
    cli("init")
    cli("log", "--partner", "Helix", "--title", "Margin talk")
    link = tmp_path / "elsewhere"
    os.symlink(data_dir, link)  # the data folder under another name
    before = _state(data_dir)
    for target in [data_dir / name for name in LIVE] + [
            link / paths.DB_NAME, data_dir / ".." / data_dir.name / paths.HEADER_NAME,
            data_dir / ".lock", link / "notes.md", data_dir / "sub" / "deeper.json"]:
        capsys.readouterr()
        code = main.main(["--data-dir", str(data_dir), *command, str(target)])
        err = capsys.readouterr().err
        assert code == 1 and ("journal's own files" in err or "data folder" in err), (target, err)
        assert len(err.strip().splitlines()) == 1
    assert not (data_dir / ".lock").exists() and not (data_dir / "sub").exists()
    assert _state(data_dir).keys() >= {paths.DB_NAME, paths.HEADER_NAME}
    assert _state(data_dir)[paths.HEADER_NAME] == before[paths.HEADER_NAME]
    assert cli("list")[1].count("Margin talk") == 1  # the journal is intact


def test_dash_is_refused_not_written_as_a_file(cli, data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli("init")
    cli("log", "--partner", "Helix", "--title", "Margin talk")
    capsys.readouterr()
    for command in (["backup"], ["export", "--format", "json"]):
        assert main.main(["--data-dir", str(data_dir), *command, "-o", "-"]) == 1
        assert "standard output" in capsys.readouterr().err
    assert not (tmp_path / "-").exists()
