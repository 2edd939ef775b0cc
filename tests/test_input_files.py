"""Issue 18, item 13 and the tracebacks: a file given as input must be a regular file. A FIFO
never blocks (it would wait forever for a writer), a folder is one line, a read-only data dir
that cannot hold the speech model is one line."""

from __future__ import annotations

import os

import pytest

READ_ONE_LINE = ("not a regular file", "is a folder")


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "memo.wav"
    os.mkfifo(path)
    return path


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.timeout(30)
def test_a_fifo_or_a_folder_is_refused_at_once(cli, fifo, tmp_path):
    cli("init")
    notes = tmp_path / "notes.txt"
    os.mkfifo(notes)
    for argv in (["transcribe", str(fifo)], ["log", "--partner", "Helix", "--title", "t",
                                             "--audio", str(fifo)],
                 ["log", "--partner", "Helix", "--title", "t", "--notes-file", str(notes)],
                 ["transcribe", str(tmp_path)],
                 ["log", "--partner", "Helix", "--title", "t", "--audio", str(tmp_path)],
                 ["log", "--partner", "Helix", "--title", "t", "--notes-file", str(tmp_path)]):
        code, _, err = cli(*argv)
        assert code == 1, (argv, err)
        assert any(s in _one_line(err) for s in READ_ONE_LINE), (argv, err)
    assert "Helix" not in cli("partner", "list")[1]  # nothing was logged


def test_a_huge_notes_file_is_one_line(cli, tmp_path):
    cli("init")
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(17 * 2**20)
    code, _, err = cli("log", "--partner", "Helix", "--title", "t", "--notes-file", str(big))
    assert code == 1 and "MB" in _one_line(err)


@pytest.mark.timeout(60)
def test_transcribe_with_a_read_only_data_dir_is_one_line(cli, data_dir, tmp_path,
                                                          monkeypatch):
    """As root chmod does not stop writes, so the model's folder is made a file instead:
    mkdir fails as it would on a read-only disk."""
    from services import voice

    cli("init")
    monkeypatch.setattr(voice, "APP_ROOT", tmp_path / "no-packaged-model")
    (data_dir / "models").write_text("in the way")
    sound = tmp_path / "memo.wav"
    import wave

    with wave.open(str(sound), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x10" * 16000)
    code, _, err = cli("transcribe", str(sound))
    assert code == 1 and "speech model cannot be set up" in _one_line(err)
