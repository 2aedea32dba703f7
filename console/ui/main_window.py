"""The console's main window: it composes small parts and draws what they report.

- ConfigController: every config edit (live mid-call, undo/redo), never blocking;
- CallController: the call's lifecycle on worker threads, its events as Qt signals;
- ModelController: finding, loading and downloading the speech model off the GUI thread;
- DevicePicker, TranscriptPanel, TimelineView, the End Call and prompt editors: views;
- RecordingPlayer (console/audio/playback.py): the last call's recording from any point.

The window holds no call logic: it wires signals and turns clicks into commands.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
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
from console.ui.call_controller import CallController
from console.ui.config_controller import ConfigController
from console.ui.devices import SYSTEM_DEFAULT, TYPED_ONLY, DevicePicker
from console.ui.editors import EndCallEditor, PromptEditor
from console.ui.model_controller import ModelController
from console.ui.timeline import Item, TimelineView
from console.ui.transcript import TranscriptPanel

__all__ = ["SYSTEM_DEFAULT", "TYPED_ONLY", "MainWindow", "about_text"]
ASSETS = Path(__file__).resolve().parents[2] / "assets"
DEFAULT_CONFIG = ASSETS / "configs" / "solar.yaml"


def icon(name: str) -> QIcon:
    """An icon from assets/icons (one set, in the timeline's colours); empty if missing."""
    path = ASSETS / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


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
        from console.ui.llm_settings import load_settings

        self.setWindowTitle("End Call Console")
        self.setWindowIcon(icon("app"))
        self.store = store or ConfigStore(initial_config())
        saved_dir = QSettings().value("sessions/dir", "")
        self.sessions_dir = sessions_dir or (
            Path(str(saved_dir)) if saved_dir else default_sessions_dir()
        )
        self.controller = ConfigController(self.store, self)
        self.calls = CallController(self.store, self.controller, self)
        self.models = ModelController(self)
        self.llm_settings = load_settings()
        self.player: Any = None  # a RecordingPlayer once the tester plays a recording
        self.browser: Any = None
        self._version_since: dict[int, float] = {}
        self._tick = QTimer(self)
        self._tick.setInterval(50)
        self._tick.timeout.connect(self._on_tick)

        self._build()
        self._menus()
        self._connect()
        self._restore()
        self.devices.refresh()
        self.devices.restore()
        self._set_calling(False)
        if load_model:
            self.model_label.setText("Speech model: looking…")
            self.models.load(self.store.current.speech.model_path)
        else:
            self.model_label.setText("Speech model: not loaded (typed input)")

    # -- the call in progress, for tests and the menus ------------------------------------
    @property
    def call(self) -> LiveCall | None:
        return self.calls.call

    @property
    def last_call(self) -> LiveCall | None:
        return self.calls.last_call

    @property
    def input_combo(self) -> QComboBox:
        return self.devices.input_combo

    @property
    def typed(self):
        return self.transcript.input

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        bar = QToolBar("Call")
        bar.setObjectName("callbar")
        self.addToolBar(bar)
        self.call_button = QPushButton(icon("call"), "Call")
        self.call_button.setToolTip("Place a call (Ctrl+Return)")
        self.hangup_button = QPushButton(icon("hangup"), "Hang up")
        self.hangup_button.setToolTip("Hang up (Ctrl+H)")
        self.mute_button = QPushButton(icon("mute"), "Mute")
        self.mute_button.setCheckable(True)
        self.mute_button.setToolTip("Mute the microphone (Ctrl+M); hold F8 to talk while muted")
        self.devices = DevicePicker()
        self.backend_combo = QComboBox()
        self.backend_combo.addItems(["Offline agent", "LLM (OpenAI-compatible)"])
        self.backend_combo.setToolTip("Who answers: the offline agent, or a language model")
        self.llm_button = QPushButton("LLM settings…")
        self.state_label = QLabel("Idle")
        self.timer_label = QLabel("0:00.0")
        for w in (
            self.call_button,
            self.hangup_button,
            self.mute_button,
            self.devices,
            self.backend_combo,
            self.llm_button,
            QLabel(" "),
            self.state_label,
            self.timer_label,
        ):
            bar.addWidget(w)
        self.backend_label = QLabel("Agent: offline")
        self.model_label = QLabel("")
        self.model_button = QPushButton("Get model…")
        self.model_button.setVisible(False)
        status = self.statusBar()
        for w in (self.backend_label, self.model_label, self.model_button):
            status.addPermanentWidget(w)

        self.end_call_editor = EndCallEditor(self.controller)
        self.prompt_editor = PromptEditor(self.controller)
        tabs = QTabWidget()
        tabs.addTab(self.end_call_editor, "End Call")
        tabs.addTab(self.prompt_editor, "Main prompt")

        self.timeline = TimelineView()
        buttons = QHBoxLayout()
        for text, slot in (
            ("Fit call", self.timeline.fit),
            ("Follow live", self.timeline.follow_live),
            ("+", lambda: self.timeline.zoom(1.5)),
            ("−", lambda: self.timeline.zoom(1 / 1.5)),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.selected_label = QLabel(
            "Click an event to see it (and hear the recording from there after the call)."
        )
        self.selected_label.setWordWrap(True)
        tl_box = QWidget()
        tl_layout = QVBoxLayout(tl_box)
        tl_layout.addLayout(buttons)
        tl_layout.addWidget(self.timeline, 1)
        tl_layout.addWidget(self.selected_label)
        self.transcript = TranscriptPanel()

        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.addWidget(tl_box)
        self.right_splitter.addWidget(self.transcript)
        self.right_splitter.setStretchFactor(0, 3)
        self.right_splitter.setStretchFactor(1, 2)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(tabs)
        self.splitter.addWidget(self.right_splitter)
        self.splitter.setStretchFactor(1, 2)
        self.setCentralWidget(self.splitter)

    def _menus(self) -> None:
        def add(menu, text: str, keys: Any, slot) -> None:
            action = QAction(text, self)
            if keys:
                action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            menu.addAction(action)

        file_menu = self.menuBar().addMenu("&File")
        add(file_menu, "&Open config…", QKeySequence.StandardKey.Open, self.open_config)
        add(file_menu, "&Save config as…", QKeySequence.StandardKey.SaveAs, self.save_config)
        add(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        call_menu = self.menuBar().addMenu("&Call")
        add(call_menu, "&Call", "Ctrl+Return", self.place_call)
        add(call_menu, "&Hang up", "Ctrl+H", self.hang_up)
        add(call_menu, "&Mute", "Ctrl+M", self.mute_button.toggle)
        add(call_menu, "&Undo config edit", "Ctrl+Z", self.controller.undo)
        add(call_menu, "&Redo config edit", "Ctrl+Shift+Z", self.controller.redo)
        sessions_menu = self.menuBar().addMenu("&Sessions")
        add(sessions_menu, "&Browse sessions…", "Ctrl+B", lambda: self.browse_sessions())
        add(sessions_menu, "Sessions &folder…", None, self.choose_sessions_dir)
        add(sessions_menu, "&Export the last call…", "Ctrl+E", self.export_last_call)
        help_menu = self.menuBar().addMenu("&Help")
        add(help_menu, "&About", None, self.about)

    def _connect(self) -> None:
        calls, bridge = self.calls, self.calls.bridge
        bridge.event.connect(self._on_event)
        bridge.partial.connect(self.transcript.show_partial)
        bridge.level.connect(self.devices.set_level)
        calls.placing.connect(self._on_placing)
        calls.started.connect(self._on_started)
        calls.failed.connect(self._on_failed)
        calls.closed.connect(self._on_closed)
        self.controller.changed.connect(self._on_version)
        self.controller.refused.connect(
            lambda r: self.statusBar().showMessage(
                "Edit refused: " + "; ".join(str(p) for p in r.problems), 8000
            )
        )
        self.models.ready.connect(self._on_model)
        self.models.progress.connect(self._on_download_progress)
        self.models.downloaded.connect(self._on_downloaded)
        self.devices.problem.connect(lambda m: self.statusBar().showMessage(m, 15000))
        self.call_button.clicked.connect(self.place_call)
        self.hangup_button.clicked.connect(self.hang_up)
        self.mute_button.toggled.connect(self._set_muted)
        self.transcript.typed.connect(self.calls.say)
        self.timeline.itemClicked.connect(self._on_item_clicked)
        self.timeline.timeClicked.connect(self._play_from)
        self.model_button.clicked.connect(self.download_model)
        self.llm_button.clicked.connect(self.llm_settings_dialog)

    # -- the model ------------------------------------------------------------------------
    def _on_model(self, model: Any, text: str) -> None:
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
        self.models.download()

    def _on_download_progress(self, done: int, total: int) -> None:
        if total:
            self._progress.setValue(int(done * 100 / total))

    def _on_downloaded(self, path: str, error: str) -> None:
        self._progress.close()
        if error:
            QMessageBox.warning(self, "Speech model", error)
            return
        self.statusBar().showMessage(f"Speech model ready: {path}", 8000)
        self.models.load(self.store.current.speech.model_path)

    # -- the call -------------------------------------------------------------------------
    def place_call(self) -> None:
        if self.calls.calling:
            return
        self.end_call_editor.flush()
        self.prompt_editor.flush()
        agent = None
        if self.backend_combo.currentIndex() == 1:
            from console.agent.llm import LLMAgent

            try:
                agent = LLMAgent(self.llm_settings)
            except RuntimeError as exc:
                QMessageBox.warning(self, "LLM backend", str(exc))
                return
        options = LiveOptions(
            input_device=self.devices.input_spec(),
            output_device=self.devices.output_spec(),
            text_only=self.devices.typed_only,
            recognise=self.models.model is not None,
            sessions_dir=self.sessions_dir,
            name="gui call",
        )
        self.calls.place(options, agent, self.models.model)

    def hang_up(self) -> None:
        self.calls.hang_up()

    def _on_placing(self) -> None:
        if self.player is not None:
            self.player.stop()
        self.timeline.clear()
        self.transcript.clear()
        self._version_since = {self.store.version: 0.0}
        self.selected_label.setText("")
        self.state_label.setText("Connecting…")
        self._set_calling(True)

    def _on_started(self, call: LiveCall) -> None:
        self._tick.start()
        self.statusBar().showMessage(f"Call connected ({call.mode})", 5000)
        self.typed.setFocus()

    def _on_failed(self, message: str) -> None:
        QMessageBox.warning(self, "Call", message)
        self._set_calling(False)

    def _on_closed(self, call: LiveCall) -> None:
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
        self.backend_combo.setEnabled(not calling)
        self.devices.set_calling(calling)
        self.transcript.set_live(calling)

    def _set_muted(self, muted: bool) -> None:
        self.mute_button.setText("Muted" if muted else "Mute")
        self.calls.set_muted(muted)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_F8 and not event.isAutoRepeat():
            self.calls.set_muted(False)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_F8 and not event.isAutoRepeat():
            self.calls.set_muted(self.mute_button.isChecked())
        super().keyReleaseEvent(event)

    # -- what the call reports ------------------------------------------------------------
    def _on_event(self, event: ev.Event) -> None:
        self.timeline.add_event(event)
        self.transcript.add_event(event)
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

    def _on_tick(self) -> None:
        now = self.calls.now()
        if now is not None:
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
        """Play the last call's recording from session time t (never during a call)."""
        call = self.last_call
        if self.calls.calling or call is None or call.session_dir is None:
            return
        path = call.session_dir / RECORDING_FILE
        if not path.exists():
            self.statusBar().showMessage("This call has no recording (typed input only).", 5000)
            return
        from console.audio.playback import RecordingPlayer, RecordingUnreadable

        try:
            if self.player is None or self.player.path != path:
                if self.player is not None:
                    self.player.stop()
                self.player = RecordingPlayer(path, self.devices.output_spec())
            self.player.play(t)
            self.statusBar().showMessage(f"Playing the recording from {t:.2f} s", 4000)
        except (RecordingUnreadable, RuntimeError) as exc:
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

        browser = SessionBrowser(self.sessions_dir, self.devices.output_spec(), self)
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
        self.browse_sessions(call.session_dir).export_dialog()

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
        QMessageBox.about(self, "About End Call Console", about_text(self.models.name))

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
        self.devices.save()
        try:
            path = last_config_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(json.loads(dump_config(self.store.current, "json"))))
        except OSError:
            pass
        if self.player is not None:
            self.player.stop()
        self.calls.close_now()
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
