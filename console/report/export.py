"""A session as a bug report: one self-contained HTML file, a Markdown summary, or a zip.

The HTML needs nothing beside it: the timeline is an inline SVG in the app's colours,
the recording (or, with a clip, the seconds around the action) is embedded, and the
config is shown as it was when the action fired, with every change between versions.
Secrets never reach a report: sessions hold none, and metadata keys that look like one
are dropped on the way out all the same.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

from console.core import events as ev
from console.core.config import diff_configs, dump_config
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
    """The seconds around the action (or the drop, if the action never fired)."""
    action = session.first(ev.ActionInvoked) or session.first(ev.LineDropped)
    centre = action.t if action is not None else session.duration
    return Clip(max(0.0, centre - seconds), centre + seconds)


def _in_clip(events: list[ev.Event], clip: Clip | None) -> list[ev.Event]:
    if clip is None:
        return events
    return [e for e in events if getattr(e, "end", e.t) >= clip.start and e.t <= clip.end]


def safe_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if not _SECRET_KEY.search(str(k))}


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
    path = session.recording
    if path is None:
        return None
    import soundfile as sf

    try:
        data, rate = sf.read(str(path), dtype="int16", always_2d=True)
    except Exception:
        return None
    if clip is not None:
        data = data[int(clip.start * rate) : int(clip.end * rate)]
    elif len(data) / rate > EMBED_AUDIO_MAX_S:
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


def to_markdown(session: Session, clip: Clip | None = None) -> str:
    events = _in_clip(session.events, clip)
    meta = safe_meta(session.meta)
    version, config_yaml = _action_config(session)
    lines = [
        f"## End Call session {session.name}",
        "",
        f"**Verdict:** {verdict(session.events)}",
        "",
        f"- App: endcall-console {meta.get('app_version', '?')} on {meta.get('os', '?')}",
        f"- Agent backend: {meta.get('agent_backend', '?')}; mode: {meta.get('mode', '?')}",
        f"- Devices: {meta.get('devices') or 'none (typed input)'}",
        f"- Models: {meta.get('models') or 'none'}",
        f"- Duration: {session.duration:.2f} s; status: {session.status}",
    ]
    if clip is not None:
        lines.append(f"- Clip: {clip.start:.2f}-{clip.end:.2f} s of the call")
    if session.problems:
        lines += ["", "**Problems reading this session:**"] + [f"- {p}" for p in session.problems]
    lines += ["", "| time (s) | lane | what happened |", "| --- | --- | --- |"]
    for when, lane, text in transcript_rows(events):
        lines.append(f"| {when.strip()} | {lane} | {text.replace('|', '/')} |")
    changes = config_changes(session)
    if changes:
        lines += ["", "**Config changes during the call:**"]
        for v, t, diff in changes:
            for field, old, new in diff:
                lines.append(f"- v{v} at {t:.2f} s: `{field}` {old!r} -> {new!r}")
    lines += [
        "",
        f"<details><summary>Config v{version} (in force when the call ended)</summary>",
        "",
        "```yaml",
        config_yaml.rstrip(),
        "```",
        "</details>",
        "",
    ]
    return "\n".join(lines)


def to_html(session: Session, clip: Clip | None = None) -> str:
    events = _in_clip(session.events, clip)
    meta = safe_meta(session.meta)
    version, config_yaml = _action_config(session)
    svg = timeline_svg(events, clip.start if clip else 0.0, clip.end if clip else None)
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
        f"<tr class='{escape(lane.split()[0])}'><td>{escape(when)}</td><td>{escape(lane)}</td>"
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
    facts = "".join(
        f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
        for k, v in meta.items()
        if k not in ("pid",)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>End Call session {escape(session.name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 1100px; color: #222; }}
.verdict {{ font-size: 1.15em; padding: .8em 1em; background: #f4f1ea;
  border-left: 5px solid #d6455d; }}
table {{ border-collapse: collapse; width: 100%; font-size: .92em; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left;
  vertical-align: top; }}
tr.action td {{ background: #fbe7ea; }} tr.goodbye td {{ background: #fcf0dc; }}
tr.line td {{ background: #eef1f5; }} tr.warning td, tr.error td {{ background: #fff6d6; }}
pre {{ background: #f6f6f6; padding: 1em; overflow: auto; }} .note {{ color: #666; }}
</style></head><body>
<h1>End Call session <small>{escape(session.name)}</small></h1>
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
"""


def to_zip(session: Session, dest: Path, clip: Clip | None = None) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(session.folder.iterdir()):
            if path.is_file() and not path.name.endswith(".tmp"):
                z.write(path, f"{session.name}/{path.name}")
        z.writestr(f"{session.name}/report.html", to_html(session, clip))
        z.writestr(f"{session.name}/report.md", to_markdown(session, clip))
        if clip is not None:
            wav = recording_wav(session, clip)
            if wav:
                z.writestr(f"{session.name}/clip.wav", wav)
    return dest
