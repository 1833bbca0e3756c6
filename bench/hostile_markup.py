"""Build time of one hostile article, shape by shape, through the whole build.

    python bench/hostile_markup.py [--size 1000000] [--timeout 120] [shape ...]

Each shape is a Markdown body of about `--size` characters (the shapes of cmark's
pathological tests and more). Every shape is built in its own process, in a fresh repository
under /dev/shm (two articles, so links and related reading have something to point at), with
`base_url` set (feeds, sitemap) and `allow_html: [sup, abbr, kbd]`. Printed per shape: seconds
to render the body alone, seconds for the whole cold build (search index and pages included),
peak memory, and whether the build succeeded. A build still running after `--timeout` seconds
is killed and shown as `>timeout`. Anything slower than a few seconds at 1 MB is a bug.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRATCH = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())


def _fill(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


SHAPES = {
    "headings-same": lambda n: _fill("## same\n\n", n),
    "headings-distinct": lambda n: "".join(f"## part {i}\n\n" for i in range(n // 12)),
    "headings-numbered": lambda n: _fill("## a\n\n## a-1\n\n## a-2\n\n", n),
    "quotes-pairs": lambda n: _fill("'\"", n),
    "quotes-openers-then-closers": lambda n: _fill("'a ", n // 2) + _fill("a\" ", n // 2),
    "quotes-words": lambda n: _fill('He said "it\'s \'here\'" and left. ', n),
    "quotes-lines": lambda n: _fill('"a\n', n),
    "dashes": lambda n: _fill("--", n),
    "dashes-spaced": lambda n: _fill("a -- b --- c ", n),
    "ellipses": lambda n: _fill("...", n),
    "replacements": lambda n: _fill("(c) (tm) +- ?.... !!!!! ,,, ", n),
    "blockquote-nested-line": lambda n: ">" * n + " a\n",
    "blockquote-nested-lines": lambda n: "".join("> " * (i % 500) + "a\n" for i in range(n // 500)),
    "list-nested": lambda n: "".join("  " * (i % 400) + "- a\n" for i in range(n // 400)),
    "list-dashes-line": lambda n: _fill("- ", n) + "a\n",
    "list-many-items": lambda n: _fill("- a\n", n),
    "ordered-many-items": lambda n: _fill("1. a\n", n),
    "brackets-open": lambda n: _fill("[", n),
    "brackets-open-a": lambda n: _fill("[a", n),
    "brackets-close-a": lambda n: _fill("a]", n),
    "brackets-nested": lambda n: "[" * (n // 2) + "a" + "]" * (n // 2),
    "images-open": lambda n: _fill("![", n),
    "link-paren-open": lambda n: _fill("[ (](", n),
    "unclosed-link-a": lambda n: _fill("[a](<b", n),
    "unclosed-link-b": lambda n: _fill("[a](b", n),
    "link-openers-emph-closers": lambda n: _fill("[ a_", n),
    "stars": lambda n: _fill("*", n),
    "underscores": lambda n: _fill("_", n),
    "strong-openers": lambda n: _fill("**a", n),
    "emph-closers": lambda n: _fill("a* ", n),
    "emph-openers": lambda n: _fill("*a ", n),
    "emph-mismatched": lambda n: _fill("*a_ ", n),
    "emph-multiple-of-3": lambda n: "a**b" + _fill("c* ", n),
    "emph-nested": lambda n: "*" * (n // 4) + "a" + "*" * (n // 4),
    "emph-mix": lambda n: _fill("*a _b **c __d ***e ", n),
    "strike": lambda n: _fill("~~", n),
    "strike-words": lambda n: _fill("~~a ", n),
    "backticks-run": lambda n: _fill("`", n),
    "backticks-growing": lambda n: "".join("e" + "`" * i for i in range(1, int((2 * n) ** 0.5))),
    "code-spans": lambda n: _fill("`a` ", n),
    "less-than": lambda n: _fill("<", n),
    "html-comment-open": lambda n: "</" + _fill("<!--", n),
    "html-declaration": lambda n: _fill("<!A ", n),
    "html-cdata": lambda n: _fill("<![CDATA[", n),
    "html-pi": lambda n: _fill("<?", n),
    "html-sup": lambda n: _fill("<sup>", n),
    "html-sup-pairs": lambda n: _fill("<sup>a</sup> ", n),
    "html-abbr-attrs": lambda n: _fill('<abbr title="x">a</abbr> ', n),
    "html-unclosed-tag": lambda n: _fill("<sup a=", n),
    "html-blocks": lambda n: _fill("<div>\n\n", n),
    "html-divs-line": lambda n: _fill("<div>", n) + "\n",
    "html-divs-inline": lambda n: _fill("a <div>", n),
    "html-formatting-attrs": lambda n: "".join(f"<b a={i}>x" for i in range(n // 10)),
    "html-pi-block": lambda n: _fill("<?x ", n),
    "html-cdata-block": lambda n: "<![CDATA[\n" + _fill("<![CDATA[ ", n),
    "html-comment-block": lambda n: "<!--\n" + _fill("<!-- ", n),
    "html-quote-block": lambda n: '<div a="\n' + _fill('<b c="', n),
    "ampersands": lambda n: _fill("&", n),
    "entities-named": lambda n: _fill("&amp;&nbsp;&copy;", n),
    "entities-numeric": lambda n: _fill("&#x41;&#65;", n),
    "entities-bogus": lambda n: _fill("&#xZZ;&bogus;", n),
    "long-line": lambda n: "a" * n + "\n",
    "punctuation-in-a-word": lambda n: "a" + "/" * n + "a\n",
    "code-ampersands": lambda n: "```\n" + "&" * n + "\n```\n",
    "short-lines": lambda n: _fill("a\n", n),
    "blank-lines": lambda n: "a" + "\n" * n + "b\n",
    "hard-breaks": lambda n: _fill("a  \n", n),
    "backslash-breaks": lambda n: _fill("a\\\n", n),
    "escapes": lambda n: _fill("\\*", n),
    "footnote-refs-same": lambda n: _fill("[^1]", n) + "\n\n[^1]: note\n",
    "footnote-refs-distinct": lambda n: "".join(f"[^{i}]" for i in range(n // 14))
    + "\n\n" + "".join(f"[^{i}]: n\n" for i in range(n // 14)),
    "footnote-defs-only": lambda n: "".join(f"[^{i}]: note\n" for i in range(n // 12)),
    "footnote-nested-defs": lambda n: _fill("[^a]: [^a]\n", n // 2) + _fill("[^a] ", n // 2),
    "ref-defs": lambda n: "".join(f"[r{i}]: /u{i}\n" for i in range(n // 14)),
    "ref-uses": lambda n: "[r]: /u\n\n" + _fill("[a][r] ", n),
    "ref-defs-and-uses": lambda n: "".join(f"[r{i}]: /u\n" for i in range(n // 24))
    + "\n" + "".join(f"[r{i}] " for i in range(n // 24)),
    "ref-collapsed": lambda n: "[r]: /u\n\n" + _fill("[r][] ", n),
    "table-columns": lambda n: _fill("|a", n // 2) + "|\n" + _fill("|-", n // 2) + "|\n",
    "table-rows": lambda n: "|a|b|\n|-|-|\n" + _fill("|x|y|\n", n),
    "table-wide-rows": lambda n: "|" + "a|" * 50 + "\n|" + "-|" * 50 + "\n"
    + _fill("|" + "x|" * 50 + "\n", n),
    "pipes": lambda n: _fill("|", n),
    "pipes-lines": lambda n: _fill("|\n", n),
    "autolinks": lambda n: _fill("<https://example.org/a> ", n),
    "autolinks-email": lambda n: _fill("<a@example.org> ", n),
    "links": lambda n: _fill("[a](https://example.org/x) ", n),
    "links-percent": lambda n: "[a](https://example.org/" + "%" * n + ")\n",
    "links-percent-encoded": lambda n: "[a](https://example.org/" + _fill("%41", n) + ")\n",
    "links-unicode": lambda n: _fill("[a](https://example.org/é) ", n),
    "links-to-article": lambda n: _fill("[a](other.md) ", n),
    "links-to-article-fragment": lambda n: _fill("[a](other.md#x) ", n),
    "links-to-missing-articles": lambda n: "".join(f"[a](m{i}.md) " for i in range(n // 14)),
    "links-refused-same": lambda n: _fill("[a](javascript:x) ", n),
    "links-refused-distinct": lambda n: "".join(f"[a](x{i}:y)\n" for i in range(n // 12)),
    "images": lambda n: _fill("![a](https://example.org/a.png) ", n),
    "fences": lambda n: _fill("```\na\n```\n", n),
    "fence-unclosed": lambda n: "```\n" + _fill("a\n", n),
    "fences-open": lambda n: _fill("```\n", n),
    "indented-code": lambda n: _fill("    a\n", n),
    "setext": lambda n: _fill("a\n=\n", n),
    "hashes": lambda n: _fill("#", n),
    "thematic-breaks": lambda n: _fill("***\n", n),
    "control-chars": lambda n: _fill("a\x0cb\x01 ", n),
    "nul-lookalike": lambda n: _fill("\ufffd", n),
    "words": lambda n: _fill("lorem ipsum dolor sit amet ", n),
    "unicode-words": lambda n: _fill("日本語のテキスト ", n),
    "combining": lambda n: _fill("a\u0301", n),
    "tags-25": lambda n: "A short body.\n",
    "tags-200": lambda n: "A short body.\n",
}
TAGS = {"tags-25": 25, "tags-200": 200}


def article(title: str, body: str, tags: int = 1) -> str:
    names = ", ".join(f"t{i}" for i in range(tags))
    return f'---\ntitle: "{title}"\ndate: 2020-01-02\ntags: [{names}]\n---\n{body}'


def child(shape: str, size: int) -> None:
    """Build one shape in this process and print its timings as JSON."""
    sys.path.insert(0, str(REPO))
    from broadsheet import config as config_module
    from broadsheet.pipeline import build
    from broadsheet.read import markdown

    body = SHAPES[shape](size)
    root = Path(tempfile.mkdtemp(prefix="hostile-", dir=SCRATCH))
    try:
        for folder in ("templates", "static"):
            shutil.copytree(REPO / folder, root / folder)
        (root / "broadsheet.yml").write_text(
            "base_url: https://example.org/\nallow_html: [sup, abbr, kbd]\n", encoding="utf-8")
        articles = root / "content" / "articles"
        articles.mkdir(parents=True)
        tags = TAGS.get(shape, 1)
        (articles / "hostile.md").write_text(article("Hostile", body, tags), encoding="utf-8")
        (articles / "other.md").write_text(article("Other", "Other body.\n", tags),
                                           encoding="utf-8")
        start = time.perf_counter()
        markdown.render(body, "content/articles", frozenset({"sup", "abbr", "kbd"}))
        rendered = time.perf_counter() - start
        config, problems = config_module.load(root)
        assert not problems, problems
        start = time.perf_counter()
        result = build(config, clean=True)
        built = time.perf_counter() - start
        errors = [d.format() for d in result.diagnostics if d.severity == "error"]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"render": rendered, "build": built, "ok": result.ok, "mb": peak,
                          "diagnostics": len(result.diagnostics), "first": errors[:1]}))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(shape: str, size: int, timeout: float) -> str:
    command = [sys.executable, __file__, "--child", shape, "--size", str(size)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.communicate()
        return f"{shape:30} {'>' + str(int(timeout)):>8} {'':>8}  (killed)"
    if process.returncode != 0:
        return f"{shape:30} crashed: {err.decode(errors='replace').strip().splitlines()[-1:]}"
    data = json.loads(out.decode().strip().splitlines()[-1])
    note = "" if data["ok"] else f"  failed: {data['first']}"
    return (f"{shape:30} {data['render']:8.2f} {data['build']:8.2f} {data['mb']:7.0f}"
            f"  diagnostics={data['diagnostics']}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("shapes", nargs="*", help="shapes to run (default: all)")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.size)
        return
    unknown = [s for s in args.shapes if s not in SHAPES]
    if unknown:
        raise SystemExit(f"unknown shapes: {unknown}; known: {', '.join(SHAPES)}")
    print(f"{'shape':30} {'render s':>8} {'build s':>8} {'peak MB':>7}  (size {args.size:,})")
    for shape in args.shapes or SHAPES:
        print(run(shape, args.size, args.timeout), flush=True)


if __name__ == "__main__":
    main()
