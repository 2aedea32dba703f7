"""The console's main window: it composes small parts and draws what they report.

- ConfigController: every config edit (live mid-call, undo/redo), never blocking;
- CallController: the call's lifecycle on worker threads, its events as Qt signals;
- ModelController: finding, loading and downloading the speech model off the GUI thread;
- DevicePicker, TranscriptPanel, TimelineView, the End Call and prompt editors: views;
- RecordingPlayer (console/audio/playback.py): the last call's recording from any point.

The window holds no call logic: it wires signals and turns clicks into commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolBar,
)

from console.core import events as ev
from console.core.config import ConfigStore
from console.live.call import LiveCall, LiveOptions
from console.ui import config_files
from console.ui.about import about_text, icon
from console.ui.call_controller import CallController
from console.ui.call_toolbar import CallToolbar
from console.ui.config_controller import ConfigController
from console.ui.devices import SYSTEM_DEFAULT, TYPED_ONLY, DevicePicker
from console.ui.editors import EndCallEditor, PromptEditor
from console.ui.menus import build_menus, window_menus
from console.ui.model_controller import ModelController
from console.ui.model_status import ModelStatus
from console.ui.session_actions import SessionActions
from console.ui.timeline import Item
from console.ui.timeline_panel import TimelinePanel
from console.ui.transcript import TranscriptPanel

__all__ = ["SYSTEM_DEFAULT", "TYPED_ONLY", "MainWindow", "about_text"]


def call_ended_text(session_dir: Path | None) -> str:
    """The status bar's word on a call that ended: the saved session by its folder's
    name (the whole path ran under the status bar's right-hand labels at 1280 px; the
    folder is in Sessions > Sessions folder)."""
    if session_dir is None:
        return "Call ended. It was not saved."
    return f"Call ended. Saved as {session_dir.name} (Sessions > Export the last call, Ctrl+E)"


class MainWindow(QMainWindow):
    def __init__(
        self,
        store: ConfigStore | None = None,
        sessions_dir: Path | None = None,
        load_model: bool = True,
    ) -> None:
        super().__init__()
        from console.ui.llm_settings import load_settings

        self.setWindowTitle("End Call Console")
        self.setWindowIcon(icon("app"))
        self.store = store or ConfigStore(config_files.initial_config())
        self.controller = ConfigController(self.store, self)
        self.calls = CallController(self.store, self.controller, self)
        self.models = ModelController(self)
        self.settings_notices: list[str] = []  # stored settings that could not be used
        self.llm_settings = load_settings(self.settings_notices)
        self._version_since: dict[int, float] = {}
        self._tick = QTimer(self)
        self._tick.setInterval(50)
        self._tick.timeout.connect(self._on_tick)

        self._build()
        self.sessions = SessionActions(self, sessions_dir, self.devices.output_spec)
        build_menus(self, window_menus(self))
        self._connect()
        self.model_status = ModelStatus(self)  # "Use a model folder…", language warning
        self._restore()
        self.devices.refresh()
        self.devices.restore()
        self._set_calling(False)
        for notice in self.settings_notices:
            self.statusBar().showMessage(notice, 15000)
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
    def sessions_dir(self) -> Path:
        return self.sessions.sessions_dir

    @property
    def browser(self) -> Any:
        return self.sessions.browser

    @property
    def input_combo(self) -> QComboBox:
        return self.devices.input_combo

    @property
    def typed(self):
        return self.transcript.input

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        bar = CallToolbar()
        self.addToolBar(bar)
        for name in ("call_button", "hangup_button", "mute_button", "state_label", "timer_label"):
            setattr(self, name, getattr(bar, name))
        self.call_name, self.backend_combo, self.llm_button = (
            bar.call_name,
            bar.backend_combo,
            bar.llm_button,
        )
        self.devices = DevicePicker()
        self.addToolBarBreak()
        audio_bar = QToolBar("Audio")
        audio_bar.setObjectName("audiobar")
        audio_bar.addWidget(self.devices)
        from console.ui.audio_options import AudioOptions  # echo cancellation, noise

        self.audio_options = AudioOptions(self.controller)
        audio_bar.addWidget(self.audio_options)
        self.addToolBar(audio_bar)
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
        # On a laptop screen the End Call form is taller than the window: it scrolls
        # rather than squashing its rows into each other.
        end_call_page = QScrollArea()
        end_call_page.setWidget(self.end_call_editor)
        end_call_page.setWidgetResizable(True)
        end_call_page.setFrameShape(QFrame.Shape.NoFrame)
        tabs.addTab(end_call_page, "End Call")
        tabs.addTab(self.prompt_editor, "Main prompt")

        self.timeline_panel = TimelinePanel()
        self.timeline = self.timeline_panel.view
        self.transcript = TranscriptPanel()

        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.addWidget(self.timeline_panel)
        self.right_splitter.addWidget(self.transcript)
        self.right_splitter.setStretchFactor(0, 3)
        self.right_splitter.setStretchFactor(1, 2)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(tabs)
        self.splitter.addWidget(self.right_splitter)
        self.splitter.setStretchFactor(1, 2)
        self.setCentralWidget(self.splitter)

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
        self.devices.problem.connect(lambda m: self.statusBar().showMessage(m, 15000))
        self.sessions.status.connect(self.statusBar().showMessage)
        self.call_button.clicked.connect(self.place_call)
        self.hangup_button.clicked.connect(self.hang_up)
        self.mute_button.toggled.connect(self._set_muted)
        self.transcript.typed.connect(self.calls.say)
        self.timeline.itemClicked.connect(self._on_item_clicked)
        self.timeline.timeClicked.connect(self._play_from)
        self.timeline.itemActivated.connect(lambda item: self._play_from(item.start))
        self.timeline.itemSelected.connect(self.timeline_panel.show_item)
        self.calls.waveforms.connect(self._on_waveforms)
        self.model_button.clicked.connect(lambda: self.models.offer_download(self))
        self.llm_button.clicked.connect(self.llm_settings_dialog)
        self.call_name.rename_requested.connect(self.sessions.rename)

    # -- the model ------------------------------------------------------------------------
    def _on_model(self, model: Any, text: str) -> None:
        self.model_label.setText(text)
        self.model_button.setVisible(model is None)

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
            name=self.call_name.name(),
        )
        self.calls.place(options, agent, self.models.model)

    def hang_up(self) -> None:
        self.calls.hang_up()

    def _on_placing(self) -> None:
        self.sessions.stop()
        self.timeline_panel.clear()
        self.transcript.clear()
        self._version_since = {self.store.version: 0.0}
        self.state_label.setText("Connecting…")
        self._set_calling(True)

    def _on_started(self, call: LiveCall) -> None:
        self._tick.start()
        self.statusBar().showMessage(f"Call connected ({call.mode})", 5000)
        self.typed.setFocus()

    def _on_failed(self, message: str) -> None:
        self._editable_again()
        QMessageBox.warning(self, "Call", message)
        self._set_calling(False)

    def _on_closed(self, call: LiveCall) -> None:
        self._tick.stop()
        self._editable_again()
        self.call_name.set_last(call.session_dir)
        self._set_calling(False)
        self.timeline.fit()
        self.statusBar().showMessage(call_ended_text(call.session_dir), 15000)

    def _editable_again(self) -> None:
        """After a call to a remote agent (SIP), the End Call fields are the console's
        again."""
        if self.end_call_editor.read_only:
            self.end_call_editor.set_remote(None)
            self._on_version(self.store.version)

    def _set_calling(self, calling: bool) -> None:
        self.call_button.setEnabled(not calling)
        self.hangup_button.setEnabled(calling)
        self.backend_combo.setEnabled(not calling)
        self.devices.set_calling(calling)
        self.call_name.set_calling(calling)
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
            for lane, envelope in self.calls.live_waveforms().items():
                self.timeline.set_waveform(lane, envelope)
            self.timeline.set_now(now)

    def _on_version(self, version: int) -> None:
        since = self._version_since.get(version)
        when = f" (in force since {since:.2f} s of the call)" if since is not None else ""
        self.end_call_editor.set_version_text(f"config v{version}{when}")

    def _on_item_clicked(self, item: Item) -> None:
        self._play_from(item.start)

    def play_selected(self) -> None:
        if self.timeline.selected is not None:
            self._play_from(self.timeline.selected.start)

    def _on_waveforms(self, envelopes: dict) -> None:
        for lane, envelope in envelopes.items():
            self.timeline.set_waveform(lane, envelope)

    def zoom_text(self, factor: float) -> None:
        """Presentation zoom: the timeline and the transcript grow for a projector
        (factor 0: back to normal)."""
        scale = 1.0 if factor == 0.0 else self.timeline.text_scale * factor
        self.timeline.set_text_scale(scale)
        self.transcript.set_text_scale(self.timeline.text_scale)

    def _play_from(self, t: float) -> None:
        """Play the last call's recording from session time t (never during a call)."""
        if not self.calls.calling and self.last_call is not None:
            self.sessions.play(self.last_call.session_dir, t)

    def llm_settings_dialog(self) -> None:
        from console.ui.llm_settings import LLMSettingsDialog, save_settings

        dialog = LLMSettingsDialog(self.llm_settings, self)
        if dialog.exec():
            self.llm_settings = dialog.settings()
            for notice in save_settings(self.llm_settings):
                self.statusBar().showMessage(notice, 10000)
            self.backend_combo.setCurrentIndex(1)

    # -- sessions, about, closing --------------------------------------------------------
    def open_config(self) -> None:
        config_files.open_config_dialog(self, self.controller)

    def save_config(self) -> None:
        config_files.save_config_dialog(self, self.store)

    def import_agent(self) -> None:
        """A Vapi, Retell, ElevenLabs or LiveKit agent, as the config in force."""
        from console.ui.platform_import import open_import_dialog

        open_import_dialog(self, self.controller.replace)

    def browse_sessions(self, folder: Path | None = None):
        return self.sessions.browse(folder)

    def export_last_call(self) -> None:
        self.sessions.export(self.last_call.session_dir if self.last_call else None)

    def offer_recovery(self) -> None:
        self.sessions.offer_recovery()

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
        config_files.remember(self.store)
        self.sessions.stop()
        self.calls.close_now()
        super().closeEvent(event)
