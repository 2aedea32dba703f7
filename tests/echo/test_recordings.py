"""The two recordings of a processed microphone: recording.wav (raw caller left, agent
right) and recording-processed.wav (what the recogniser heard), on the same samples."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from console.audio.recorder import PROCESSED_FILE, CallRecorder, repair_wav, wav_problem

RATE = 16000
BLOCK = 160
DELAY = 224  # the processed stream trails the raw one by the module's delay


def tone(n: int, f: float = 440.0) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * f * np.arange(n) / RATE)).astype(np.float32)


def feed(recorder: CallRecorder, blocks: int, start: int = 0) -> None:
    """Caller blocks as captured; the processed stream DELAY behind, as the pump gives it."""
    for k in range(start, start + blocks):
        recorder.write_caller(tone(BLOCK))
        lo, hi = max(0, k * BLOCK - DELAY), max(0, (k + 1) * BLOCK - DELAY)
        if hi > lo:
            recorder.write_processed(np.full(hi - lo, 0.1, np.float32))


def test_both_files_end_at_the_same_sample_even_when_the_drop_is_told_late(tmp_path):
    recorder = CallRecorder(
        tmp_path / "recording.wav", RATE, processed_path=tmp_path / PROCESSED_FILE
    )
    feed(recorder, 100)
    recorder.end_at(100 * BLOCK - 51)  # the drop was 51 samples ago
    assert not recorder.complete  # the processed file is still DELAY behind
    feed(recorder, 3, start=100)
    assert recorder.complete
    assert recorder.close() == ""
    raw, _ = sf.read(tmp_path / "recording.wav")
    heard, rate = sf.read(tmp_path / PROCESSED_FILE)
    assert rate == RATE and heard.ndim == 1
    # Both end at the drop, though it was told after later audio had come in.
    assert len(heard) == len(raw) == 100 * BLOCK - 51


def test_without_a_processed_path_there_is_one_file(tmp_path):
    recorder = CallRecorder(tmp_path / "recording.wav", RATE)
    feed(recorder, 10)
    recorder.end_at(10 * BLOCK)
    assert recorder.complete and recorder.close() == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recording.wav"]


def test_a_killed_call_leaves_a_processed_file_that_repairs(tmp_path):
    """The processed file is written like the main one: its header is at most half a
    second stale, and repair_wav brings it up to date."""
    path = tmp_path / PROCESSED_FILE
    recorder = CallRecorder(tmp_path / "recording.wav", RATE, processed_path=path)
    feed(recorder, 120)  # 1.2 s, never closed: the process "died" here
    os.fsync(recorder.processed._fd)
    assert "the call was cut off" in wav_problem(path)
    assert repair_wav(path)
    assert wav_problem(path) == ""
    heard, _ = sf.read(path)
    assert len(heard) == 120 * BLOCK - DELAY


@pytest.fixture
def tmpfs(tmp_path):
    from tests.reliability.test_disk_full import Tmpfs

    disk = Tmpfs(tmp_path / "disk", 256)
    yield disk
    disk.close()


def test_a_full_disk_is_told_once_for_both_files(tmpfs):
    tmpfs.fill(leave_kb=100)
    said: list[str] = []
    recorder = CallRecorder(
        tmpfs.path / "recording.wav",
        RATE,
        on_error=said.append,
        processed_path=tmpfs.path / PROCESSED_FILE,
    )
    feed(recorder, 1000)  # 10 s: 960 KB for both, far more than is left
    recorder.end_at(1000 * BLOCK)
    assert recorder.complete  # the pump's loop ends: the call does not wait for the disk
    assert recorder.close() == ""
    assert len(said) == 1 and said[0].startswith("the sessions folder is full")
    for name in ("recording.wav", PROCESSED_FILE):
        assert wav_problem(tmpfs.path / name) == ""  # whole frames, a header that matches
