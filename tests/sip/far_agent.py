"""A scripted voice agent on a real SIP user agent (baresip-python), for the SIP tests.

Run as its own process (baresip allows one stack per process; the console under test has
the other), listening on 127.0.0.1 only:

    python tests/sip/far_agent.py --port 15070 --mode clip --line greeting.wav --line bye.wav

It answers (after --ring-s), plays the first line, then after each caller utterance
(caller audio louder than -40 dBFS, then 0.6 s quiet) the next line. After the last line
(the goodbye) it hangs up as --mode says:

- normal: BYE --bye-after-s after the goodbye's last sample went out;
- clip: BYE when --clip-s of the goodbye are still unsent (the clipped-goodbye bug);
- never: no BYE at all (it waits for the caller to hang up);
- reject: refuses every call (486 Busy Here);
- refuse: answers every INVITE with --status (503, 401, 407, 403...) and, for 401/407,
  a digest challenge; an INVITE that answers the challenge gets the same status again (a
  wrong password). baresip-python can only reject with 486 (its shim hard-codes it), so
  this mode is a plain SIP responder on a UDP socket, not a baresip user agent;
- nortp: answers, then sends no audio at all (one 20 ms frame, then nothing);
- stall: as normal, but after its first line the whole process is stopped (SIGSTOP) for
  --stall-s, so its RTP stops mid-call and then comes back (a media server that hangs):
  audio written and unwritten alike stops, as it would on the wire.

It prints one JSON object per line on stdout, so a test can wait for "ready" and check
what the agent did: ready, incoming, answered, line_start, line_end, caller_spoke, bye,
closed, dtmf (refuse: ready, incoming with "authorized", refused). Audio goes out paced
like a real agent's: never more than 40 ms ahead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

AHEAD_S = 0.04
CALLER_LOUD = 0.01
CALLER_DONE_S = 0.6
THINK_S = 0.3


def say(event: str, **data) -> None:
    print(json.dumps({"event": event, "t": round(time.monotonic(), 4), **data}), flush=True)


def read_wav(path: str) -> tuple[np.ndarray, int]:
    with wave.open(path, "rb") as w:
        rate, channels = w.getframerate(), w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32)
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data / 32768.0, rate


def at_rate(samples: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst:
        return samples
    import soxr

    return soxr.resample(samples, src, dst).astype(np.float32)


def pcm(samples: np.ndarray, channels: int) -> bytes:
    data = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    return (np.repeat(data, channels) if channels > 1 else data).tobytes()


class Agent:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.lines = [read_wav(p) for p in args.line]

    async def handle(self, call) -> None:
        args = self.args
        say("incoming", peer=call.peer)
        if args.mode == "reject":
            await call.reject()
            say("rejected")
            return
        closed = asyncio.Event()

        def on_event(e) -> None:
            from baresip import Event

            if e.event is Event.CALL_CLOSED:
                say("closed", reason=e.text or "")
                closed.set()

        call.on(on_event)
        call.on_dtmf(lambda d: say("dtmf", digit=d.digit))
        await asyncio.sleep(args.ring_s)
        await call.answer()
        say("answered")
        try:
            await self.converse(call, closed)
        except Exception as exc:  # the call closed under us: normal for "never"/"nortp"
            if not closed.is_set():
                say("error", message=f"{type(exc).__name__}: {exc}")

    async def converse(self, call, closed: asyncio.Event) -> None:
        from baresip.errors import AudioNotActive, AudioRestarted

        info = None
        while info is None or not info.tx_ready:
            if closed.is_set():
                return
            try:
                info = call.audio.info()
            except (AudioNotActive, AudioRestarted):
                info = None
            if self.args.mode == "nortp" and info is not None:
                break
            await asyncio.sleep(0.01)
        if self.args.mode == "nortp":
            await closed.wait()
            return
        for n, (samples, rate) in enumerate(self.lines):
            if n > 0:
                await self.listen(call, closed)
                await asyncio.sleep(THINK_S)
            if closed.is_set():
                return
            last = n == len(self.lines) - 1
            await self.play(call, closed, n, samples, rate, last)
            if closed.is_set():
                return
            if n == 0 and self.args.mode == "stall":
                self.freeze(self.args.stall_s)
        if self.args.mode in ("normal", "stall"):
            await asyncio.sleep(self.args.bye_after_s)
            if not closed.is_set():
                say("bye", remaining_s=0.0)
                await call.hangup()
        await closed.wait()

    def freeze(self, seconds: float) -> None:
        """Stop this whole process (baresip's media thread too) for `seconds`."""
        pid = os.getpid()
        say("stalled", seconds=seconds)
        freezer = ["sh", "-c", f"kill -STOP {pid}; sleep {seconds}; kill -CONT {pid}"]
        subprocess.Popen(freezer).wait()  # stopped in here; goes on once it sent CONT
        say("resumed")

    async def play(self, call, closed, n, samples, rate, last) -> None:
        from baresip.errors import AudioNotActive, AudioRestarted

        info = call.audio.info()
        tx_rate, channels = info.tx_sample_rate, max(1, info.tx_channels)
        data = at_rate(samples, rate, tx_rate)
        clip = int(self.args.clip_s * tx_rate) if (last and self.args.mode == "clip") else 0
        stop_at = len(data) - clip
        frame = tx_rate // 50
        sent = 0
        say("line_start", n=n, seconds=round(len(data) / tx_rate, 3))
        while sent < stop_at and not closed.is_set():
            try:
                buffered = call.audio.info().tx_buffered / (2 * channels * tx_rate)
                self.drain(call)
                if buffered < AHEAD_S:
                    chunk = data[sent : min(stop_at, sent + frame)]
                    sent += call.audio.write(pcm(chunk, channels)) // (2 * channels)
            except (AudioNotActive, AudioRestarted):
                pass
            await asyncio.sleep(0.005)
        await self.drained(call, closed)
        if clip and not closed.is_set():
            say("bye", remaining_s=round((len(data) - sent) / tx_rate, 3))
            await call.hangup()
            return
        say("line_end", n=n)

    async def drained(self, call, closed) -> None:
        from baresip.errors import AudioNotActive, AudioRestarted

        while not closed.is_set():
            try:
                if call.audio.info().tx_buffered == 0:
                    return
            except (AudioNotActive, AudioRestarted):
                return
            await asyncio.sleep(0.005)

    def drain(self, call) -> bytes:
        from baresip.errors import AudioNotActive, AudioRestarted

        try:
            return call.audio.read(65536)
        except (AudioNotActive, AudioRestarted):
            return b""

    async def listen(self, call, closed) -> None:
        """Until the caller has spoken and then been quiet for CALLER_DONE_S."""
        spoke_at = None
        quiet_since = None
        while not closed.is_set():
            data = self.drain(call)
            if data:
                x = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float32)
                loud = np.sqrt(np.mean((x / 32768.0) ** 2)) > CALLER_LOUD
                now = time.monotonic()
                if loud:
                    spoke_at = spoke_at or now
                    quiet_since = None
                elif spoke_at is not None and quiet_since is None:
                    quiet_since = now
                if quiet_since is not None and now - quiet_since >= CALLER_DONE_S:
                    say("caller_spoke")
                    return
            await asyncio.sleep(0.01)


