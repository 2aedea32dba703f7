"""Call > Call agent over SIP… in the window: the remote agent's call on the same timeline,
its hang-up judged, the End Call fields not editable, the password never kept."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from console.core import events as ev
from console.sip.call import REMOTE_NOT_EDITABLE
from console.ui.sip_dialog import SipDialog
from tests.ui.conftest import live_sound, screenshot
from tests.ui.test_main_window import events_of


def test_the_dialog_refuses_a_bad_uri_and_never_keeps_the_password(qtbot, sip_required):
    dialog = SipDialog()
    qtbot.addWidget(dialog)
    dialog.uri.setText("not a sip uri")
    dialog._check()
    assert dialog.result() == 0 and dialog.error.text()  # said why, still open
    dialog.uri.setText("sip:agent@127.0.0.1:5099")
    dialog.password.setText("pw-MARKER-77")
    dialog._check()
    assert dialog.account is not None
    stored = {k: str(QSettings().value(k)) for k in QSettings().allKeys()}
    assert not any("pw-MARKER-77" in v for v in stored.values())


def test_a_sip_call_from_the_window(qtbot, window, far_agent, tmp_path):
    from console.sip.account import SipAccount
    from console.sip.call import SipCallOptions

    far = far_agent("normal", bye_after_s=0.5)
    account = SipAccount.from_input(far.uri)
    assert window.calls.place_sip(account, SipCallOptions(sessions_dir=tmp_path, recognise=False))
    qtbot.waitUntil(window.hangup_button.isEnabled, timeout=10_000)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.SipEvent)), timeout=10_000)
    refused = []
    window.controller.refused.connect(refused.append)
    window.controller.edit({"end_call.skip_goodbye": True})  # the remote agent's settings
    qtbot.waitUntil(lambda: bool(refused), timeout=5_000)
    assert REMOTE_NOT_EDITABLE in str(refused[0].problems[0])
    qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=20_000)
    # The far end's greeting is drawn in the Agent lane while the call is on.
    qtbot.waitUntil(lambda: live_sound(window, "agent") > 0.05, timeout=5_000)
    assert window.call is not None
    qtbot.keyClicks(window.typed, "No, that's all, thanks.")
    qtbot.keyClick(window.typed, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.call is None, timeout=60_000)
    drop = events_of(window, ev.LineDropped)[0]
    assert drop.reason == ev.AGENT_HUNG_UP
    sip = [i for i in window.timeline.model.items if isinstance(i.event, ev.SipEvent)]
    assert any("→ INVITE" in i.tooltip for i in sip)  # the set-up: markers, hover text
    assert [i.label for i in sip if i.label] == ["← BYE"]
    verdict = [i for i in window.timeline.model.items if isinstance(i.event, ev.FarEndVerdict)]
    assert verdict and verdict[0].label == "hung up"
    window.timeline.fit()
    screenshot(window, "window-after-sip-call")


def test_calling_over_sip_from_the_menu_shows_the_imported_config_read_only(
    qtbot, window, far_agent, monkeypatch
):
    """Call > Call agent over SIP…, the URI typed and Call pressed: during the call every
    End Call field is read-only, the editor says whose config it shows (the imported
    Vapi agent's), and the session records it; after the BYE the fields are editable."""
    import json
    from pathlib import Path

    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDialogButtonBox

    from console.platforms import import_files
    from console.session.layout import CONFIGS_FILE

    vapi = Path(__file__).parents[1] / "platforms" / "fixtures" / "vapi_new.json"
    imported = import_files([vapi], "vapi").config
    window.controller.replace(imported)  # File > Import agent…, applied
    far = far_agent("normal", bye_after_s=0.5)

    def tester_fills_in(dialog: SipDialog) -> int:  # the modal dialog, as a tester uses it
        dialog.uri.setText(far.uri)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
        return dialog.result()

    monkeypatch.setattr(SipDialog, "exec", tester_fills_in)
    menu = next(a for a in window.findChildren(QAction) if a.text() == "Call agent over &SIP…")
    menu.trigger()
    qtbot.waitUntil(window.hangup_button.isEnabled, timeout=10_000)
    editor = window.end_call_editor
    assert editor.read_only and editor.remote.isVisible()
    assert editor.name.isReadOnly() and editor.goodbye.isReadOnly()
    assert not editor.skip.isEnabled() and not editor.presets.isEnabled()
    assert "Vapi config imported from its platform file (vapi_new.json)" in editor.remote.text()
    assert editor.name.text() == imported.end_call.name  # the agent's, shown
    qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=20_000)
    qtbot.keyClicks(window.typed, "No, that's all, thanks.")
    qtbot.keyClick(window.typed, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.call is None, timeout=60_000)
    assert events_of(window, ev.LineDropped)[0].reason == ev.AGENT_HUNG_UP
    assert not editor.read_only and not editor.name.isReadOnly() and editor.skip.isEnabled()
    assert not editor.remote.isVisible()
    session = window.last_call.session_dir
    first = json.loads((session / CONFIGS_FILE).read_text().splitlines()[0])
    assert "vapi" in json.dumps(first) and "vapi_new.json" in json.dumps(first)


def test_without_an_imported_config_the_editor_says_the_fields_are_the_consoles():
    from console.core.config import CallConfig
    from console.ui.sip_dialog import remote_config_text

    text = remote_config_text(CallConfig())
    assert text.startswith("This call dials a remote agent over SIP")
    assert "not the agent's: import its platform file (File > Import agent…)" in text
