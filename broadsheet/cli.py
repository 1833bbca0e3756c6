"""The command line: parse arguments, run a stage, print diagnostics, choose the exit status.

Exit status: 0 built, 1 content errors (nothing written), 2 usage or configuration errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import config as config_module
from .diagnostics import Diagnostic, has_errors
from .pipeline import build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build.py", description="Build the Broadsheet archive from content/ into site/."
    )
    parser.add_argument(
        "command", nargs="?", default="build", choices=["build"], help="what to do (default: build)"
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="the repository folder (default: the current folder)",
    )
    parser.add_argument(
        "--drafts", action="store_true", default=None, help="include articles marked draft: true"
    )
    parser.add_argument(
        "--base-url",
        help="public URL or path of the site, e.g. /archive/ "
        "(used for canonical links and the 404 page; links stay relative)",
    )
    parser.add_argument(
        "--format",
        choices=["text", "github"],
        default=None,
        help="diagnostic format (default: github under GitHub Actions)",
    )
    args = parser.parse_args(argv)
    style = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")

    config, problems = config_module.load(args.root, drafts=args.drafts, base_url=args.base_url)
    _report(problems, style)
    if has_errors(problems):
        return 2
    result = build(config)
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
    print(
        f"built {result.articles} articles, {result.pages} pages "
        f"({result.files_written} files) into {config.output_dir}/ in {seconds:.2f} s"
    )
    return 0


def _report(diagnostics: list[Diagnostic], style: str) -> None:
    for d in sorted(diagnostics):
        print(d.format_github() if style == "github" else d.format(), file=sys.stderr)
