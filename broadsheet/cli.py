"""The command line: parse arguments, run a stage, print diagnostics, choose the exit status.

`python build.py [build]` builds, `check [paths]` validates without writing, `new "Title"`
starts an article, `serve` previews the site and rebuilds on save. Exit status: 0 fine,
1 content errors (nothing written), 2 usage or configuration errors.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from . import config as config_module
from . import newarticle
from .diagnostics import Diagnostic, has_errors
from .pipeline import build, check

COMMANDS = ("build", "check", "new", "serve")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (
        argv[0] not in COMMANDS and argv[0].startswith("-") and argv[0] not in ("-h", "--help")
    ):
        argv.insert(0, "build")
    args = _parser().parse_args(argv)
    style = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    overrides = {
        "drafts": getattr(args, "drafts", None),
        "base_url": getattr(args, "base_url", None),
    }
    config, problems = config_module.load(args.root, **overrides)
    _report(problems, style)
    if has_errors(problems):
        return 2
    if args.command == "check":
        return _check(config, args.paths, style)
    if args.command == "new":
        return newarticle.main(config, args.title, args.tags, args.date, args.force_slug)
    if args.command == "serve":
        from .preview import serve  # imports watchdog, which the other commands do not need

        return serve.run(
            config,
            args.port,
            lambda: config_module.load(args.root, **overrides),
            lambda diagnostics: _report(diagnostics, style),
        )
    return _build(config, style, args.clean)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="the repository folder (default: the current folder)",
    )
    common.add_argument(
        "--format",
        choices=["text", "github"],
        default=None,
        help="diagnostic format (default: github under GitHub Actions)",
    )
    parser = argparse.ArgumentParser(
        prog="build.py", description="Build and check the Broadsheet archive."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    site_options = argparse.ArgumentParser(add_help=False)
    site_options.add_argument(
        "--drafts", action="store_true", default=None, help="include articles marked draft: true"
    )
    site_options.add_argument(
        "--base-url",
        help="public URL or path of the site, e.g. /archive/ "
        "(for canonical links and the 404 page; links stay relative)",
    )
    b = sub.add_parser(
        "build", parents=[common, site_options], help="build content/ into site/ (default)"
    )
    b.add_argument(
        "--clean", action="store_true", help="ignore the build cache and rebuild everything"
    )
    s = sub.add_parser(
        "serve",
        parents=[common, site_options],
        help="build, serve site/ on 127.0.0.1 and rebuild on every save",
    )
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    c = sub.add_parser(
        "check", parents=[common], help="validate articles with the curator's rules, write nothing"
    )
    c.add_argument("paths", nargs="*", type=Path, help="only report on these files")
    n = sub.add_parser("new", parents=[common], help="start a new article file")
    n.add_argument("title")
    n.add_argument("--tags", default="", help="comma-separated tags, e.g. printing,history")
    n.add_argument("--date", default=None, help="YYYY-MM-DD (default: today)")
    n.add_argument("--slug", dest="force_slug", default=None, help="URL slug (default: title)")
    return parser


def _build(config: config_module.Config, style: str, clean: bool = False) -> int:
    # SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so the output stage cleans up its
    # temporary folder and site/ stays the previous build.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        result = build(config, clean=clean, progress=_progress if sys.stderr.isatty() else None)
    except KeyboardInterrupt:
        print(f"interrupted; {config.output_dir}/ left unchanged", file=sys.stderr)
        return 130
    _report(result.diagnostics, style)
    if not result.ok:
        errors = sum(d.severity == "error" for d in result.diagnostics)
        print(
            f"build failed: {errors} error{'s' * (errors != 1)}; "
            f"{config.output_dir}/ left unchanged",
            file=sys.stderr,
        )
        return 1
    seconds = sum(result.timings.values())
    unchanged = result.pages - result.pages_rendered
    print(
        f"built {result.articles} articles, {result.pages} pages "
        f"({result.pages_rendered} rendered, {unchanged} unchanged; "
        f"{result.files_written} files written) into {config.output_dir}/ in {seconds:.2f} s"
    )
    return 0


def _check(config: config_module.Config, paths: list[Path], style: str) -> int:
    if missing := [p for p in paths if not (Path.cwd() / p).exists()]:
        print(f"error: no such file or folder: {missing[0]}", file=sys.stderr)
        return 2
    diagnostics = check(config, [Path.cwd() / p for p in paths])
    _report(diagnostics, style)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    print(
        f"checked: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}",
        file=sys.stderr,
    )
    return 1 if errors else 0


def _progress(stage: str, done: int, total: int) -> None:
    """A counter on the terminal during long builds, erased when the stage ends."""
    end = "\r\033[K" if done >= total else ""
    print(f"\r{stage}: {done:,}/{total:,}{end}", end="", file=sys.stderr, flush=True)


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt


def _report(diagnostics: list[Diagnostic], style: str) -> None:
    for d in sorted(diagnostics):
        print(d.format_github() if style == "github" else d.format(), file=sys.stderr)
