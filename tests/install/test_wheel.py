"""The console as a user installs it: a wheel built from this checkout, installed into a
fresh virtual environment, run from a folder that is not the checkout. It must start
its window with its icons, find its example scenarios, configs and prompts, and say its
version.

Fast and offline: the wheel is built without build isolation (this environment's
setuptools), installed with --no-deps, and the fresh environment borrows this one's
installed dependencies through a .pth line (which loads none of this environment's own
.pth hooks, so the checkout's editable install stays out of it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", ".git", "models", "test-artifacts", "build", "dist", "__pycache__"}


def _copy_source(dest: Path) -> Path:
    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIP or n.endswith(".egg-info") or n.startswith(".")}

    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The fresh environment's bin folder, with the console installed from a wheel."""
    work = tmp_path_factory.mktemp("wheel")
    source = _copy_source(work / "source")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
         "--no-index", "-w", str(work / "dist"), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = (work / "dist").glob("endcall_console-*.whl")
    venv = work / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return venv / "bin"


def run(bin_dir: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        list(args), capture_output=True, text=True, timeout=300, cwd=cwd,
        env={**clean, "PATH": f"{bin_dir}{os.pathsep}{clean.get('PATH', '')}", **env},
    )  # fmt: skip


def test_the_installed_console_says_its_version(installed, tmp_path):
    from console import __version__

    done = run(installed, tmp_path, str(installed / "endcall-console"), "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"endcall-console {__version__}"


def test_the_installed_console_runs_its_example_scenarios(installed, tmp_path):
    done = run(installed, tmp_path, str(installed / "endcall-console"), "run", "--examples",
               "--no-save", "-q")  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "15 passed, 0 failed" in done.stdout
    assert str(ROOT) not in done.stdout  # read from the installed package
    listing = run(installed, tmp_path, str(installed / "endcall-console"), "examples")
    assert "site-packages/console/assets" in listing.stdout
    copied = run(installed, tmp_path, str(installed / "endcall-console"), "examples",
                 "--copy", str(tmp_path / "mine"))  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    again = run(
        installed,
        tmp_path,
        str(installed / "endcall-console"),
        "run",
        "--no-save",
        "-q",
        *sorted(str(p) for p in (tmp_path / "mine" / "scenarios").glob("*.yaml")),
    )
    assert again.returncode == 0 and "15 passed" in again.stdout, again.stdout[-2000:]


WINDOW = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
app.setOrganizationName("endcall-console-wheel-test")
import console
from console.ui.main_window import MainWindow
from console.ui.config_files import DEFAULT_CONFIG
w = MainWindow(load_model=False)
w.show()
app.processEvents()
prompts = [w.prompt_editor.examples.itemText(i) for i in range(1, w.prompt_editor.examples.count())]
print("package", console.__file__)
print("icons", not w.windowIcon().isNull(), not w.call_button.icon().isNull(),
      not w.hangup_button.icon().isNull(), not w.mute_button.icon().isNull())
print("config", DEFAULT_CONFIG.is_file(), "Acme Solar" in w.store.current.agent.main_prompt)
print("prompts", ",".join(prompts))
"""


def test_the_installed_window_starts_with_its_icons_and_examples(installed, tmp_path):
    done = run(
        installed, tmp_path, str(installed / "python"), "-c", WINDOW,
        QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert str(installed.parent) in lines["package"] and str(ROOT) not in lines["package"]
    assert lines["icons"] == "True True True True"
    assert lines["config"] == "True True"
    assert lines["prompts"] == "solar-outreach,support-followup"
