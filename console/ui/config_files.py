"""The config as files, for the window: open, save, and the one the tester left with."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from console.core.config import (
    CallConfig,
    ConfigError,
    ConfigStore,
    dump_config,
    load_config,
    save_config,
)
from console.resources import asset
from console.ui.config_controller import ConfigController

DEFAULT_CONFIG = asset("configs", "solar.yaml")


def last_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("endcall-console")) / "last-config.json"


def initial_config() -> CallConfig:
    """The config the tester left the app with, else the solar example, else defaults."""
    for path in (last_config_path(), DEFAULT_CONFIG):
        try:
            if path.exists():
                return load_config(path)
        except ConfigError:
            continue
    return CallConfig()


def remember(store: ConfigStore) -> None:
    """Keep the config in force for the next start (best effort: never blocks closing)."""
    try:
        path = last_config_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(json.loads(dump_config(store.current, "json"))))
    except OSError:
        pass


def open_config_dialog(parent: QWidget, controller: ConfigController) -> None:
    name, _ = QFileDialog.getOpenFileName(
        parent, "Open config", "", "Configs (*.yaml *.yml *.json)"
    )
    if not name:
        return
    try:
        config = load_config(name)
    except ConfigError as exc:
        QMessageBox.warning(parent, "Open config", str(exc))
        return
    controller.replace(config)


def save_config_dialog(parent: QWidget, store: ConfigStore) -> None:
    name, _ = QFileDialog.getSaveFileName(
        parent, "Save config", "end-call.yaml", "YAML (*.yaml);;JSON (*.json)"
    )
    if not name:
        return
    try:
        save_config(store.current, name)
    except OSError as exc:
        QMessageBox.warning(parent, "Save config", f"Cannot write {name}: {exc}")
