"""The speech model, for the window: found and loaded, or downloaded, off the GUI thread.

Loading a vosk model takes seconds and downloading one takes minutes; both run on worker
threads through the one loader (console/speech/models.py) the live call and the
benchmarks use, and report back with queued signals.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from console.speech.models import LoadedModel


class ModelController(QObject):
    ready = Signal(object, str)  # LoadedModel or None, a status line for the status bar
    progress = Signal(int, int)  # bytes done, total (0: unknown)
    downloaded = Signal(str, str)  # path or "", error message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model: LoadedModel | None = None
        self.ready.connect(self._keep)

    @property
    def name(self) -> str:
        return self.model.info.name if self.model is not None else ""

    def load(self, config_path: str = "", explicit: str | Path | None = None) -> None:
        """Find and load a model in the background; `ready` says how it went. With
        nothing named (no folder given, no $ENDCALL_VOSK_MODEL, no config path), the
        folder the tester chose in the window last time comes first."""
        import os

        from console.speech.models import MODEL_ENV
        from console.ui.model_status import saved_folder

        if explicit is None and not config_path and not os.environ.get(MODEL_ENV):
            explicit = saved_folder() or None

        def work() -> None:
            from console.speech.models import ModelError, load_model

            try:
                loaded = load_model(explicit, config_path)
                self.ready.emit(loaded, f"Speech model: {loaded.info.name}")
            except ModelError as exc:
                if explicit is None and "no speech model found" in str(exc):
                    self.ready.emit(None, "No speech model: typed input only")
                else:
                    self.ready.emit(None, f"Speech model failed: {exc}")

        threading.Thread(target=work, name="model-load", daemon=True).start()

    def download(self) -> None:
        """Fetch the standard English model in the background; `downloaded` reports."""

        def work() -> None:
            from console.speech.models import ModelError, download_model

            try:
                path = download_model(
                    progress=lambda done, total: self.progress.emit(done, total or 0)
                )
                self.downloaded.emit(str(path), "")
            except ModelError as exc:
                self.downloaded.emit("", str(exc))

        threading.Thread(target=work, name="model-download", daemon=True).start()

    def offer_download(self, parent: QWidget) -> None:
        """Ask, then download with a progress dialog; the model loads when it is there."""
        from console.speech.models import DEFAULT_MODEL, models_dir

        answer = QMessageBox.question(
            parent,
            "Get the speech model",
            f"Download {DEFAULT_MODEL} (about 40 MB) from the vosk models site into "
            f"{models_dir()}?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        dialog = QProgressDialog("Downloading the speech model…", "Hide", 0, 100, parent)
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.show()

        def progress(done: int, total: int) -> None:
            if total:
                dialog.setValue(int(done * 100 / total))

        def finished(path: str, error: str) -> None:
            self.progress.disconnect(progress)
            self.downloaded.disconnect(finished)
            dialog.close()
            if error:
                QMessageBox.warning(parent, "Speech model", error)
            else:
                self.load(explicit=path)

        self.progress.connect(progress)
        self.downloaded.connect(finished)
        self.download()

    def _keep(self, model: LoadedModel | None, _status: str) -> None:
        self.model = model
