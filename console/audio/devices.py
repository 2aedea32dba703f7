"""Audio devices: find them, name them, and say what to do when there are none.

A device is chosen by a spec: empty for the system default, a number (PortAudio index),
a piece of its name, or `pulse:NAME`, which opens PulseAudio's (or PipeWire's) ALSA
device routed to the sink or source NAME. The last form lets one process talk to
several virtual devices, which is how CI runs real audio without a sound card.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any


class AudioUnavailable(RuntimeError):
    """Audio cannot be used; the message says why and what to do. Typed input still works."""


_sd: ModuleType | None = None


def sounddevice() -> ModuleType:
    """Import sounddevice once, turning a missing PortAudio into an actionable message."""
    global _sd
    if _sd is None:
        try:
            import sounddevice as sd
        except OSError as exc:  # the Python package is there, the C library is not
            raise AudioUnavailable(
                "PortAudio is not installed, so there is no microphone or speaker "
                f"({exc}). On Debian/Ubuntu: sudo apt-get install libportaudio2; on macOS: "
                "brew install portaudio. Calls still work with typed input."
            ) from None
        except ImportError as exc:
            raise AudioUnavailable(
                f"the sounddevice package is missing ({exc}): pip install sounddevice"
            ) from None
        _sd = sd
    return _sd


def rescan() -> None:
    """Look for devices again: PortAudio lists devices only when it starts, so one that
    appeared later (a headset plugged in, a sound server started) needs a restart of it.
    No stream may be open while this runs."""
    sd = sounddevice()
    sd._terminate()
    sd._initialize()


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    hostapi: str
    inputs: int
    outputs: int
    default_rate: float
    default_input: bool = False
    default_output: bool = False


def list_devices() -> list[Device]:
    sd = sounddevice()
    try:
        raw = sd.query_devices()
        default_in, default_out = sd.default.device
        apis = sd.query_hostapis()
    except Exception as exc:
        raise AudioUnavailable(f"cannot list audio devices: {exc}") from None
    out = []
    for d in raw:
        out.append(
            Device(
                index=d["index"],
                name=d["name"],
                hostapi=apis[d["hostapi"]]["name"],
                inputs=d["max_input_channels"],
                outputs=d["max_output_channels"],
                default_rate=d["default_samplerate"],
                default_input=d["index"] == default_in,
                default_output=d["index"] == default_out,
            )
        )
    return out


@dataclass(frozen=True)
class DeviceChoice:
    """A resolved device: what PortAudio opens, and the PulseAudio target if any."""

    index: int | None  # None: the system default
    label: str
    pulse_target: str = ""  # sink (output) or source (input) name, for pulse:NAME


def resolve(spec: str | int | None, kind: str) -> DeviceChoice:
    """Find the device a spec names, or raise AudioUnavailable naming the choices."""
    assert kind in ("input", "output")
    devices = list_devices()
    usable = [d for d in devices if (d.inputs if kind == "input" else d.outputs) > 0]
    if not usable:
        raise AudioUnavailable(
            f"no audio {kind} device found. Connect a "
            f"{'microphone' if kind == 'input' else 'speaker or headset'}, or use typed input."
        )
    spec = "" if spec is None else str(spec).strip()
    if spec.startswith("pulse:"):
        target = spec.split(":", 1)[1]
        pulse = next((d for d in usable if d.name == "pulse"), None)
        if pulse is None or not target:
            raise AudioUnavailable(
                f"{spec!r}: PulseAudio/PipeWire's ALSA device 'pulse' is not available"
            )
        return DeviceChoice(pulse.index, spec, target)
    if not spec:
        default = next(
            (d for d in usable if (d.default_input if kind == "input" else d.default_output)),
            usable[0],
        )
        return DeviceChoice(None, f"default ({default.name})")
    if spec.isdigit():
        match = next((d for d in usable if d.index == int(spec)), None)
    else:
        match = next((d for d in usable if spec.lower() in d.name.lower()), None)
    if match is None:
        names = ", ".join(f"{d.index}: {d.name}" for d in usable)
        raise AudioUnavailable(f"no {kind} device matches {spec!r}; choose one of: {names}")
    return DeviceChoice(match.index, match.name)


@contextlib.contextmanager
def pulse_routing(choice: DeviceChoice, kind: str) -> Iterator[None]:
    """Open a stream inside this block to route it to choice.pulse_target.

    The ALSA pulse plugin reads PULSE_SINK / PULSE_SOURCE when a stream is opened, so the
    variable is set only for the duration of the open.
    """
    if not choice.pulse_target:
        yield
        return
    var = "PULSE_SOURCE" if kind == "input" else "PULSE_SINK"
    old = os.environ.get(var)
    os.environ[var] = choice.pulse_target
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = old


def open_stream(kind: str, choice: DeviceChoice, **kwargs: Any) -> Any:
    """Open (not start) a sounddevice stream on a resolved device, with a clear error.

    Mono float32 unless told otherwise: every stream of the console is."""
    kwargs.setdefault("channels", 1)
    kwargs.setdefault("dtype", "float32")
    sd = sounddevice()
    cls = sd.InputStream if kind == "input" else sd.OutputStream
    try:
        with pulse_routing(choice, kind):
            return cls(device=choice.index, **kwargs)
    except Exception as exc:
        raise AudioUnavailable(
            f"cannot open the {kind} device {choice.label!r}: {exc}. It may be busy or "
            "unplugged; choose another device or use typed input."
        ) from None


@dataclass(frozen=True)
class PulseEndpoint:
    """A PulseAudio/PipeWire sink or source, opened through the `pulse:NAME` spec."""

    kind: str  # "input" (a source) or "output" (a sink)
    name: str
    description: str

    @property
    def spec(self) -> str:
        return f"pulse:{self.name}"


def pulse_endpoints(timeout: float = 2.0) -> list[PulseEndpoint]:
    """The sound server's sources and sinks by name; empty when there is no PulseAudio or
    PipeWire (or no `pactl` to ask it). Monitors of sinks are left out of the inputs:
    they are what a speaker plays, not a microphone."""
    import json
    import shutil
    import subprocess

    pactl = shutil.which("pactl")
    if pactl is None:
        return []
    out: list[PulseEndpoint] = []
    for what, kind in (("sources", "input"), ("sinks", "output")):
        try:
            done = subprocess.run(
                [pactl, "-f", "json", "list", what],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            items = json.loads(done.stdout) if done.returncode == 0 else []
        except (OSError, subprocess.SubprocessError, ValueError):
            items = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            name = item["name"]
            if kind == "input" and _is_monitor(item):
                continue
            description = str(item.get("description") or name)
            out.append(PulseEndpoint(kind, name, description))
    return out


def _is_monitor(source: dict) -> bool:
    """A sink's monitor (what a speaker plays). pactl's JSON names the sink it monitors
    `monitor_source` (16.x) or `monitor_of_sink`; its class is "monitor" either way."""
    props = source.get("properties")
    if isinstance(props, dict) and props.get("device.class") == "monitor":
        return True
    return any(
        source.get(key) not in (None, "", "n/a") for key in ("monitor_of_sink", "monitor_source")
    )
