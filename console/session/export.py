"""A session as a bug report: one self-contained HTML file, a Markdown summary, or a zip.

The HTML needs nothing beside it: the timeline is an inline SVG in the app's colours,
the recording (or, with a clip, the seconds around the action) is embedded, and the
config is shown as it was when the action fired, with every change between versions.

Reports are shared with other people, so:
- secrets never reach one: sessions hold none, metadata keys that look like one are
  dropped, and every string is redacted on the way out all the same;
- text someone else chose (caller words, model replies, prompts, notes, names) is
  escaped for the target (console.report.escape): it shows, it never acts;
- the zip holds regular files only (a symbolic link in the folder is not followed) and
  its generated entries never share a name with a file of the session.
"""

from __future__ import annotations

import base64
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.core import events as ev
from console.core.config import diff_configs, dump_config
from console.core.files import open_regular, regular_file
from console.core.redact import redact, redact_obj
from console.report.escape import html_text as escape
from console.report.escape import md_code, md_code_block, md_inline, md_quote
from console.report.facts import fact_rows, label, readable
from console.report.svg import timeline_svg
from console.report.table import describe
from console.report.verdict import verdict
from console.session.reader import Session

EMBED_AUDIO_MAX_S = 600.0
_SECRET_KEY = re.compile(r"key|token|secret|password|authorization", re.IGNORECASE)


@dataclass(frozen=True)
class Clip:
    start: float
    end: float


def clip_around_action(session: Session, seconds: float = 5.0) -> Clip:
    """The seconds around the action (or the drop, if the action never fired).

    ValueError for a length that is not a positive, finite number of seconds."""
    problem = clip_seconds_problem(seconds)
    if problem:
        raise ValueError(problem)
    action = session.first(ev.ActionInvoked) or session.first(ev.LineDropped)
    centre = action.t if action is not None else session.duration
    return Clip(max(0.0, centre - seconds), centre + seconds)


