"""No secret leaves the console: an endpoint that echoes the request (headers and URL
included) back in its error, a marker API key and a marker URL password, then every file
the call wrote, every export, the terminal and the saved settings are searched for the
markers.

The endpoint is a real HTTP server on 127.0.0.1 that answers every request with an
error quoting everything it was sent, as some proxies and misconfigured servers do.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

if not os.environ.get("XDG_CONFIG_HOME"):  # QSettings of these tests: a throw-away home
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="endcall-test-config-")

import pytest

from console.core import events as ev
from console.core.redact import (
    forget_secrets,
    join_url_credentials,
    redact,
    redact_event,
    redact_obj,
    register_secret,
    split_url_credentials,
)
from console.session.export import safe_meta, to_html, to_markdown, to_zip
from console.session.reader import open_session
from console.session.store import INDEX_FILE, SessionStore
from tests.conftest import ROOT, EventWaiter

KEY = "sk-MARKERKEY-0123456789abcdef"
USER = "qa-tester"
PASSWORD = "MARKERPW-s3cret"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
MARKERS = (KEY, PASSWORD, BASIC)


class EchoServer:
    """Answers every request with HTTP 400 whose error message quotes the request: its
    path, every header (Authorization too) and its body."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _echo(self) -> None:
                length = int(self.headers.get("Content-Length", 0) or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                headers = dict(self.headers.items())
                server.seen.append({"path": self.path, "headers": headers})
                message = (
                    f"bad request to {self.path}; you sent headers {json.dumps(headers)} "
                    f"and body {body[:200]}"
                )
                data = json.dumps({"error": {"message": message, "headers": headers}}).encode()
                self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _echo
            do_POST = _echo

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self) -> str:
        return f"http://{USER}:{PASSWORD}@127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def echo():
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fresh_secrets():
    forget_secrets()
    yield
    forget_secrets()


def leaks(data: bytes) -> list[str]:
    return [m for m in MARKERS if m.encode() in data]


