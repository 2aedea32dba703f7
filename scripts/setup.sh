#!/usr/bin/env bash
# Prepare a machine to run End Call Console: system packages (Debian/Ubuntu, when apt-get
# is there), a virtual environment in .venv, and the package with its test tools.
# Safe to run again: it only installs what is missing.
# --test adds what the tests need beyond the app: a PulseAudio server for virtual devices.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the console needs at run time: PortAudio for sounddevice, espeak-ng
# for pyttsx3, libsndfile for soundfile, and the X11 libraries Qt's xcb platform plugin
# loads (without libxcb-cursor0 and libxcb-icccm4 Qt aborts: "no Qt platform plugin").
APT_PACKAGES=(libportaudio2 espeak-ng libsndfile1
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0
  libegl1 libgl1 libfontconfig1 libdbus-1-3)
if [ "${1:-}" = "--test" ]; then
  # Virtual audio devices without a sound card (see tests/integration/conftest.py).
  APT_PACKAGES+=(pulseaudio pulseaudio-utils libasound2-plugins)
  # A real X server for the GUI tests' screenshots; a browser for the HTML report test.
  APT_PACKAGES+=(xvfb xauth chromium)
fi
# python3-venv only where the system Python lacks venv/ensurepip.
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || APT_PACKAGES+=(python3-venv)

missing=()
if command -v apt-get >/dev/null 2>&1; then
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
elif [ ${#APT_PACKAGES[@]} -gt 0 ]; then
  echo "setup: not a Debian/Ubuntu system; install these yourself: ${APT_PACKAGES[*]}"
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
extras="dev"
if [ "${1:-}" = "--test" ] && [ "$(uname -s)" = "Linux" ]; then
  # The LLM tests' real model server: llama.cpp builds from source once (pip caches it).
  extras="dev,llm-test"
fi
stamp=.venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)-${extras/,/-}
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages (.[$extras])"
  .venv/bin/python -m pip install -q --upgrade pip
  if [ "$extras" != "dev" ]; then
    export CMAKE_ARGS="${CMAKE_ARGS:--DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF}"
    echo "setup: the test model server (llama.cpp) builds from source the first time: ~10 min"
  fi
  .venv/bin/python -m pip install -q -e ".[$extras]"
  rm -f .venv/.installed-* && touch "$stamp"
fi
