"""How long from saving one article to the preview serving its rebuilt page?

Generates a synthetic archive of N articles in /dev/shm (tmpfs, for stable figures on these
machines' disks), starts `python build.py serve`, saves one article five times and reports the
median time from the save to the new title being served over HTTP, next to the preview's own
"rebuilt in" figure. Usage: `python bench/serve_bench.py [--articles 10000] [--edits 5]`.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TAGS = ["printing", "typography", "newspapers", "libraries", "archives", "maps", "radio"]
WORDS = [
    "ink", "paper", "press", "type", "column", "edition", "reader", "archive", "library",
    "shelf", "lamp", "street", "morning", "evening", "printer", "letter", "journal", "city",
]


def generate(root: Path, count: int) -> list[Path]:
    """A repository with the real theme and `count` articles of a few paragraphs each."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    folder = root / "content/articles"
    folder.mkdir(parents=True)
    rng = random.Random(5)
    paths = []
    for n in range(count):
        year, day = 2000 + n % 25, 1 + n % 28
        tags = ", ".join(rng.sample(TAGS, 2))
        body = "\n\n".join(
            " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "." for _ in range(4)
        )
        path = folder / f"article-{n:05}.md"
        path.write_text(
            f'---\ntitle: "Article {n}"\ndate: {year}-{1 + n % 12:02}-{day:02}\n'
            f"tags: [{tags}]\n---\n{body}\n",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="broadsheet-serve-bench-", dir="/dev/shm"))
    proc = None
    try:
        started = time.perf_counter()
        paths = generate(tmp, args.articles)
        print(f"generated {args.articles} articles in {time.perf_counter() - started:.1f} s")
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "serve", "--root", str(tmp),
             "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        lines: list[str] = []
        threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
        while not any(line.startswith("serving") for line in lines):
            if proc.poll() is not None:
                print("the preview exited early", file=sys.stderr)
                return 1
            time.sleep(0.05)
        print(lines[0].strip())
        target = paths[len(paths) // 2]
        n = int(target.stem.split("-")[1])
        text = target.read_text(encoding="utf-8")
        year = re.search(r"date: (\d{4})", text).group(1)
        url = f"http://127.0.0.1:{port}/{year}/{target.stem}/"
        assert f"Article {n}" in fetch(url), url
        waits = []
        for edit in range(args.edits):
            title = f"Edited {edit} {time.time_ns()}"
            reports = sum(line.startswith(("rebuilt", "rebuild failed")) for line in lines)
            saved = time.perf_counter()
            target.write_text(text.replace(f"Article {n}", title), encoding="utf-8")
            while title not in fetch(url):
                time.sleep(0.005)
            waits.append(time.perf_counter() - saved)
            while sum(line.startswith(("rebuilt", "rebuild failed")) for line in lines) == reports:
                time.sleep(0.01)
            print(f"edit {edit + 1}: served after {waits[-1]:.3f} s; {lines[-1].strip()}")
            time.sleep(0.3)
        print(
            f"{args.articles} articles: save -> rebuilt page served, median of {len(waits)} "
            f"edits: {statistics.median(waits):.3f} s (min {min(waits):.3f}, "
            f"max {max(waits):.3f}); output on /dev/shm"
        )
        return 0
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
