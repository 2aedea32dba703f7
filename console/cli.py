"""`endcall-console`: the headless commands (run scenarios, lint configs, print the schema).

Exit codes: 0 success, 1 an expectation failed or a lint error was found, 2 bad input
(a file that cannot be read or does not validate).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from console import __version__
from console.command_line import (
    cli_agent,
    tty,
    tty_lines,
    usable_sessions_dir,
    with_cli_backend,
)


def _cmd_schema(args: argparse.Namespace) -> int:
    from console.core.config import config_schema

    print(json.dumps(config_schema(), indent=2))
    return 0


def _cmd_lint(args: argparse.Namespace) -> int:
    from console.agent.lints import has_errors, lint_data
    from console.core.config import ConfigError, read_data_file, resolve_includes

    worst = 0
    for name in args.config:
        path = Path(name)
        try:
            data = resolve_includes(read_data_file(path), path.parent)
        except ConfigError as exc:
            print(f"{path}: error: {'; '.join(str(p) for p in exc.problems)}")
            worst = max(worst, 2)
            continue
        config, lints = lint_data(data)
        if not lints:
            print(f"{path}: ok")
        for lint in lints:
            print(f"{path}: {lint}")
        if has_errors(lints):
            worst = max(worst, 1)
        if getattr(args, "explain", False) and config is not None:
            from console.agent.prompt_map import config_map, format_map

            print(f"{path}: prompt map")
            print(format_map(config_map(config)))
    return worst


def _agent_mode(config) -> str:
    backend = config.agent.backend
    if backend.kind == "llm":
        return f"; agent: {backend.llm.model} at {backend.llm.base_url} (real time while it works)"
    return "; agent: offline"


def _cmd_run(args: argparse.Namespace) -> int:
    from console.scenario.suite_command import run_suite_command, wants_suite

    if getattr(args, "examples", False):  # the scenarios that ship inside the package
        from console.resources import example_scenarios

        args.scenario = [*args.scenario, *(str(p) for p in example_scenarios())]
    if not args.scenario:
        print(
            "error: name scenario files to run, or --examples for the ones that ship with "
            "the console",
            file=sys.stderr,
        )
        return 2

    if getattr(args, "sip", None):  # scenarios against a remote agent (console/sip)
        from console.sip.commands import run_sip_scenarios

        return run_sip_scenarios(args)
    if wants_suite(args):  # repeats, variants, parallel jobs: pass rates (suite_command.py)
        return run_suite_command(args)
    from console.report.table import format_timeline
    from console.scenario.junit import write_junit
    from console.scenario.model import ScenarioError, load_scenario
    from console.scenario.runner import run_scenario
    from console.session.writer import default_sessions_dir

    sessions = None if args.no_save else Path(args.sessions or default_sessions_dir())
    sessions = usable_sessions_dir(sessions)
    t0 = time.perf_counter()
    results, errors = [], []
    for name in args.scenario:
        try:
            scenario, config = load_scenario(name)
            config = with_cli_backend(config, args)
        except (ScenarioError, ValueError) as exc:
            errors.append((name, str(exc)))
            print(f"ERROR  {tty(name)}: {tty(exc)}\n")
            continue
        mode = "text: virtual clock, speech timed from the text" + _agent_mode(config)
        if args.audio:
            from console.scenario.audio_runner import AudioRunOptions, run_scenario_audio

            opts = AudioRunOptions(
                args.input,
                args.output,
                args.caller_device,
                args.model,
                args.script_transcript,
                sessions,
            )
            try:
                result, mode = run_scenario_audio(
                    scenario, config, name, opts, agent=cli_agent(config, args)
                )
            except Exception as exc:
                errors.append((name, str(exc)))
                print(f"ERROR  {tty(name)}: {tty(exc)}\n")
                continue
        else:
            try:
                result = run_scenario(
                    scenario, config, name, sessions, agent=cli_agent(config, args)
                )
            except OSError as exc:  # the session could not be saved: run it unsaved
                print(f"warning: {tty(name)}: the session is not saved ({tty(exc)})")
                try:
                    result = run_scenario(
                        scenario, config, name, None, agent=cli_agent(config, args)
                    )
                except Exception as again:
                    errors.append((name, str(again)))
                    print(f"ERROR  {tty(name)}: {tty(again)}\n")
                    continue
            except Exception as exc:  # one scenario never stops the others
                errors.append((name, f"{type(exc).__name__}: {exc}"))
                print(
                    f"ERROR  {tty(name)}: the run failed ({tty(type(exc).__name__)}: {tty(exc)})\n"
                )
                continue
        results.append(result)
        status = "PASS" if result.passed else "FAIL"
        print(f"{status}  {tty(scenario.name)}  ({tty(name)})")
        print(f"  mode: {tty(mode)}")
        if not args.quiet:
            print(format_timeline(result.events))
            for lint in result.lints:
                print(f"  lint: {tty(lint)}")
        for failure in result.failures:
            print(f"  FAILED: {tty(failure)}")
        if result.session_dir is not None and not args.quiet:
            print(f"  session: {tty(result.session_dir)}")
        for problem in result.save_problems:
            print(f"  warning: {tty(problem)}")
        print()
    seconds = time.perf_counter() - t0
    failed = sum(1 for r in results if not r.passed)
    passed = len(results) - failed
    print(
        f"{passed} passed, {failed} failed"
        + (f", {len(errors)} could not be read" if errors else "")
        + f" in {seconds:.2f} s"
    )
    if args.junit:
        try:
            write_junit(results, errors, Path(args.junit), seconds)
        except OSError as exc:
            from console.core.eventlog import describe_write_error

            why = describe_write_error(Path(args.junit), exc)
            print(f"error: the JUnit file is not written: {tty(why)}", file=sys.stderr)
            return 2
    if errors:
        return 2
    return 1 if failed else 0


def _cmd_models(args: argparse.Namespace) -> int:
    from console.speech import models as m

    if args.action == "list":
        found = m.list_models()
        print(f"models folder: {m.models_dir()}")
        if not found:
            print("no speech models; get one with: endcall-console models download")
        for info in found:
            size = f", {info.size_mb:.0f} MB" if info.size_mb else ""
            print(f"  {info.name}  ({info.source}{size})  {info.path}")
        return 0
    if args.action == "download":
        name = args.name or m.DEFAULT_MODEL
        bar = None
        try:
            from tqdm import tqdm

            bar = tqdm(unit="B", unit_scale=True, desc=name, disable=args.quiet)

            def progress(done: int, total: int | None) -> None:
                if total and bar.total != total:
                    bar.total = total
                bar.update(done - bar.n)

            path = m.download_model(name, progress=progress, base_url=args.url)
        except m.ModelError as exc:
            if bar is not None:
                bar.close()
            print(f"error: {exc}", file=sys.stderr)
            return 1
        bar.close()
        problems = m.verify_model(path)
        if problems:
            print(f"error: {path}: " + "; ".join(problems), file=sys.stderr)
            return 1
        print(f"ready: {path}")
        return 0
    # verify: the folder named (argument, environment), else the one a call would use
    label, path = m.named_model(args.name)
    if label:
        name, source = path.name, label
    else:
        try:
            info = m.find_model()
        except m.ModelError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        name, source, path = info.name, info.source, info.path
    problems = m.verify_model(path)
    if problems:
        print(
            f"error: {tty(path)} (from {source}) is not a usable vosk model: "
            + tty("; ".join(problems)),
            file=sys.stderr,
        )
        return 1
    print(f"ok: {tty(name)} ({source}) at {tty(path)}")
    return 0


def _cmd_devices(args: argparse.Namespace) -> int:
    from console.audio.devices import AudioUnavailable, list_devices

    try:
        devices = list_devices()
    except AudioUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not devices:
        print(
            "no audio devices found: is a sound card or sound server (PulseAudio, "
            "PipeWire) available? Calls still work with typed input."
        )
        return 1
    for d in devices:
        marks = ("  default input" if d.default_input else "") + (
            "  default output" if d.default_output else ""
        )
        print(f"{d.index:3}  {d.name}  ({d.hostapi}; in {d.inputs}, out {d.outputs}){marks}")
    _print_sound_server_devices(devices)
    return 0


def _print_sound_server_devices(devices) -> None:
    """PulseAudio/PipeWire sources and sinks by name: what --input/--output pulse:NAME
    (and the window's pickers) open through the ALSA `pulse` device."""
    from console.audio.devices import pulse_endpoints

    if not any(d.name == "pulse" for d in devices):
        return
    endpoints = pulse_endpoints()
    if not endpoints:
        return
    print("\nsound server (PulseAudio/PipeWire): --input/--output pulse:NAME")
    width = max(len(e.spec) for e in endpoints)
    for kind, label in (("input", "in "), ("output", "out")):
        for e in (e for e in endpoints if e.kind == kind):
            print(f"  {label}  {tty(e.spec).ljust(width)}  {tty(e.description)}")


def _open_for_report(name: str):
    from console.session.reader import open_session

    session = open_session(name)
    if not session.meta and not session.events:
        print(f"error: {tty(name)}: " + tty("; ".join(session.problems)), file=sys.stderr)
        return None
    for problem in session.problems:
        print(f"warning: {tty(problem)}", file=sys.stderr)
    return session


def _cmd_export(args: argparse.Namespace) -> int:
    from console.session import export

    problem = export.clip_seconds_problem(args.clip) if args.clip is not None else ""
    if problem:
        print(f"error: --clip: {tty(problem)}", file=sys.stderr)
        return 2
    session = _open_for_report(args.session)
    if session is None:
        return 2
    clip = export.clip_around_action(session, args.clip) if args.clip is not None else None
    suffix = {"html": ".html", "md": ".md", "zip": ".zip"}[args.format]
    out = Path(args.out) if args.out else Path(f"{session.name}{suffix}")
    try:
        if args.format == "zip":
            export.to_zip(session, out, clip)
        else:
            text = (
                export.to_html(session, clip)
                if args.format == "html"
                else export.to_markdown(session, clip)
            )
            out.write_text(text, encoding="utf-8")
    except OSError as exc:
        from console.core.eventlog import describe_write_error

        print(
            f"error: the report is not written: {tty(describe_write_error(out, exc))}",
            file=sys.stderr,
        )
        return 2
    print(f"wrote {tty(out)}")
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from console.session.replay import scenario_yaml, session_to_scenario

    session = _open_for_report(args.session)
    if session is None:
        return 2
    try:
        scenario = session_to_scenario(session)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from console.core.redact import redact_obj

    text = scenario_yaml(redact_obj(scenario))
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            from console.core.eventlog import describe_write_error

            why = describe_write_error(Path(args.out), exc)
            print(f"error: the scenario is not written: {tty(why)}", file=sys.stderr)
            return 2
        print(f"wrote {tty(args.out)}; run it with: endcall-console run {tty(args.out)}")
    else:
        print(tty_lines(text))
    return 0


def _cmd_sessions(args: argparse.Namespace) -> int:
    from console.session.reader import folder_problem, open_session, recover
    from console.session.store import Query, SessionStore
    from console.session.writer import default_sessions_dir

    root = Path(args.dir or default_sessions_dir())
    problem = folder_problem(root)
    if problem:
        print(f"error: {tty(problem)}", file=sys.stderr)
        return 2
    store = SessionStore(root)  # the index, brought up to date with the folders
    store.refresh()
    rows = store.rows(Query(bug=True if getattr(args, "bugs", False) else None))
    if not rows:
        print(f"no sessions in {tty(root)}" + (" marked as a bug" if args.bugs else ""))
    worst = 0
    for s in rows:
        if args.action == "recover" and s.status == "crashed":
            session = open_session(s.folder)
            if session.status != "crashed":  # it changed since it was listed
                continue
            done = recover(session)
            ok = done and done[-1] == "marked as recovered"
            print(
                f"{'recovered' if ok else 'NOT recovered'} {tty(s.folder)}: " + tty("; ".join(done))
            )
            worst = worst if ok else 1
            store.update(s.folder)
        elif args.action == "recover" and s.status == "damaged":
            print(f"skipped {tty(s.folder)}: damaged (" + tty("; ".join(s.problems)) + ")")
        elif args.action == "list":
            said = s.verdict or "no timeline"
            print(f"{tty(s.name)}  [{s.status}]  {s.duration:6.1f} s  {tty(said)}")
            for problem in s.problems:
                print(f"    ! {tty(problem)}")
            if s.bug_marked:
                print(f"    BUG: {tty(s.bug_note) if s.bug_note else '(no note)'}")
            if s.title != s.name:
                print(f"    name: {tty(s.title)}")
    return worst


def _platform_error(exc) -> int:
    where = f"{tty(exc.source)}: " if exc.source else ""
    for problem in exc.problems:
        print(f"error: {where}{tty(problem)}", file=sys.stderr)
    return 2


def _cmd_import(args: argparse.Namespace) -> int:
    """A platform's agent file(s) -> a console config, with the import report."""
    from console.agent.lints import lint_config
    from console.core.config import save_config
    from console.platforms import PlatformFileError, import_files

    files = [Path(f) for f in args.file]
    try:
        imported = import_files(files, args.platform)
    except PlatformFileError as exc:
        return _platform_error(exc)
    out = Path(args.out) if args.out else files[0].with_name(f"{files[0].stem}.console.yaml")
    if any(out.resolve() == f.resolve() for f in files):
        print(f"error: {tty(out)}: that is the file being imported", file=sys.stderr)
        return 2
    try:
        save_config(imported.config, out)
    except OSError as exc:
        print(f"error: cannot write {tty(out)} ({tty(exc.strerror or exc)})", file=sys.stderr)
        return 2
    print(tty_lines(imported.report.text()))
    lints = lint_config(imported.config)
    if lints:
        print("\nLints:")
        for lint in lints:
            print(f"  {tty(lint)}")
    print(f"\nwrote {tty(out)}; export it back with: endcall-console export-agent {tty(out)}")
    return 0


def _cmd_export_agent(args: argparse.Namespace) -> int:
    """A console config -> the platform's shape, and what changed against the original."""
    from console.core.config import ConfigError, load_config
    from console.platforms import PlatformFileError, export_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {tty(exc)}", file=sys.stderr)
        return 2
    platform = args.to or (config.platform.name if config.platform else None)
    if platform is None:
        print(
            "error: the config was not imported from a platform: say which with --to",
            file=sys.stderr,
        )
        return 2
    against = [Path(a) for a in args.against] if args.against else None
    if args.patch and not against:
        print("error: --patch needs --against (the file the PATCH applies to)", file=sys.stderr)
        return 2
    try:
        outcome = export_config(config, platform, against, patch=args.patch)
    except PlatformFileError as exc:
        return _platform_error(exc)
    config_path = Path(args.config)
    out_dir = (
        Path(args.out) if args.out else config_path.with_name(f"{config_path.stem}.{platform}")
    )
    targets = [out_dir / name for name in outcome.files]
    originals = {a.resolve() for a in against or []}
    for target in targets:
        if target.resolve() in originals:
            print(
                f"error: {tty(target)} is the original file: choose another --out folder",
                file=sys.stderr,
            )
            return 2
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for target, text in zip(targets, outcome.files.values(), strict=True):
            target.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        print(
            f"error: cannot write to {tty(out_dir)} ({tty(exc.strerror or exc)})", file=sys.stderr
        )
        return 2
    for target in targets:
        print(f"wrote {tty(target)}")
    if against:
        print(tty_lines(outcome.summary()))
    else:
        for warning in outcome.warnings:
            print(f"warning: {tty(warning)}")
    return 0


def _cmd_examples(args: argparse.Namespace) -> int:
    """Where the example scenarios, configs and prompts are; --copy puts them in a folder
    of your own to edit (scenarios name their config as ../configs/..., so the folders
    are copied side by side)."""
    import shutil

    from console.resources import asset, example_scenarios

    if not args.copy:
        print(f"examples: {tty(asset())}")
        for path in example_scenarios():
            print(f"  {tty(path.name)}")
        print("run them: endcall-console run --examples; copy them: endcall-console examples "
              "--copy DIR")  # fmt: skip
        return 0
    dest = Path(args.copy)
    parts = ("scenarios", "configs", "prompts", "variants")
    taken = [dest / part for part in parts if (dest / part).exists()]
    if taken:
        print(f"error: {tty(taken[0])} already exists; choose an empty folder", file=sys.stderr)
        return 2
    for part in parts:
        shutil.copytree(asset(part), dest / part, ignore=shutil.ignore_patterns("__*"))
    print(f"wrote {tty(dest)}: {', '.join(parts)}; run them: endcall-console run "
          f"{tty(dest / 'scenarios')}/*.yaml")  # fmt: skip
    return 0


def _cmd_gui(args: argparse.Namespace) -> int:
    from console.ui.app import main as gui_main

    return gui_main()


def _cmd_call(args: argparse.Namespace) -> int:
    from console.live.terminal import run_terminal_call

    if getattr(args, "sip", None):  # a remote agent over SIP (console/sip)
        from console.sip.commands import sip_call

        return sip_call(args)

    if getattr(args, "llm", None):
        from console.core.redact import split_url_credentials

        _clean, user, password = split_url_credentials(args.llm)
        if user or password:  # registered as secrets: masked everywhere from now on
            print(
                "note: the user name and password in the --llm URL are used for this call "
                "only; they are never saved, logged or shown",
                file=sys.stderr,
            )

    return run_terminal_call(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="endcall-console",
        description="Check exactly when and how a voice agent hangs up.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run scenario files and check their expectations")
    run.add_argument("scenario", nargs="*", help="scenario YAML files")
    run.add_argument(
        "--examples",
        action="store_true",
        help="also run the example scenarios that ship with the console",
    )
    run.add_argument("--junit", metavar="FILE", help="also write JUnit XML here")
    run.add_argument(
        "--sessions",
        metavar="DIR",
        help="where to save sessions (default: $ENDCALL_SESSIONS_DIR or the user data folder)",
    )
    run.add_argument("--no-save", action="store_true", help="do not save sessions")
    run.add_argument("-q", "--quiet", action="store_true", help="no timelines, only results")
    run.add_argument(
        "--audio",
        action="store_true",
        help="run through real audio in real "
        "time: the caller's lines are synthesised and played into --caller-device",
    )
    run.add_argument(
        "--caller-device",
        default="pulse:caller_in",
        help="(--audio) output that feeds the microphone (default: pulse:caller_in)",
    )
    run.add_argument("--input", help="(--audio) the console's input device")
    run.add_argument("--output", help="(--audio) the console's output device")
    run.add_argument("--model", help="(--audio) vosk model folder")
    run.add_argument(
        "--script-transcript",
        action="store_true",
        help="(--audio) take each "
        "caller turn's text from the script; audio still plays and is recorded",
    )
    run.add_argument(
        "--llm",
        metavar="URL",
        help="answer with a model at this OpenAI-compatible /v1 endpoint (the key comes from "
        "ENDCALL_LLM_API_KEY or OPENAI_API_KEY)",
    )
    run.add_argument("--llm-model", metavar="NAME", help="(--llm) the model to ask")
    run.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run each scenario N times and print pass rates, latency spreads and outcomes",
    )
    run.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="runs at once (default: the number of cores for the offline agent, 2 for a model)",
    )
    run.add_argument(
        "--min-pass-rate",
        metavar="RATE",
        help="exit 1 when a scenario passes less often than this (0.9 or 90%%; default: 100%%)",
    )
    run.add_argument(
        "--variants",
        metavar="FILE",
        help="run every scenario under each End Call variant in FILE and print the matrix",
    )
    run.add_argument("--html", metavar="FILE", help="also write the pass-rate matrix as HTML")
    from console.sip.options import add_sip_options

    add_sip_options(run)  # run --sip URI SCENARIO...: the caller's lines into a real agent
    run.set_defaults(func=_cmd_run)

    lint = sub.add_parser("lint", help="check configs for End Call mistakes")
    lint.add_argument("config", nargs="+", help="config files (YAML or JSON)")
    lint.add_argument(
        "--explain",
        action="store_true",
        help="also print the prompt map: what the offline agent made of every prompt line",
    )
    lint.set_defaults(func=_cmd_lint)

    schema = sub.add_parser("schema", help="print the config's JSON Schema")
    schema.set_defaults(func=_cmd_schema)

    export = sub.add_parser("export", help="a session as a bug report (HTML, Markdown, zip)")
    export.add_argument("session", help="a session folder")
    export.add_argument("--format", choices=["html", "md", "zip"], default="html")
    export.add_argument("--out", help="output file (default: <session>.<format> here)")
    export.add_argument(
        "--clip",
        type=float,
        nargs="?",
        const=5.0,
        default=None,
        metavar="SECONDS",
        help="only the seconds around the action (5)",
    )
    export.set_defaults(func=_cmd_export)

    replay = sub.add_parser("replay", help="turn a session into a scenario file")
    replay.add_argument("session", help="a session folder")
    replay.add_argument("--out", help="write the scenario here (default: print it)")
    replay.set_defaults(func=_cmd_replay)

    sessions = sub.add_parser("sessions", help="list saved sessions, or recover crashed ones")
    sessions.add_argument("action", choices=["list", "recover"])
    sessions.add_argument("--dir", help="sessions folder (default: the user data folder)")
    sessions.add_argument("--bugs", action="store_true", help="only sessions marked as a bug")
    sessions.set_defaults(func=_cmd_sessions)

    examples = sub.add_parser(
        "examples", help="where the example scenarios and configs are, or copy them (--copy)"
    )
    examples.add_argument("--copy", metavar="DIR", help="copy them into this folder")
    examples.set_defaults(func=_cmd_examples)

    gui = sub.add_parser("gui", help="the desktop console (the default with no command)")
    gui.set_defaults(func=_cmd_gui)

    call = sub.add_parser("call", help="a live call in the terminal (Ctrl+C hangs up)")
    call.add_argument("--config", help="config file (default: the solar example)")
    call.add_argument(
        "--input", help="input device: default, a number, part of a name, or pulse:SOURCE"
    )
    call.add_argument(
        "--output", help="output device: default, a number, part of a name, or pulse:SINK"
    )
    call.add_argument("--model", help="vosk model folder")
    call.add_argument("--text", action="store_true", help="no audio: type the caller's lines")
    call.add_argument(
        "--llm",
        metavar="URL",
        help="answer with a model at this OpenAI-"
        "compatible base URL (e.g. http://127.0.0.1:11434/v1 for Ollama); the "
        "key comes from ENDCALL_LLM_API_KEY or OPENAI_API_KEY",
    )
    call.add_argument("--llm-model", default="llama3.1", help="model name (--llm)")
    call.add_argument("--sessions", metavar="DIR", help="where to save the session")
    call.add_argument("--no-save", action="store_true", help="do not save the session")
    add_sip_options(call)  # call --sip URI: dial a remote agent instead of the local one
    call.set_defaults(func=_cmd_call)

    models = sub.add_parser("models", help="list, download or verify speech models")
    models.add_argument("action", choices=["list", "download", "verify"])
    models.add_argument("name", nargs="?", help="model name (download) or path (verify)")
    models.add_argument("--url", help="download from this base URL instead of the vosk site")
    models.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    models.set_defaults(func=_cmd_models)

    devices = sub.add_parser("devices", help="list audio devices")
    devices.set_defaults(func=_cmd_devices)

    platforms = ["vapi", "retell", "elevenlabs", "livekit"]
    imp = sub.add_parser(
        "import", help="a Vapi, Retell, ElevenLabs or LiveKit agent as a console config"
    )
    imp.add_argument(
        "file",
        nargs="+",
        help="the platform's agent file (Retell: the agent and/or the LLM file; LiveKit: the "
        "agent's Python source or a small YAML description)",
    )
    imp.add_argument("--from", dest="platform", required=True, choices=platforms)
    imp.add_argument(
        "--out", metavar="CONFIG", help="the console config to write (default: FILE.console.yaml)"
    )
    imp.set_defaults(func=_cmd_import)

    exp = sub.add_parser(
        "export-agent", help="a console config back in a platform's shape, with a diff"
    )
    exp.add_argument("config", help="a console config (usually one made by import)")
    exp.add_argument(
        "--to", choices=platforms, help="the platform (default: the one it was imported from)"
    )
    exp.add_argument(
        "--against",
        nargs="+",
        metavar="ORIGINAL",
        help="the originally imported file(s): write them with the console's changes applied "
        "and list the changes",
    )
    exp.add_argument(
        "--patch",
        action="store_true",
        help="(with --against) only the changed top-level fields, as a PATCH body",
    )
    exp.add_argument("--out", metavar="DIR", help="folder to write to (default: CONFIG.PLATFORM)")
    exp.set_defaults(func=_cmd_export_agent)
    return parser


EXIT_INTERNAL = 70  # an unexpected fault in the console itself (sysexits' EX_SOFTWARE)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        return _cmd_gui(args)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a file or folder the command needed: say which and why
        from console.core.eventlog import describe_os_error

        print(f"error: {tty(describe_os_error(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:
        # No traceback for a user: one line saying what failed; ENDCALL_DEBUG=1 shows it.
        import os

        if os.environ.get("ENDCALL_DEBUG"):
            raise
        print(
            f"error: the console failed unexpectedly ({tty(type(exc).__name__)}: {tty(exc)}); "
            "run again with ENDCALL_DEBUG=1 to see where",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