REASONS = {401: "Unauthorized", 403: "Forbidden", 407: "Proxy Authentication Required"}
REASONS |= {404: "Not Found", 500: "Server Internal Error", 503: "Service Unavailable"}


def _named(headers: list[str], *names: str) -> list[str]:
    """The header lines with one of these (lower-case, or compact) names, in order."""
    return [h for h in headers if h.split(":")[0].strip().lower() in names]


def refuse(port: int, status: int) -> None:
    """Answer every INVITE with `status` (and a challenge for 401/407); ACKs end it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    say("ready", port=port)
    while True:
        data, peer = sock.recvfrom(65536)
        request = data.decode("utf-8", "replace")
        head, _, _ = request.partition("\r\n\r\n")
        lines = head.split("\r\n")
        if not lines[0].startswith("INVITE "):
            continue  # ACK (of our final answer) or anything else: nothing to say
        headers = [line for line in lines[1:] if ":" in line]
        authorized = bool(_named(headers, "authorization", "proxy-authorization"))
        say("incoming", authorized=authorized)
        to = _named(headers, "to", "t")[0]
        if ";tag=" not in to:
            to += ";tag=refuser"
        reply = [f"SIP/2.0 {status} {REASONS.get(status, 'Refused')}"]
        reply += _named(headers, "via", "v") + _named(headers, "from", "f") + [to]
        reply += _named(headers, "call-id", "i") + _named(headers, "cseq")
        if status in (401, 407):
            header = "WWW-Authenticate" if status == 401 else "Proxy-Authenticate"
            reply.append(f'{header}: Digest realm="127.0.0.1", nonce="a1b2c3d4", algorithm=MD5')
        reply.append("Content-Length: 0")
        sock.sendto(("\r\n".join(reply) + "\r\n\r\n").encode(), peer)
        say("refused", status=status)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", default="normal")
    parser.add_argument("--line", action="append", default=[])
    parser.add_argument("--ring-s", type=float, default=0.2)
    parser.add_argument("--bye-after-s", type=float, default=0.5)
    parser.add_argument("--clip-s", type=float, default=0.5)
    parser.add_argument("--codecs", default="pcmu,pcma,opus/48000/2")
    parser.add_argument("--status", type=int, default=503)
    parser.add_argument("--stall-s", type=float, default=2.5)
    args = parser.parse_args()
    if args.mode == "refuse":
        await asyncio.to_thread(refuse, args.port, args.status)
        return

    from baresip import Account, Config, Runtime, UserAgent

    extra = f"sip_listen 127.0.0.1:{args.port}\n"
    config = dict(net_interface="127.0.0.1", extra_config_text=extra, max_concurrent_calls=4)
    tmp = None
    if args.mode == "nortp":
        tmp = tempfile.TemporaryDirectory(prefix="far-agent-")
        tiny = Path(tmp.name) / "frame.wav"
        with wave.open(str(tiny), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\0" * 320)
        config["audio_source"] = f"aufile,{tiny}"
    runtime = Runtime()
    await runtime.start(Config(**config))
    ua = await UserAgent.create(
        runtime,
        Account(
            user="agent",
            domain=f"127.0.0.1:{args.port}",
            password="",
            reg_interval=0,
            audio_codecs=tuple(args.codecs.split(",")),
        ),
    )
    agent = Agent(args)
    loop = asyncio.get_running_loop()
    ua.on_incoming(lambda call: loop.create_task(agent.handle(call)))
    say("ready", port=args.port)
    try:
        await asyncio.Event().wait()  # until the test ends this process
    finally:
        await runtime.close()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
