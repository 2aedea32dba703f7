"""The console's main window: place a call, edit End Call live, watch the timeline.

Nothing slow runs on the GUI thread: starting and ending a call (audio warm-up, thread
joins), loading and downloading the speech model all run on worker threads and report
back through Qt signals. The call itself lives in LiveCall (no Qt); this window only
sends it commands and draws what it reports.
"""

from __future__ import annotations

import importlib.metadata
import json
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from console import __version__
from console.core import events as ev
from console.core.config import (
    CallConfig,
    ConfigError,
    ConfigStore,
    dump_config,
    load_config,
    save_config,
)
from console.live.call import RECORDING_FILE, LiveCall, LiveOptions
from console.report.table import describe
from console.ui.bridge import CallBridge
from console.ui.config_controller import ConfigController
from console.ui.editors import EndCallEditor, PromptEditor
from console.ui.timeline import Item, TimelineView

TYPED_ONLY = "Typed input only (no audio)"
SYSTEM_DEFAULT = "System default"
ASSETS = Path(__file__).resolve().parents[2] / "assets"
DEFAULT_CONFIG = ASSETS / "configs" / "solar.yaml"


def icon(name: str) -> QIcon:
    """An icon from assets/icons (one set, in the timeline's colours); empty if missing."""
    path = ASSETS / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


class _Worker(QObject):
    """Signals from background threads (model load/download) to the window."""

    modelReady = Signal(object, str)  # vosk.Model or None, status text
    progress = Signal(int, int)
    downloaded = Signal(str, str)  # path or "", error message


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


