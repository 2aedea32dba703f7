"""The call recording: one WAV, caller on the left channel, agent on the right.

Sample index i of the file is session time i / rate, so the timeline and the recording
agree by construction. The left channel is the raw microphone, always. When the
microphone is processed (echo cancellation, noise suppression: console/audio/echo.py),
what the recogniser heard goes to a second, mono file, `recording-processed.wav`, on the
same sample positions: a bug report then shows whether a false barge-in came from echo
(the agent's voice on the left channel, gone from the processed file) or from the
caller. A second file rather than a third channel, so every player, the session browser
and the HTML report go on playing the two-channel call they always played.

The files are written as the call runs and their headers are brought up to date every
half second, so a process killed mid-call leaves WAVs that open (and `repair_wav` fixes
the last half second's header lag, if any).
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from console.audio.envelope import CallWaveforms
from console.core.eventlog import WriteFailed
from console.core.files import FileRefused, open_regular

_HEADER = 44
CALLER, AGENT = 0, 1
HOLD_S = 0.25  # the newest caller audio kept in memory, for agent audio that comes late
PROCESSED_FILE = "recording-processed.wav"  # beside recording.wav: what the recogniser heard
# What a WAV this console writes can hold: 16-bit PCM, a speech or studio rate.
CHANNELS_OK = range(1, 9)
RATE_OK = range(8_000, 384_001)


def _header(rate: int, channels: int, data_bytes: int) -> bytes:
    block_align = channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block_align, block_align, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class WavWriter:
    """16-bit PCM WAV, appended to, header patched as it grows.

    A write that fails (a full disk) never raises into the audio thread: the file is cut
    back to its last whole frame with its header made to match (it still plays, up to
    there), writing stops, and `on_error` hears once what happened and when, e.g. "the
    sessions folder is full (...): recording stopped at 12.4 s; the call goes on".
    """

    def __init__(
        self,
        path: str | Path,
        rate: int,
        channels: int,
        patch_every_s: float = 0.5,
        on_error: Callable[[str], None] | None = None,
    ):
        self.path = Path(path)
        self.rate = rate
        self.channels = channels
        self.frames = 0
        self.on_error = on_error
        self.failure = ""  # why writing stopped, in words ("" while it goes on)
        try:
            self._fd: int | None = os.open(
                self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o644
            )
            _write_all(self._fd, _header(rate, channels, 0))
        except OSError as exc:
            raise WriteFailed(self.path, exc) from None
        self._patch_every = max(1, int(rate * patch_every_s))
        self._since_patch = 0

    def write(self, frames: np.ndarray) -> None:
        """frames: float32 in [-1, 1], shape (n, channels). Never raises for the disk."""
        if self._fd is None or self.failure:
            return
        pcm = np.clip(frames, -1.0, 1.0)
        data = (pcm * 32767.0).astype("<i2").tobytes()
        try:
            _write_all(self._fd, data)
        except OSError as exc:
            self._fail(exc)
            return
        self.frames += len(frames)
        self._since_patch += len(frames)
        if self._since_patch >= self._patch_every:
            try:
                self._patch()
            except OSError as exc:
                self._fail(exc)

    def _patch(self) -> None:
        assert self._fd is not None
        data = self.frames * self.channels * 2
        os.pwrite(self._fd, struct.pack("<I", 36 + data), 4)
        os.pwrite(self._fd, struct.pack("<I", data), 40)
        self._since_patch = 0

    def _fail(self, exc: OSError) -> None:
        """Keep what is on disk playable: whole frames only, a header that matches."""
        assert self._fd is not None
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, _HEADER + self.frames * self.channels * 2)
        with contextlib.suppress(OSError):
            self._patch()
        reason = str(WriteFailed(self.path, exc))
        self.failure = (
            f"{reason}: recording stopped at {self.frames / self.rate:.1f} s; the call goes on"
        )
        report = self.on_error or _to_stderr
        with contextlib.suppress(Exception):
            report(self.failure)

    @property
    def closed(self) -> bool:
        return self._fd is None

    def close(self) -> str:
        """Bring the header up to date and close. Never raises; returns a problem in
        words, or ""."""
        if self._fd is None:
            return ""
        fd, problem = self._fd, ""
        try:
            self._patch()
            os.fsync(fd)
        except OSError as exc:
            problem = str(WriteFailed(self.path, exc))
        finally:
            self._fd = None
            os.close(fd)
        return problem


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _to_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def wav_problem(path: str | Path) -> str:
    """ "" if the WAV opens as this console writes them, else what is wrong, in words."""
    path = Path(path)
    try:
        fd = open_regular(path, follow_links=False)
    except FileNotFoundError:
        return "the file is missing"
    except OSError as exc:
        return f"not read: it {exc}" if isinstance(exc, FileRefused) else f"cannot be read ({exc})"
    try:
        size = os.fstat(fd).st_size
        head = os.pread(fd, _HEADER, 0)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    finally:
        os.close(fd)
    return header_problem(head, size)


def format_problem(head: bytes) -> str:
    """What is wrong with the format part of a 44-byte header (everything but the two
    size fields), for the kind of WAV this console writes; "" if nothing."""
    if len(head) < _HEADER or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return "not a WAV file"
    if head[12:16] != b"fmt " or head[36:40] != b"data":
        return "a WAV file of a layout this console does not write"
    fmt_size, fmt, channels, rate, byte_rate, block_align, bits = struct.unpack(
        "<IHHIIHH", head[16:36]
    )
    if fmt_size != 16 or fmt != 1 or bits != 16:
        return (
            f"its header says format {fmt}, {bits} bits: this console writes 16-bit PCM "
            "(format 1, 16 bits)"
        )
    if channels not in CHANNELS_OK:
        return f"its header says {channels} channels (1 to 8 is possible)"
    if rate not in RATE_OK:
        return f"its header says {rate} samples per second (8,000 to 384,000 is possible)"
    if block_align != channels * 2 or byte_rate != rate * block_align:
        return (
            f"its header does not add up: {channels} channels of 16 bits need "
            f"{channels * 2} bytes per frame and {rate * channels * 2} bytes per second, "
            f"it says {block_align} and {byte_rate}"
        )
    return ""


def header_problem(head: bytes, size: int) -> str:
    """What is wrong with a 44-byte header given the file's size; "" if nothing."""
    problem = format_problem(head)
    if problem:
        return problem
    riff = struct.unpack("<I", head[4:8])[0]
    data_hdr = struct.unpack("<I", head[40:44])[0]
    if data_hdr + _HEADER != size:
        return (
            f"its header says {data_hdr} bytes of audio but the file holds "
            f"{size - _HEADER}: the call was cut off (recover the session to repair it)"
        )
    if riff + 8 != size:
        return (
            f"its RIFF size says {riff + 8} bytes but the file is {size}: the call was cut "
            "off (recover the session to repair it)"
        )
    return ""