def clip_seconds_problem(seconds: object) -> str:
    """ "" for a usable clip length, else why not (NaN and infinity included)."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
        or seconds <= 0
        or seconds > 24 * 3600
    ):
        return f"the clip must be a number of seconds above 0 and up to a day (got {seconds!r})"
    return ""


def _in_clip(events: list[ev.Event], clip: Clip | None) -> list[ev.Event]:
    if clip is None:
        return events
    return [e for e in events if getattr(e, "end", e.t) >= clip.start and e.t <= clip.end]


def safe_meta(meta: dict) -> dict:
    """The metadata fit for a report: keys that name a secret dropped, values redacted."""
    return {
        redact(str(k)): redact_obj(v) for k, v in meta.items() if not _SECRET_KEY.search(str(k))
    }


def config_changes(session: Session) -> list[tuple[int, float, list[tuple[str, object, object]]]]:
    """(version, when, [(field, old, new)]) for every version after the first."""
    out = []
    for (_, _, before), (version, t, after) in zip(
        session.configs, session.configs[1:], strict=False
    ):
        out.append((version, t, diff_configs(before, after)))
    return out


def transcript_rows(events: list[ev.Event]) -> list[tuple[str, str, str]]:
    rows = []
    for e in sorted(events, key=lambda e: (e.t, e.seq)):
        row = describe(e)
        if row is not None:
            rows.append(row)
    return rows


def recording_wav(session: Session, clip: Clip | None) -> bytes | None:
    """The recording (or the clip of it) as WAV bytes; None when there is none, it is
    too long to embed, or it cannot be read (the report says there is no recording)."""
    path = session.recording
    if path is None or session.damaged:
        return None
    import soundfile as sf

    try:
        info = sf.info(str(path))
        rate = int(info.samplerate)
        if rate <= 0:
            return None
        if clip is not None:
            start, stop = int(clip.start * rate), int(clip.end * rate)
        elif info.frames / rate > EMBED_AUDIO_MAX_S:
            return None
        else:
            start, stop = 0, None
        data, rate = sf.read(str(path), start=start, stop=stop, dtype="int16", always_2d=True)
    except Exception:  # soundfile raises its own errors for a damaged file
        return None
    buf = io.BytesIO()
    sf.write(buf, data, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _action_config(session: Session) -> tuple[int, str]:
    action = session.first(ev.ActionInvoked)
    version = (
        action.config_version
        if action is not None
        else (session.configs[-1][0] if session.configs else 0)
    )
    config = session.config_at(version)
    return version, dump_config(config) if config is not None else "(unknown)"


def _platform_line(meta: dict[str, Any]) -> list[str]:
    """ "- Platform: vapi; Imported from: agent.json" for a session of an imported agent."""
    keys = [k for k in ("platform", "imported_from") if meta.get(k)]
    if not keys:
        return []
    return ["- " + "; ".join(f"{label(k)}: {md_inline(readable(meta[k]))}" for k in keys)]


def to_markdown(session: Session, clip: Clip | None = None) -> str:
    """A summary to paste into an issue tracker. Every piece of text from the call is
    escaped, so the report shows it and it can never add a heading, an image, a link or
    HTML of its own; the config sits in a fence no content can close."""
    events = _in_clip(session.events, clip)
    meta = safe_meta(session.meta)
    version, config_yaml = _action_config(session)
    m = md_inline
    lines = [f"## End Call session {m(session.title)}", ""]
    marked, note = session.bug
    if marked:  # the tester's words first: they say what to look for
        lines += [*md_quote(note or "(no note)", "**Bug (the tester's note):**"), ""]
    devices = readable(meta.get("devices")) if meta.get("devices") else "none (typed input)"
    lines += [
        f"**Verdict:** {m(verdict(session.events))}",
        "",
        f"- App: endcall-console {m(meta.get('app_version', '?'))} on {m(meta.get('os', '?'))}",
        f"- Agent backend: {m(meta.get('agent_backend', '?'))}; mode: {m(meta.get('mode', '?'))}",
        *_platform_line(meta),
        f"- Devices: {m(devices)}",
        f"- Models: {m(readable(meta.get('models') or None))}",
        f"- Duration: {session.duration:.2f} s; status: {m(session.status)}",
        f"- Session folder: {m(session.name)}",
    ]
    if clip is not None:
        lines.append(f"- Clip: {clip.start:.2f}-{clip.end:.2f} s of the call")
    if session.problems:
        lines += ["", "**Problems reading this session:**"] + [
            f"- {m(p)}" for p in session.problems
        ]
    lines += ["", "| time (s) | lane | what happened |", "| --- | --- | --- |"]
    for when, lane, text in transcript_rows(events):
        lines.append(f"| {m(when.strip())} | {m(lane)} | {m(text)} |")
    changes = config_changes(session)
    if changes:
        lines += ["", "**Config changes during the call:**"]
        for v, t, diff in changes:
            for field, old, new in diff:
                lines.append(
                    f"- v{v} at {t:.2f} s: {md_code(field)} {m(repr(old))} -> {m(repr(new))}"
                )
    lines += [
        "",
        f"<details><summary>Config v{version} (in force when the call ended)</summary>",
        "",
        md_code_block(config_yaml.rstrip(), "yaml"),
        "</details>",
        "",
    ]
    return redact("\n".join(lines))


def to_html(session: Session, clip: Clip | None = None) -> str:
    events = _in_clip(session.events, clip)
    meta = safe_meta(session.meta)
    version, config_yaml = _action_config(session)
    svg = timeline_svg(
        events, clip.start if clip else 0.0, clip.end if clip else None, session.waveforms()
    )
    wav = recording_wav(session, clip)
    audio = (
        f'<audio controls src="data:audio/wav;base64,{base64.b64encode(wav).decode()}">'
        "</audio><p class=note>Left channel: caller; right channel: agent."
        + (f" Starts at {clip.start:.2f} s of the call." if clip else "")
        + "</p>"
        if wav
        else "<p class=note>No recording (typed input, or too long to embed: it is in "
        "the session folder and the zip export).</p>"
    )
    rows = "\n".join(
        f"<tr class='{_row_class(lane)}'><td>{escape(when)}</td><td>{escape(lane)}</td>"
        f"<td>{escape(text)}</td></tr>"
        for when, lane, text in transcript_rows(events)
    )
    changes = (
        "".join(
            f"<li>v{v} at {t:.2f} s: <code>{escape(f)}</code> {escape(repr(o))} → "
            f"{escape(repr(n))}</li>"
            for v, t, diff in config_changes(session)
            for f, o, n in diff
        )
        or "<li>none</li>"
    )
    problems = "".join(f"<li>{escape(p)}</li>" for p in session.problems)
    marked, note = session.bug
    note_html = escape((note or "(no note)").strip()).replace("\n", "<br>")
    bug = f"<p class=bug><b>Bug (the tester's note):</b> {note_html}</p>"
    facts = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(text)}</td></tr>"
        for label, text in [*fact_rows(meta), ("Session folder", session.name)]
    )
    return redact(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>End Call session {escape(session.title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 1100px; color: #222; }}
.verdict {{ font-size: 1.15em; padding: .8em 1em; background: #f4f1ea;
  border-left: 5px solid #d6455d; }}
.bug {{ font-size: 1.15em; padding: .8em 1em; background: #fff6d6;
  border-left: 5px solid #b8860b; }}
th {{ white-space: nowrap; }}
table {{ border-collapse: collapse; width: 100%; font-size: .92em; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left;
  vertical-align: top; }}
tr.action td {{ background: #fbe7ea; }} tr.goodbye td {{ background: #fcf0dc; }}
tr.line td {{ background: #eef1f5; }} tr.warning td, tr.error td {{ background: #fff6d6; }}
pre {{ background: #f6f6f6; padding: 1em; overflow: auto; }} .note {{ color: #666; }}
</style></head><body>
<h1>End Call session <small>{escape(session.title)}</small></h1>
{bug if marked else ""}
<p class="verdict"><b>Verdict:</b> {escape(verdict(session.events))}</p>
{"<h2>Problems reading this session</h2><ul>" + problems + "</ul>" if problems else ""}
<h2>Timeline{f" (clip {clip.start:.2f}-{clip.end:.2f} s)" if clip else ""}</h2>
{svg}
<h2>Recording</h2>
{audio}
<h2>Transcript and events</h2>
<table><tr><th>time (s)</th><th>lane</th><th>what happened</th></tr>
{rows}
</table>
<h2>Config</h2>
<p>Changes during the call:</p><ul>{changes}</ul>
<p>Config v{version}, in force when the call ended:</p>
<pre>{escape(config_yaml)}</pre>
<h2>About this session</h2>
<table>{facts}</table>
</body></html>
""")