def all_files(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_redact_masks_keys_url_credentials_and_echoed_headers(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    register_secret("typed-key-987654")
    text = (
        f"HTTP 400: {{'Authorization': 'Bearer {KEY}'}} url {USER}:{PASSWORD}@h "
        f"http://{USER}:{PASSWORD}@127.0.0.1:8/v1 Authorization: Basic {BASIC} typed-key-987654"
    )
    out = redact(text)
    assert not leaks(out.encode()) and "typed-key-987654" not in out
    assert "http://***@127.0.0.1:8/v1" in out and "HTTP 400" in out
    assert f"url {USER}:***@h" in out  # a URL quoted without its scheme
    assert redact("mail bob@example.com at 10:30") == "mail bob@example.com at 10:30"
    assert redact_obj({"a": [f"Bearer {KEY}"], f"k{KEY}": 1}) == {"a": ["Bearer ***"], "k***": 1}
    # Ordinary words survive: nothing short or common is masked.
    assert redact("the basic idea, a bearer of news") == "the basic idea, a bearer of news"


def test_redact_event_cleans_every_text_field_of_an_event(monkeypatch):
    monkeypatch.setenv("ENDCALL_LLM_API_KEY", KEY)
    call = ev.ModelCall(
        t=1.0,
        config_version=1,
        purpose="reply",
        model=f"m at http://{USER}:{PASSWORD}@h/v1",
        error=f"HTTP 400: Authorization: Bearer {KEY}",
        tool_calls=[{"name": "end_call", "arguments": KEY}],
    )
    clean = redact_event(call)
    assert not leaks(json.dumps(clean.to_dict()).encode())
    assert clean.model == "m at http://***@h/v1" and clean.t == 1.0
    plain = ev.Notice(t=0.0, config_version=1, level="warning", source="x", message="fine")
    assert redact_event(plain) is plain


def test_credentials_move_out_of_a_url_and_back():
    clean, user, password = split_url_credentials(f"http://{USER}:MARK%40ER@host:8/v1?x=1")
    assert (clean, user, password) == ("http://host:8/v1?x=1", USER, "MARK@ER")
    assert redact("MARK@ER") == "***"  # registered on the way out of the URL
    assert join_url_credentials(clean, user, password) == f"http://{USER}:MARK%40ER@host:8/v1?x=1"
    assert split_url_credentials("http://host/v1") == ("http://host/v1", "", "")


def test_safe_meta_drops_secret_keys_and_redacts_what_is_left(monkeypatch):
    monkeypatch.setenv("ENDCALL_LLM_API_KEY", KEY)
    meta = {
        "api_key": KEY,
        "Authorization": "x",
        "client_secret": "y",
        "models": {"llm": f"m at http://{USER}:{PASSWORD}@h/v1"},
        "note": f"pasted {KEY}",
        "mode": "text",
    }
    safe = safe_meta(meta)
    assert set(safe) == {"models", "note", "mode"}
    assert not leaks(json.dumps(safe).encode())
    assert safe["mode"] == "text" and safe["models"] == {"llm": "m at http://***@h/v1"}


def llm_call(url: str, sessions: Path, name: str = "gui call") -> Path:
    """A typed call answered by the model at `url`: the greeting, one caller line, the
    endpoint's error on the timeline, hang up. Returns the session folder."""
    from console.agent.llm import LLMAgent, LLMSettings
    from console.core.config import ConfigStore, parse_config
    from console.live.call import LiveCall, LiveOptions

    settings = LLMSettings(base_url=url, model="tiny-model", stream=False, timeout_s=5)
    rec = EventWaiter()
    call = LiveCall(
        ConfigStore(parse_config({"agent": {"main_prompt": "Say hello.", "greeting": "Hi."}})),
        LiveOptions(text_only=True, sessions_dir=sessions, name=name),
        agent=LLMAgent(settings),
        listeners=[rec],
    )
    call.start()
    try:
        rec.wait(ev.AgentSpeech)
        call.say("hello there")
        rec.wait(ev.Notice, where=lambda n: "400" in n.message)
    finally:
        call.close()
    assert call.session_dir is not None
    return call.session_dir


def test_an_echoing_endpoint_leaks_no_secret_to_disk_exports_or_settings(
    echo, tmp_path, monkeypatch, qtbot
):
    from console.agent.llm import LLMSettings

    monkeypatch.setenv("ENDCALL_LLM_API_KEY", KEY)
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    SessionStore(sessions).refresh()  # an index exists: each call is added as it is saved
    plain_url = f"http://127.0.0.1:{echo.port}/v1"
    # A tester who pastes the endpoint, credentials and all, into the call's name.
    pasted = f"retry via http://{USER}:{PASSWORD}@127.0.0.1:{echo.port}/v1 key {KEY}"
    folders = [llm_call(plain_url, sessions, pasted), llm_call(echo.url(), sessions)]
    # The endpoint really was sent the key (Bearer) and the URL's password (Basic), and
    # echoed them back: the search below is not a search for something never there.
    sent = json.dumps(echo.seen)
    assert KEY in sent and BASIC in sent, sent
    settings = LLMSettings(base_url=echo.url(), model="tiny-model")

    SessionStore(sessions).refresh()  # as the browser lists them
    written = all_files(sessions)
    assert str(sessions / INDEX_FILE) in written  # the index is searched too
    assert written and all(not leaks(data) for data in written.values()), {
        name: leaks(data) for name, data in written.items() if leaks(data)
    }
    exports: dict[str, bytes] = {}
    for folder in folders:
        session = open_session(folder)
        assert any("400" in e.message for e in session.events if isinstance(e, ev.Notice))
        exports[f"{folder.name}.html"] = to_html(session).encode()
        exports[f"{folder.name}.md"] = to_markdown(session).encode()
        to_zip(session, tmp_path / "bug.zip")
        with zipfile.ZipFile(tmp_path / "bug.zip") as z:
            exports.update({n: z.read(n) for n in z.namelist()})
    assert all(not leaks(data) for data in exports.values()), [
        n for n, d in exports.items() if leaks(d)
    ]

    # The settings: what the dialog hands back is saved; QSettings never holds a marker.
    from PySide6.QtCore import QSettings

    from console.ui.llm_settings import LLMSettingsDialog, save_settings

    dialog = LLMSettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.key.setText("typed-MARKER-key-42")
    notices = save_settings(dialog.settings())
    assert any("never saved" in n for n in notices)
    assert dialog.notice.text()  # the dialog says the URL credentials stay in memory
    q = QSettings()
    q.sync()
    stored = " ".join(str(q.value(k)) for k in q.allKeys())
    on_disk = Path(q.fileName()).read_bytes() if Path(q.fileName()).is_file() else b""
    for blob in (stored.encode(), on_disk):
        assert not leaks(blob) and b"typed-MARKER-key-42" not in blob
    assert f"127.0.0.1:{echo.port}/v1" in stored  # the URL itself is remembered


def test_the_terminal_call_prints_no_secret(echo, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ENDCALL_LLM_API_KEY": KEY}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "console",
            "call",
            "--text",
            "--llm",
            echo.url(),
            "--llm-model",
            "tiny-model",
            "--sessions",
            str(tmp_path / "s"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()
    assert proc.stdout is not None and proc.stdin is not None
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    seen: list[str] = []

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 30
        while not any(text in line for line in seen):
            assert time.monotonic() < deadline, f"no {text!r} in {seen}"
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=0.2))

    try:
        wait_for("Mode:")
        proc.stdin.write("hello there\n")
        proc.stdin.flush()
        wait_for("400")  # the endpoint's echo reached the terminal, as a warning
        proc.stdin.write("/hangup\n")
        proc.stdin.close()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while not lines.empty():
        seen.append(lines.get())
    err = proc.stderr.read() if proc.stderr else ""
    out = "".join(seen) + err
    assert not leaks(out.encode()), out
    assert "never saved" in err  # the notice about the URL's credentials
    assert all(not leaks(d) for d in all_files(tmp_path / "s").values())


def test_a_sip_uri_keeps_its_user_and_loses_only_a_password():
    """A SIP URI names who is called (evidence for the report); only a password in it is
    a secret."""
    assert redact("dialled sip:agent@127.0.0.1:5060") == "dialled sip:agent@127.0.0.1:5060"
    assert redact("sips:support@pbx.example.com") == "sips:support@pbx.example.com"
    assert redact("sip:bob:hunter2@pbx.example.com") == "sip:bob:***@pbx.example.com"


def test_a_secret_registered_after_text_was_redacted_is_masked_from_then_on(monkeypatch):
    """The secrets' forms are cached between calls (every event passes here): the cache
    must follow a key typed in mid-session, one forgotten, and a key variable that
    changes."""
    forget_secrets()
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ENDCALL_LLM_API_KEY", raising=False)
    assert redact("the key is late-key-1234") == "the key is late-key-1234"  # cache built
    register_secret("late-key-1234")
    assert redact("the key is late-key-1234") == "the key is ***"
    forget_secrets()
    assert redact("the key is late-key-1234") == "the key is late-key-1234"
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-5678")
    assert redact("sent env-key-5678") == "sent ***"
