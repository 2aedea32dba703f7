"""The SIP account: what a tester may type, what is refused with a message, and the
password that never leaves memory."""

from __future__ import annotations

import pytest

from console.core.redact import forget_secrets, redact
from console.sip.account import SipAccount, SipInputError, codec_specs, parse_sip_uri


@pytest.mark.parametrize(
    ("text", "uri", "host", "port", "transport"),
    [
        ("sip:agent@sip.example.com", "sip:agent@sip.example.com", "sip.example.com", None, "udp"),
        ("agent@127.0.0.1:5080", "sip:agent@127.0.0.1:5080", "127.0.0.1", 5080, "udp"),
        ("<sip:+15551234@sip.example.com;transport=tcp>", None, "sip.example.com", None, "tcp"),
        ("sips:bot@pbx.example.org", "sips:bot@pbx.example.org", "pbx.example.org", None, "tls"),
        ("sip:[::1]:5062", "sip:[::1]:5062", "[::1]", 5062, "udp"),
    ],
)
def test_uris_a_tester_types(text, uri, host, port, transport):
    target, password = parse_sip_uri(text)
    assert (target.host, target.port, target.transport, password) == (host, port, transport, "")
    if uri is not None:
        assert target.uri == uri


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "no SIP URI given"),
        ("https://api.vapi.ai/call", "is a https: address, not a SIP URI"),
        ("sip:agent@host:70000", "is not a port"),
        ("sip:agent@host;transport=sctp", "dials over udp, tcp or tls"),
        ("sip:agent @host", "no spaces"),
        ("sip:@@", "not a SIP URI this console can dial"),
    ],
)
def test_bad_uris_are_refused_in_words(text, says):
    with pytest.raises(SipInputError, match=says):
        parse_sip_uri(text)


def test_loopback_targets_are_recognised():
    assert parse_sip_uri("sip:a@127.0.0.1")[0].loopback
    assert parse_sip_uri("sip:a@localhost:5060")[0].loopback
    assert parse_sip_uri("sip:a@[::1]")[0].loopback
    assert not parse_sip_uri("sip:a@sip.example.com")[0].loopback


def test_codecs():
    assert codec_specs("ulaw, alaw,opus") == ("pcmu", "pcma", "opus/48000/2")
    assert codec_specs(None) == ("pcmu", "pcma", "opus/48000/2")
    with pytest.raises(SipInputError, match="unknown codec 'gsm'"):
        codec_specs("pcmu,gsm")


def test_the_password_is_masked_everywhere_and_never_described(monkeypatch):
    forget_secrets()
    monkeypatch.delenv("ENDCALL_SIP_PASSWORD", raising=False)
    account = SipAccount.from_input("sip:bob:hunter2-secret@sip.example.com", user="bob")
    assert account.password == "hunter2-secret"
    assert "hunter2-secret" not in account.uri  # split out of the URI
    assert "hunter2-secret" not in repr(account)
    assert "hunter2-secret" not in str(account.describe())
    assert account.describe()["sip_password"] == "set (not saved)"
    assert redact("401 for hunter2-secret") == "401 for ***"  # any echo of it is masked
    forget_secrets()


def test_the_password_from_the_environment(monkeypatch):
    forget_secrets()
    monkeypatch.setenv("ENDCALL_SIP_PASSWORD", "env-pass-9876")
    account = SipAccount.from_input("sip:agent@sip.example.com")
    assert account.password == "env-pass-9876"
    assert redact("env-pass-9876") == "***"
    forget_secrets()


def test_bad_account_settings():
    with pytest.raises(SipInputError, match="SIP user"):
        SipAccount.from_input("sip:agent@host", user="a b")
    with pytest.raises(SipInputError, match="DTMF mode"):
        SipAccount.from_input("sip:agent@host", dtmf_mode="inband")
    account = SipAccount.from_input("sip:agent@host", registrar="sip:reg.example.com:5070")
    assert (account.registrar, account.domain) == (
        "sip:reg.example.com:5070",
        "reg.example.com:5070",
    )