class MainWindow(QMainWindow):
    def __init__(
        self,
        store: ConfigStore | None = None,
        sessions_dir: Path | None = None,
        load_model: bool = True,
    ) -> None:
        super().__init__()
        from console.session.writer import default_sessions_dir

        self.setWindowTitle("End Call Console")
        self.setWindowIcon(icon("app"))
        self.store = store or ConfigStore(initial_config())
        saved_dir = QSettings().value("sessions/dir", "")
        self.sessions_dir = sessions_dir or (
            Path(str(saved_dir)) if saved_dir else default_sessions_dir()
        )
        self.controller = ConfigController(self.store, self)
        self.bridge = CallBridge(self)
        self.worker = _Worker(self)
        self.call: LiveCall | None = None
        self.last_call: LiveCall | None = None
        self.model: Any = None
        self.model_name = ""
        self._call_started_at: float | None = None
        self._version_since: dict[int, float] = {}

        self._build()
        self.bridge.event.connect(self._on_event)
        self.bridge.partial.connect(self._on_partial)
        self.bridge.level.connect(lambda rms: self.level.setValue(min(100, int(rms * 400))))
        self.bridge.started.connect(self._on_started)
        self.bridge.failed.connect(self._on_failed)
        self.bridge.closed.connect(self._on_closed)
        self.controller.changed.connect(self._on_version)
        self.controller.refused.connect(
            lambda r: self.statusBar().showMessage(
                "Edit refused: " + "; ".join(str(p) for p in r.problems), 8000
            )
        )
        self.worker.modelReady.connect(self._on_model)
        self.worker.progress.connect(self._on_download_progress)
        self.worker.downloaded.connect(self._on_downloaded)
        self._tick = QTimer(self)
        self._tick.setInterval(50)
        self._tick.timeout.connect(self._on_tick)
        self._restore()
        self._refresh_devices()
        self._set_calling(False)
        if load_model:
            self._load_model()
        else:
            self.model_label.setText("Speech model: not loaded (typed input)")

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        bar = QToolBar("Call")
        bar.setObjectName("callbar")
        self.addToolBar(bar)
        self.call_button = QPushButton("Call")
        self.call_button.setToolTip("Place a call (Ctrl+Return)")
        self.hangup_button = QPushButton("Hang up")
        self.hangup_button.setToolTip("Hang up (Ctrl+H)")
        self.mute_button = QPushButton("Mute")
        self.mute_button.setCheckable(True)
        for button, name in (
            (self.call_button, "call"),
            (self.hangup_button, "hangup"),
            (self.mute_button, "mute"),
        ):
            button.setIcon(icon(name))
        self.mute_button.setToolTip("Mute the microphone (Ctrl+M); hold F8 to talk while muted")
        self.input_combo = QComboBox()
        self.input_combo.setToolTip("Microphone")
        self.output_combo = QComboBox()
        self.output_combo.setToolTip("Speaker")
        self.level = QProgressBar()
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setFixedWidth(80)
        self.level.setToolTip("Input level")
        self.state_label = QLabel("Idle")
        self.timer_label = QLabel("0:00.0")
        self.backend_label = QLabel("Agent: offline")
        self.backend_combo = QComboBox()
        self.backend_combo.addItems(["Offline agent", "LLM (OpenAI-compatible)"])
        self.backend_combo.setToolTip("Who answers: the offline agent, or a language model")
        self.llm_button = QPushButton("LLM settings…")
        self.model_label = QLabel("Speech model: looking…")
        self.model_button = QPushButton("Get model…")
        self.model_button.setVisible(False)
        for w in (
            self.call_button,
            self.hangup_button,
            self.mute_button,
            QLabel(" In:"),
            self.input_combo,
            QLabel("Out:"),
            self.output_combo,
            self.level,
            self.backend_combo,
            self.llm_button,
            QLabel(" "),
            self.state_label,
            self.timer_label,
        ):
            bar.addWidget(w)
        status = self.statusBar()
        status.addPermanentWidget(self.backend_label)
        status.addPermanentWidget(self.model_label)
        status.addPermanentWidget(self.model_button)

        self.end_call_editor = EndCallEditor(self.controller)
        self.prompt_editor = PromptEditor(self.controller)
        tabs = QTabWidget()
        tabs.addTab(self.end_call_editor, "End Call")
        tabs.addTab(self.prompt_editor, "Main prompt")

        self.timeline = TimelineView()
        fit, live, zin, zout = (QPushButton(t) for t in ("Fit call", "Follow live", "+", "−"))
        fit.clicked.connect(self.timeline.fit)
        live.clicked.connect(self.timeline.follow_live)
        zin.clicked.connect(lambda: self.timeline.zoom(1.5))
        zout.clicked.connect(lambda: self.timeline.zoom(1 / 1.5))
        self.selected_label = QLabel(
            "Click an event to see it (and hear the recording from there after the call)."
        )
        self.selected_label.setWordWrap(True)
        tl_buttons = QHBoxLayout()
        for b in (fit, live, zin, zout):
            tl_buttons.addWidget(b)
        tl_buttons.addStretch(1)
        tl_box = QWidget()
        tl_layout = QVBoxLayout(tl_box)
        tl_layout.addLayout(tl_buttons)
        tl_layout.addWidget(self.timeline, 1)
        tl_layout.addWidget(self.selected_label)

        self.transcript = QListWidget()
        self.transcript.setAccessibleName("Transcript")
        self.transcript.setWordWrap(True)
        self.caption = QLabel("")
        self.caption.setStyleSheet("color: gray; font-style: italic")
        self.typed = QLineEdit()
        self.typed.setPlaceholderText("Type what the caller says and press Enter")
        self.typed.setAccessibleName("Typed caller input")
        tr_box = QWidget()
        tr_layout = QVBoxLayout(tr_box)
        tr_layout.addWidget(QLabel("Transcript"))
        tr_layout.addWidget(self.transcript, 1)
        tr_layout.addWidget(self.caption)
        tr_layout.addWidget(self.typed)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(tl_box)
        right.addWidget(tr_box)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(tabs)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 2)
        self.right_splitter = right
        self.setCentralWidget(self.splitter)

        self.call_button.clicked.connect(self.place_call)
        self.hangup_button.clicked.connect(self.hang_up)
        self.mute_button.toggled.connect(self._set_muted)
        self.typed.returnPressed.connect(self._send_typed)
        self.timeline.itemClicked.connect(self._on_item_clicked)
        self.timeline.timeClicked.connect(lambda t: self._play_from(t))
        self.end_call_editor.applied.connect(lambda v: None)
        self.model_button.clicked.connect(self.download_model)
        self.llm_button.clicked.connect(self.llm_settings_dialog)
        from console.ui.llm_settings import load_settings

        self.llm_settings = load_settings()
        self._menus()

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, keys, slot in (
            ("&Open config…", QKeySequence.StandardKey.Open, self.open_config),
            ("&Save config as…", QKeySequence.StandardKey.SaveAs, self.save_config),
            ("&Quit", QKeySequence.StandardKey.Quit, self.close),
        ):
            action = QAction(text, self)
            action.setShortcut(keys)
            action.triggered.connect(slot)
            file_menu.addAction(action)
        call_menu = self.menuBar().addMenu("&Call")
        for text, key, slot in (
            ("&Call", "Ctrl+Return", self.place_call),
            ("&Hang up", "Ctrl+H", self.hang_up),
            ("&Mute", "Ctrl+M", self.mute_button.toggle),
            ("&Undo config edit", "Ctrl+Z", self.controller.undo),
            ("&Redo config edit", "Ctrl+Shift+Z", self.controller.redo),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(slot)
            call_menu.addAction(action)
        sessions_menu = self.menuBar().addMenu("&Sessions")
        browse = QAction("&Browse sessions…", self)
        browse.setShortcut(QKeySequence("Ctrl+B"))
        browse.triggered.connect(lambda: self.browse_sessions())
        sessions_menu.addAction(browse)
        folder = QAction("Sessions &folder…", self)
        folder.triggered.connect(self.choose_sessions_dir)
        sessions_menu.addAction(folder)
        export_last = QAction("&Export the last call…", self)
        export_last.setShortcut(QKeySequence("Ctrl+E"))
        export_last.triggered.connect(self.export_last_call)
        sessions_menu.addAction(export_last)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About", self)
        about.triggered.connect(self.about)
        help_menu.addAction(about)

    # -- devices and model ----------------------------------------------------------------
    def _refresh_devices(self) -> None:
        from console.audio.devices import AudioUnavailable, list_devices

        self.input_combo.clear()
        self.output_combo.clear()
        try:
            devices = list_devices()
        except AudioUnavailable as exc:
            devices = []
            self.statusBar().showMessage(str(exc), 15000)
        self.input_combo.addItem(SYSTEM_DEFAULT, None)
        self.output_combo.addItem(SYSTEM_DEFAULT, None)
        for d in devices:
            if d.inputs:
                self.input_combo.addItem(d.name, str(d.index))
            if d.outputs:
                self.output_combo.addItem(d.name, str(d.index))
        self.input_combo.addItem(TYPED_ONLY, "typed")
        if not devices:
            self.input_combo.setCurrentIndex(self.input_combo.count() - 1)
        saved = QSettings().value("devices/input", "")
        if saved:
            index = self.input_combo.findText(str(saved))
            if index >= 0:
                self.input_combo.setCurrentIndex(index)

    def _load_model(self) -> None:
        def load() -> None:
            from console.speech.models import ModelError, find_model

            try:
                info = find_model(None, self.store.current.speech.model_path)
                import vosk

                vosk.SetLogLevel(-1)
                model = vosk.Model(str(info.path))
                self.worker.modelReady.emit(model, f"Speech model: {info.name}")
            except ModelError:
                self.worker.modelReady.emit(None, "No speech model: typed input only")
            except Exception as exc:
                self.worker.modelReady.emit(None, f"Speech model failed: {exc}")

        threading.Thread(target=load, name="model-load", daemon=True).start()

    def _on_model(self, model: Any, text: str) -> None:
        self.model = model
        self.model_name = text.split(": ", 1)[-1]
        self.model_label.setText(text)
        self.model_button.setVisible(model is None)

    def download_model(self) -> None:
        from console.speech.models import DEFAULT_MODEL, models_dir

        answer = QMessageBox.question(
            self,
            "Get the speech model",
            f"Download {DEFAULT_MODEL} (about 40 MB) from the vosk models site into "
            f"{models_dir()}?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._progress = QProgressDialog("Downloading the speech model…", "Hide", 0, 100, self)
        self._progress.setWindowModality(Qt.WindowModality.NonModal)
        self._progress.show()

        def work() -> None:
            from console.speech.models import ModelError, download_model

            try:
                path = download_model(
                    progress=lambda done, total: self.worker.progress.emit(done, total or 0)
                )
                self.worker.downloaded.emit(str(path), "")
            except ModelError as exc:
                self.worker.downloaded.emit("", str(exc))

        threading.Thread(target=work, name="model-download", daemon=True).start()

    def _on_download_progress(self, done: int, total: int) -> None:
        if total:
            self._progress.setValue(int(done * 100 / total))

    def _on_downloaded(self, path: str, error: str) -> None:
        self._progress.close()
        if error:
            QMessageBox.warning(self, "Speech model", error)
            return
        self.statusBar().showMessage(f"Speech model ready: {path}", 8000)
        self._load_model()

    # -- the call -------------------------------------------------------------------------
    def place_call(self) -> None:
        if self.call is not None:
            return
        self.end_call_editor.flush()
        self.prompt_editor.flush()
        self.timeline.clear()
        self.transcript.clear()
        self._version_since = {self.store.version: 0.0}
        typed_only = self.input_combo.currentData() == "typed"
        options = LiveOptions(
            input_device=None if typed_only else self.input_combo.currentData(),
            output_device=self.output_combo.currentData(),
            text_only=typed_only,
            recognise=self.model is not None,
            sessions_dir=self.sessions_dir,
            name="gui call",
        )
        agent = None
        if self.backend_combo.currentIndex() == 1:
            from console.agent.llm import LLMAgent

            try:
                agent = LLMAgent(self.llm_settings)
            except RuntimeError as exc:
                QMessageBox.warning(self, "LLM backend", str(exc))
                return
        call = LiveCall(
            self.store,
            options,
            agent=agent,
            listeners=[self.bridge.on_event],
            on_partial=self.bridge.on_partial,
            on_level=self.bridge.on_level,
            model=self.model,
        )
        self.call = call
        self.controller.call = call
        self.state_label.setText("Connecting…")
        self._set_calling(True)

        def start() -> None:
            try:
                call.start()
                self.bridge.started.emit(call)
            except Exception as exc:
                self.bridge.failed.emit(f"The call could not start: {exc}")

        threading.Thread(target=start, name="call-start", daemon=True).start()

    def hang_up(self) -> None:
        if self.call is not None:
            self.call.hang_up()

    def _on_started(self, call: LiveCall) -> None:
        self._call_started_at = time.monotonic()
        self._tick.start()
        self.statusBar().showMessage(f"Call connected ({call.mode})", 5000)
        self.typed.setFocus()

    def _on_failed(self, message: str) -> None:
        QMessageBox.warning(self, "Call", message)
        self.call = None
        self.controller.call = None
        self._set_calling(False)

    def _finish_call(self) -> None:
        call = self.call
        if call is None:
            return

        def close() -> None:
            call.close()
            self.bridge.closed.emit(call)

        threading.Thread(target=close, name="call-close", daemon=True).start()

    def _on_closed(self, call: LiveCall) -> None:
        self.last_call = call
        if self.call is call:
            self.call = None
            self.controller.call = None
        self._tick.stop()
        self._set_calling(False)
        self.timeline.fit()
        where = f" Session saved: {call.session_dir}" if call.session_dir else ""
        self.statusBar().showMessage(
            "Call ended." + where + " (Sessions > Export the last call, Ctrl+E)", 15000
        )

    def _set_calling(self, calling: bool) -> None:
        self.call_button.setEnabled(not calling)
        self.hangup_button.setEnabled(calling)
        self.input_combo.setEnabled(not calling)
        self.backend_combo.setEnabled(not calling)
        self.output_combo.setEnabled(not calling)
        self.typed.setEnabled(calling)
        if not calling:
            self.level.setValue(0)
            self.caption.setText("")

    def _send_typed(self) -> None:
        text = self.typed.text().strip()
        if text and self.call is not None:
            self.call.say(text)
        self.typed.clear()

    def _set_muted(self, muted: bool) -> None:
        self.mute_button.setText("Muted" if muted else "Mute")
        if self.call is not None:
            self.call.muted = muted

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_F8 and not event.isAutoRepeat() and self.call:
            self.call.muted = False
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_F8 and not event.isAutoRepeat() and self.call:
            self.call.muted = self.mute_button.isChecked()
        super().keyReleaseEvent(event)

    # -- what the call reports ------------------------------------------------------------
    def _on_event(self, event: ev.Event) -> None:
        self.timeline.add_event(event)
        row = describe(event)
        if isinstance(event, (ev.CallerSpeech, ev.AgentSpeech, ev.Goodbye)) and row:
            who = {"caller_speech": "Caller", "agent_speech": "Agent", "goodbye": "Goodbye"}
            self.transcript.addItem(f"{event.t:6.2f}  {who[event.kind]}: {event.text}")
            self.transcript.scrollToBottom()
            if isinstance(event, ev.CallerSpeech):
                self.caption.setText("")
        elif isinstance(event, (ev.ActionInvoked, ev.LineDropped, ev.Notice)) and row:
            self.transcript.addItem(f"{event.t:6.2f}  [{row[1]}] {row[2]}")
            self.transcript.scrollToBottom()
        if isinstance(event, ev.StateChanged):
            self.state_label.setText(event.state.replace("_", " ").capitalize())
        elif isinstance(event, ev.CallStarted):
            self.backend_label.setText(f"Agent: {event.agent_backend} ({event.mode})")
        elif isinstance(event, ev.ConfigChanged):
            self._version_since.setdefault(event.version, event.t)
            self._on_version(event.version)
        elif isinstance(event, ev.Notice):
            self.statusBar().showMessage(f"{event.level}: {event.message}", 10000)
        elif isinstance(event, ev.LineDropped):
            self.state_label.setText(f"Dropped ({event.reason})")
            self._finish_call()

    def _on_partial(self, text: str) -> None:
        self.caption.setText(f"hearing: {text}")

    def _on_tick(self) -> None:
        call = self.call
        if call is not None and call.clock is not None and call.engine is not None:
            now = call.clock.now()
            self.timer_label.setText(f"{int(now // 60)}:{now % 60:04.1f}")
            self.timeline.set_now(now)

    def _on_version(self, version: int) -> None:
        since = self._version_since.get(version)
        when = f" (in force since {since:.2f} s of the call)" if since is not None else ""
        self.end_call_editor.set_version_text(f"config v{version}{when}")

    def _on_item_clicked(self, item: Item) -> None:
        self.selected_label.setText(item.tooltip.replace("\n", " — "))
        self._play_from(item.start)

    def _play_from(self, t: float) -> None:
        """Play the last call's recording from session time t."""
        call = self.last_call
        if self.call is not None or call is None or call.session_dir is None:
            return
        path = call.session_dir / RECORDING_FILE
        if not path.exists():
            self.statusBar().showMessage("This call has no recording (typed input only).", 5000)
            return
        try:
            import sounddevice as sd
            import soundfile as sf

            data, rate = sf.read(str(path), dtype="float32")
            start = max(0, int(t * rate))
            sd.stop()
            sd.play(
                data[start:].mean(axis=1),
                rate,
                device=self.output_combo.currentData() and int(self.output_combo.currentData()),
            )
            self.statusBar().showMessage(f"Playing the recording from {t:.2f} s", 4000)
        except Exception as exc:
            self.statusBar().showMessage(f"Cannot play the recording: {exc}", 8000)

    def llm_settings_dialog(self) -> None:
        from console.ui.llm_settings import LLMSettingsDialog, save_settings

        dialog = LLMSettingsDialog(self.llm_settings, self)
        if dialog.exec():
            self.llm_settings = dialog.settings()
            save_settings(self.llm_settings)
            self.backend_combo.setCurrentIndex(1)

    # -- sessions -------------------------------------------------------------------------
    def browse_sessions(self, folder: Path | None = None):
        from console.ui.sessions import SessionBrowser

        browser = SessionBrowser(self.sessions_dir, self.output_combo.currentData(), self)
        browser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        browser.show()
        if folder is not None:
            browser.select(folder)
        elif browser.sessions:
            browser.table.selectRow(0)
        self.browser = browser
        return browser

    def choose_sessions_dir(self) -> None:
        name = QFileDialog.getExistingDirectory(
            self, "Where calls are kept", str(self.sessions_dir)
        )
        if name:
            self.sessions_dir = Path(name)
            QSettings().setValue("sessions/dir", name)
            self.statusBar().showMessage(f"Calls are now kept in {name}", 8000)

    def export_last_call(self) -> None:
        call = self.last_call
        if call is None or call.session_dir is None:
            QMessageBox.information(self, "Export", "No call has been saved yet.")
            return
        browser = self.browse_sessions(call.session_dir)
        browser._export_dialog()

    def offer_recovery(self) -> None:
        """On start: calls whose process died are repaired and offered to the tester."""
        from console.session.reader import recover
        from console.ui.sessions import crashed_sessions

        crashed = crashed_sessions(self.sessions_dir)
        if not crashed:
            return
        for session in crashed:
            recover(session)
        names = "\n".join(s.name for s in crashed)
        answer = QMessageBox.question(
            self,
            "Recovered calls",
            f"The console stopped during {len(crashed)} call(s). What was recorded up to "
            f"then is kept and was repaired:\n{names}\n\nOpen them now?",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.browse_sessions(crashed[0].folder)

    # -- files, settings, about -----------------------------------------------------------
    def open_config(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Open config", "", "Configs (*.yaml *.yml *.json)"
        )
        if not name:
            return
        try:
            config = load_config(name)
        except ConfigError as exc:
            QMessageBox.warning(self, "Open config", str(exc))
            return
        self.controller.replace(config)

    def save_config(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Save config", "end-call.yaml", "YAML (*.yaml);;JSON (*.json)"
        )
        if name:
            save_config(self.store.current, name)

    def about(self) -> None:
        QMessageBox.about(self, "About End Call Console", about_text(self.model_name))

    def _restore(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        for key, splitter in (
            ("window/split", self.splitter),
            ("window/rsplit", self.right_splitter),
        ):
            state = settings.value(key)
            if isinstance(state, QByteArray):
                splitter.restoreState(state)

    def closeEvent(self, event) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/split", self.splitter.saveState())
        settings.setValue("window/rsplit", self.right_splitter.saveState())
        settings.setValue("devices/input", self.input_combo.currentText())
        try:
            path = last_config_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(json.loads(dump_config(self.store.current, "json"))))
        except OSError:
            pass
        if self.call is not None:
            self.call.close()
        super().closeEvent(event)


def about_text(model: str = "") -> str:
    from PySide6 import __version__ as pyside
    from PySide6.QtCore import qVersion

    def version(pkg: str) -> str:
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return (
        f"End Call Console {__version__}\n\n"
        f"Qt {qVersion()} (PySide6 {pyside})\n"
        f"vosk {version('vosk')}; speech model: {model or 'none'}\n"
        f"pyttsx3 {version('pyttsx3')} (espeak-ng on Linux, SAPI5 on Windows, NSSpeech on "
        f"macOS)\nsounddevice {version('sounddevice')}"
    )
