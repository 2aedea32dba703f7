"""Model download against a real HTTP server on 127.0.0.1, and model discovery."""

from __future__ import annotations

import functools
import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from console.cli import main
from console.speech import models as m
from tests.parts import korean_model_path


def fake_model_zip(root: str = "vosk-model-tiny", extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{root}/am/final.mdl", b"\0" * 1000)
        z.writestr(f"{root}/conf/model.conf", b"--sample-frequency=16000\n")
        z.writestr(f"{root}/graph/words.txt", b"hello 1\n")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving files from a folder."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_download_unpacks_and_checks_the_model(server, tmp_path):
    root, url = server
    (root / "vosk-model-tiny.zip").write_bytes(fake_model_zip())
    seen: list[tuple[int, int | None]] = []
    folder = tmp_path / "models"
    path = m.download_model("vosk-model-tiny", folder, url, lambda d, t: seen.append((d, t)))
    assert path == folder / "vosk-model-tiny" and m.is_model_dir(path)
    assert seen and seen[-1][0] == seen[-1][1]  # progress reached the whole size
    assert [p.name for p in folder.iterdir()] == ["vosk-model-tiny"]  # nothing else left


def test_cli_download_with_progress(server, tmp_path, monkeypatch, capsys):
    root, url = server
    (root / "vosk-model-tiny.zip").write_bytes(fake_model_zip())
    monkeypatch.setenv("ENDCALL_MODELS_DIR", str(tmp_path / "models"))
    # The fake model has no real acoustic model: the download works, the load check fails.
    assert main(["models", "download", "vosk-model-tiny", "--url", url, "-q"]) == 1
    assert "vosk cannot load it" in capsys.readouterr().err
    assert m.is_model_dir(tmp_path / "models" / "vosk-model-tiny")


@pytest.mark.parametrize(
    "setup,message",
    [
        (lambda root: None, "answered 404"),
        (lambda root: (root / "vosk-model-tiny.zip").write_bytes(b"not a zip"), "zip"),
        (
            lambda root: (root / "vosk-model-tiny.zip").write_bytes(
                fake_model_zip(extra={"../../evil.txt": b"x"})
            ),
            "unsafe path",
        ),
        (
            lambda root: (root / "vosk-model-tiny.zip").write_bytes(
                fake_model_zip(root="x").replace(b"x/am/final.mdl", b"x/zz/final.mdl")
            ),
            "not a vosk model|no model folder",
        ),
    ],
)
def test_failed_downloads_say_why_and_leave_nothing(server, tmp_path, setup, message):
    root, url = server
    setup(root)
    folder = tmp_path / "models"
    with pytest.raises(m.ModelError, match=message):
        m.download_model("vosk-model-tiny", folder, url)
    assert list(folder.iterdir()) == []
    assert not (tmp_path / "evil.txt").exists()


def test_offline_download_says_so(tmp_path):
    folder = tmp_path / "models"
    with pytest.raises(m.ModelError, match=r"cannot download .*typed input"):
        m.download_model("vosk-model-tiny", folder, "http://127.0.0.1:9/", timeout=2)
    assert list(folder.iterdir()) == []


def test_model_names_cannot_escape_the_folder(tmp_path):
    with pytest.raises(m.ModelError, match="not a model name"):
        m.download_model("../etc", tmp_path)


def test_find_model_order_and_messages(tmp_path, monkeypatch):
    monkeypatch.setenv("ENDCALL_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv(m.MODEL_ENV, raising=False)
    local = tmp_path / "models" / m.DEFAULT_MODEL
    (local / "am").mkdir(parents=True)
    (local / "conf").mkdir()
    assert m.find_model().path == local
    other = tmp_path / "elsewhere"
    (other / "am").mkdir(parents=True)
    (other / "conf").mkdir()
    monkeypatch.setenv(m.MODEL_ENV, str(other))
    assert m.find_model().path == other
    assert m.find_model(explicit=local).path == local  # the command line wins
    with pytest.raises(m.ModelError, match="not a vosk model folder"):
        m.find_model(explicit=tmp_path / "nope")


def test_packaged_model_is_listed_and_verifies():
    path = korean_model_path()
    assert any(info.path == path for info in m.list_models())
    assert m.verify_model(path) == []


def test_verify_reports_missing_parts(tmp_path):
    assert "missing am/" in m.verify_model(tmp_path, load=False)
    assert m.verify_model(Path("/nonexistent"), load=False) == ["/nonexistent is not a folder"]
