"""Files and numbers that used to stop or stall the console: deeply nested configs, a
YAML alias bomb, a 50 MB prompt, a prompt file that is /dev/zero or a FIFO, a NaN
latency bound, a NaN or infinite clip.

Loading runs in a child process with capped memory and a timeout where the old failure
was a hang or a memory blow-up, so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from console.cli import main
from tests.conftest import ASSETS, ROOT


def lint_in_child(path: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """`endcall-console lint PATH` in a child with 1.5 GB of address space at most."""
    code = (
        "import resource, sys; "
        "resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20)); "
        "from console.cli import main; sys.exit(main(['lint', sys.argv[1]]))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    try:
        return subprocess.run(
            [sys.executable, "-c", code, str(path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"lint {path} hung for {timeout} s")


def alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\nagent: {name: Sam}\n"


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("deep.yaml", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("deep-ok.json", json.dumps({"agent": {"variables": {"x": "y"}}}), ""),
        ("deep40.json", "[" * 40 + "]" * 40, "nested more than 32 levels"),
        ("bomb.yaml", alias_bomb(), "more than 200,000 values"),
    ],
    ids=["json 100k deep", "yaml 100k deep", "a normal config", "json 40 deep", "alias bomb"],
)
def test_config_shapes_are_refused_by_name(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    proc = lint_in_child(path)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr[-2000:]
    if message:
        assert proc.returncode == 2 and message in proc.stdout, (proc.stdout, proc.stderr[-500:])
    else:
        assert proc.returncode in (0, 1), proc.stdout


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "folder", "big", "binary"])
def test_a_prompt_file_that_is_not_a_text_file_is_refused_at_once(tmp_path, target):
    prompt = tmp_path / "prompt.md"
    expected = {
        "/dev/zero": "is a device, not a regular file",
        "fifo": "is a pipe (FIFO), not a regular file",
        "folder": "is a folder",
        "big": "is 50.0 MB, more than the 512 KB",
        "binary": "is not UTF-8 text",
    }[target]
    if target == "/dev/zero":
        prompt = Path("/dev/zero")
    elif target == "fifo":
        os.mkfifo(prompt)  # no writer: a plain open() waits forever
    elif target == "folder":
        prompt.mkdir()
    elif target == "big":
        with open(prompt, "wb") as fh:
            fh.truncate(50 * 1024 * 1024)  # 50 MB, sparse: costs no disk
    else:
        prompt.write_bytes(b"\xff\xfe\x00 not text")
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"agent": {"main_prompt_file": str(prompt)}}))
    proc = lint_in_child(config)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "agent.main_prompt_file" in proc.stdout and expected in proc.stdout, proc.stdout


def test_a_config_file_that_is_a_device_or_fifo_is_refused(tmp_path):
    fifo = tmp_path / "c.yaml"
    os.mkfifo(fifo)
    for path, expected in ((fifo, "is a pipe (FIFO)"), (Path("/dev/zero"), "is a device")):
        proc = lint_in_child(path)
        assert proc.returncode == 2 and f"cannot read the file: it {expected}" in proc.stdout


def test_a_nan_latency_bound_fails_instead_of_always_passing(tmp_path, capsys):
    seed = yaml.safe_load((ASSETS / "scenarios" / "01-seed-no-to-ready.yaml").read_text())
    seed["config"] = str(ASSETS / "configs" / Path(seed["config"]).name)
    for bound, wanted in ((float("nan"), 1), (float("inf"), 1), (-1.0, 1), (5.0, 0)):
        seed["expect"]["max_latency"] = {"caller_to_action": bound}
        path = tmp_path / "nan.yaml"
        path.write_text(yaml.safe_dump(seed))  # .nan, .inf: as a tester would write them
        code = main(["run", str(path), "--no-save", "-q"])
        out = capsys.readouterr().out
        assert code == wanted, (bound, out)
        if wanted:
            assert "max_latency.caller_to_action must be a number of seconds" in out


@pytest.mark.parametrize("clip", ["nan", "inf", "-3", "0"])
def test_export_refuses_a_clip_that_is_not_a_length(tmp_path, capsys, clip):
    from console.scenario.model import load_scenario
    from console.scenario.runner import run_scenario

    scenario, config = load_scenario(ASSETS / "scenarios" / "01-seed-no-to-ready.yaml")
    folder = run_scenario(scenario, config, sessions_dir=tmp_path).session_dir
    code = main(["export", str(folder), "--clip", clip, "--out", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert code == 2 and "--clip: the clip must be a number of seconds" in err
    assert not (tmp_path / "r.html").exists()