def repair_wav(path: str | Path) -> bool:
    """Make a WAV's header match its data (after a crash). Returns True if it changed.

    ValueError (in words) for a file that is not a WAV this console writes: only the two
    size fields are ever repaired, never a format field."""
    path = Path(path)
    try:
        fd = open_regular(path, write=True, follow_links=False)
    except FileNotFoundError:
        raise ValueError(f"{path.name} is missing") from None
    except OSError as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    with os.fdopen(fd, "r+b") as fh:
        size = os.fstat(fd).st_size
        head = fh.read(_HEADER)
        problem = format_problem(head)
        if problem == "not a WAV file":
            raise ValueError(f"{path} is not a WAV file this console wrote")
        if problem:
            raise ValueError(f"{path} has a WAV header this console does not write ({problem})")
        block_align = struct.unpack("<H", head[32:34])[0]
        data = (size - _HEADER) // block_align * block_align
        riff, data_hdr = struct.unpack("<I", head[4:8])[0], struct.unpack("<I", head[40:44])[0]
        if riff == 36 + data and data_hdr == data and size == _HEADER + data:
            return False
        fh.seek(4)
        fh.write(struct.pack("<I", 36 + data))
        fh.seek(40)
        fh.write(struct.pack("<I", data))
        fh.truncate(_HEADER + data)  # a half-written last frame goes
    return True


def mix_in(
    block: np.ndarray, start: int, pieces: list[tuple[int, np.ndarray]], column: int
) -> list[tuple[int, np.ndarray]]:
    """Add the waiting pieces of one side's audio, each (first sample index, samples),
    into `column` of `block` (which holds samples from `start` on). Returns the pieces
    that reach past the block: they wait for the next one."""
    end = start + len(block)
    keep = []
    for index, samples in pieces:
        lo, hi = max(index, start), min(index + len(samples), end)
        if lo < hi:
            block[lo - start : hi - start, column] += samples[lo - index : hi - index]
        if index + len(samples) > end:
            keep.append((index, samples))
    return keep