_ROW_CLASSES = {"line", "caller", "agent", "goodbye", "action", "model", "config"}


def _row_class(lane: str) -> str:
    """The CSS class of a transcript row: a known lane, a notice level, or "other"."""
    word = (lane.split() or ["other"])[0]
    if word in _ROW_CLASSES or word in ("warning", "error"):
        return word
    return "other"


def to_zip(session: Session, dest: Path, clip: Clip | None = None) -> Path:
    """Everything in one zip under the session folder's name: the session's regular
    files (not links, not temporary files), then the reports. A session file whose name
    a generated entry uses is kept under `session-files/`, so no two entries share one."""
    generated = {
        "report.html": to_html(session, clip),
        "report.md": to_markdown(session, clip),
    }
    if clip is not None:
        wav = recording_wav(session, clip)
        if wav:
            generated["clip.wav"] = wav
    root = session.name
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for path in _session_files(session.folder):
            name = path.name
            entry = f"{root}/session-files/{name}" if name in generated else f"{root}/{name}"
            _add_file(z, path, entry)
        for name, content in generated.items():
            z.writestr(f"{root}/{name}", content)
    return dest


def _session_files(folder: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [
        folder / n
        for n in names
        if not n.startswith(".") and not n.endswith(".tmp") and regular_file(folder / n)
    ]


_TEXT_SUFFIXES = (".json", ".jsonl", ".txt", ".md", ".yaml", ".yml", ".log")


def _add_file(z: zipfile.ZipFile, path: Path, entry: str) -> None:
    """Copy one regular file in (text files redacted on the way); a file that changed
    into something else since it was listed, or cannot be read, is left out."""
    try:
        fd = open_regular(path, follow_links=False)
    except OSError:
        return
    with os.fdopen(fd, "rb") as src:
        if path.suffix.lower() in _TEXT_SUFFIXES:
            text = src.read().decode("utf-8", "replace")
            z.writestr(entry, redact(text))
            return
        with z.open(entry, "w") as out:
            while chunk := src.read(1024 * 1024):
                out.write(chunk)