class CallRecorder:
    """Lines up caller and agent audio on the recording's sample positions.

    Caller audio arrives in order from the capture stream and drives the writing. Agent
    audio arrives from the output stream ahead of time, stamped with the sample index
    at which it is heard; it waits in a small buffer until the caller audio for those
    samples arrives. The line drop ends the recording at its exact sample.

    With `processed_path`, the processed microphone is written there too, in order from
    sample 0 (`write_processed`), and ends at the same sample. A full disk is told to
    `on_error` once, whichever file meets it first.
    """

    def __init__(
        self,
        path: str | Path,
        rate: int,
        on_error: Callable[[str], None] | None = None,
        processed_path: str | Path | None = None,
    ):
        self.rate = rate
        self._on_error = on_error
        self._told = False
        self.writer = WavWriter(path, rate, 2, on_error=self._tell)
        self.processed: WavWriter | None = None
        if processed_path is not None:
            try:
                self.processed = WavWriter(processed_path, rate, 1, on_error=self._tell)
            except BaseException:
                self.writer.close()
                raise
        self._agent: list[tuple[int, np.ndarray]] = []  # (first sample index, samples)
        self.end_index: int | None = None
        self._processed_end: int | None = None
        self.late_agent_samples = 0  # agent audio that came after its place was written
        self._caller = np.zeros(0, np.float32)  # the newest caller samples, not yet written
        # What has been written, as it is written: the window draws it during the call.
        self.waveforms = CallWaveforms(rate)

    def _tell(self, message: str) -> None:
        if self._told:
            return
        self._told = True
        (self._on_error or _to_stderr)(message)

    @property
    def written(self) -> int:
        return self.writer.frames

    def put_agent(self, index: int, samples: np.ndarray) -> None:
        if self.end_index is not None:
            samples = samples[: max(0, self.end_index - index)]
        if len(samples) and np.any(samples):
            late = min(len(samples), max(0, self.writer.frames - index))
            self.late_agent_samples += late
            self._agent.append((index, samples))

    def write_caller(self, samples: np.ndarray) -> None:
        """The next caller samples. The newest HOLD_S of them wait in memory before they
        are written: under load the agent's audio for a moment can reach the pump a
        little after the caller's (the playback thread was starved, then the device
        played it at once), and it is mixed in as long as its place is not yet on disk."""
        start = self.writer.frames + len(self._caller)
        if self.end_index is not None:
            samples = samples[: max(0, self.end_index - start)]
        if len(samples):
            self._caller = np.concatenate([self._caller, np.asarray(samples, np.float32)])
        ended = self.end_index is not None and self.writer.frames + len(self._caller) >= (
            self.end_index
        )
        hold = 0 if ended else round(HOLD_S * self.rate)
        if len(self._caller) > hold:
            self._write(self._caller[: len(self._caller) - hold])
            self._caller = self._caller[len(self._caller) - hold :]

    def _write(self, samples: np.ndarray) -> None:
        start, n = self.writer.frames, len(samples)
        block = np.zeros((n, 2), dtype=np.float32)
        block[:, CALLER] = samples
        self._agent = mix_in(block, start, self._agent, AGENT)
        self.writer.write(block)
        self.waveforms.add(start, block[:, CALLER], block[:, AGENT])

    def flush(self) -> None:
        """Write the caller samples held in memory (the call is over, or closing)."""
        if len(self._caller):
            self._write(self._caller)
            self._caller = self._caller[:0]

    def write_processed(self, samples: np.ndarray) -> None:
        """The next processed samples (what the recogniser heard), in order from 0."""
        if self.processed is None:
            return
        if self._processed_end is not None:
            samples = samples[: max(0, self._processed_end - self.processed.frames)]
        if len(samples):
            self.processed.write(samples.reshape(-1, 1))

    def end_at(self, index: int) -> None:
        """The line dropped at sample `index`: nothing after it is recorded."""
        self.end_index = max(index, 0) if self.end_index is None else self.end_index
        # The drop is told a few ms after it happened: held caller samples past it go,
        # and what is held up to it is written now.
        self._caller = self._caller[: max(0, self.end_index - self.writer.frames)]
        if self.writer.frames + len(self._caller) >= self.end_index:
            self.flush()
        if self._processed_end is None:
            # What was already on disk past the drop stays; the processed file, which
            # trails, ends where the caller channel ends.
            self._processed_end = max(self.end_index, self.writer.frames)

    @property
    def on_error(self) -> Callable[[str], None] | None:
        """Told once, in words, if the disk stops taking the recording (pump thread)."""
        return self._on_error

    @on_error.setter
    def on_error(self, fn: Callable[[str], None] | None) -> None:
        self._on_error = fn

    @property
    def failure(self) -> str:
        return self.writer.failure or (self.processed.failure if self.processed else "")

    @property
    def complete(self) -> bool:
        """The line dropped and everything up to it is written (or writing had stopped),
        in both files."""
        if self.end_index is None or self._processed_end is None:
            return False
        done = self.writer.frames >= self.end_index or bool(self.writer.failure)
        if self.processed is not None:
            p = self.processed
            done = done and (p.frames >= self._processed_end or bool(p.failure))
        return done

    def close(self) -> str:
        self.flush()
        problems = [self.writer.close(), self.processed.close() if self.processed else ""]
        return "; ".join(p for p in problems if p)
