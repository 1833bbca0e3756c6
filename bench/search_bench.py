"""Benchmark of the chunked search index on synthetic archives (see bench/SEARCH.md).

    python bench/search_bench.py                 # 1,000 and 10,000 articles
    python bench/search_bench.py 1000 --queries 200 --equivalence 200

For each size: index build time (cold, then after editing one article), peak memory, total
search bytes, and in headless Chromium from file://, per first query on a fresh page: the
bytes downloaded (raw and gzipped; median and worst) and the time to first results. With
`--equivalence`, the chunked results are compared with lunr.js over one monolithic index built
in the page (slow beyond a few thousand articles). Output goes to /dev/shm (tmpfs) so disk
state does not skew timings. Articles are generated, never downloaded: a built-in list of
common English words and pronounceable made-up words, drawn with Zipf-like frequencies.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import jinja2

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from broadsheet.model import Article, Body, TagRef  # noqa: E402
from broadsheet.render import pages, templates  # noqa: E402
from broadsheet.search import files as search  # noqa: E402
from broadsheet.search import state as search_state  # noqa: E402
from broadsheet.search.index import FIELDS, Analyser  # noqa: E402
from broadsheet.urls import slugify  # noqa: E402

COMMON = str.split(
    """the of and to a in is that it was for on as with he by at his be this from had not
    are but or have an they which one you were her all she there would their we him been has
    when who will more no if out so said what up its about into than them can only other new
    some could time these two may then do first any my now such like our over man me even most
    made after also did many before must through back years where much your way well down
    should because each just those people how too little state good very make world still own
    see men work long get here between both life being under never day same another know while
    last might us great old year off come since against go came right used take three states
    himself few house use during without again place american around however home small found
    thought went say part once general high upon school every does got united left number
    course war until always away something fact though water less public put think almost hand
    enough far took head yet government system better set told nothing night end why called
    didn eyes find going look asked later knew point next program city business give group toward
    young days let room president side social present given several order national second
    possible rather per face among form important often things looked early white case john
    become large big need four within felt along children saw best church ever least power
    development light thing seemed family interest want members mind country area others done
    turned although open god service certain kind problem began different door thus help sense
    means whole matter perhaps itself york times law human line above name example action
    company hands local show whether five history gave today either act feet across taken past
    quite anything seen having death experience body word half really week field car words
    already themselves information tell together college shall money period held keep sure
    real probably free seems political cannot behind miss question office air rain river press
    print library map glass plate archive paper ink type letter book page reader story street
    town market bridge harbour station tower garden window morning evening winter summer
    mountain valley island coast north south east west century decade modern ancient record
    measure instrument observatory telescope lens camera photograph chemical silver copper
    iron steel wood stone brick clay machine engine wheel railway tram ship sail canal flood
    weather storm cloud wind snow dust smoke fire lamp candle clock bell voice song music"""
)
SYLLABLES = str.split(
    "ba be bi bo bu ca ce co cu da de di do fa fe fi fo ga ge go ha he hi ho ka ke ki ko "
    "la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so "
    "su ta te ti to tu va ve vi vo wa we wi za ze zo bra bre cla cre dra fra gla gri pla pre "
    "pro sta ste sto tra tri vel mar lin ton ber ham ley wick dor gan tel mon ris pen"
)
ENDINGS = ["", "", "", "", "s", "ed", "ing", "ly", "tion", "ness", "ment", "er", "ies", "y",
           "ful", "able", "ity", "al", "ism", "ist", "ous"]  # fmt: skip
PUNCT = [",", ",", ".", ".", ";", ":", "?", "!", "\u2014"]


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
        word += rng.choice(ENDINGS)
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Writer:
    """Deterministic text with Zipf-like word frequencies: exponent 1.35 over 90,000 words gives
    ~30,000 distinct terms at 1,000 articles and ~79,000 at 10,000, close to the 32,000 and
    76,000 measured on realistic English archives (SEARCH-NOTES.md)."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.vocab = vocabulary(90_000, self.rng)
        weights, total = [], 0.0
        for rank in range(len(self.vocab)):
            total += 1 / (rank + 2) ** 1.35
            weights.append(total)
        self.cum = weights

    def words(self, n: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cum, k=n)

    def sentence(self, n: int) -> str:
        words = self.words(n)
        for i in range(len(words)):
            r = self.rng.random()
            if r < 0.07:
                words[i] += self.rng.choice(PUNCT[:2])
            elif r < 0.075:
                words[i] = f"{self.rng.randint(2, 9999):,}"
            elif r < 0.08:
                words[i] += "-" + self.words(1)[0]
        return " ".join(words).capitalize() + self.rng.choice(PUNCT[2:])

    def text(self, n: int) -> str:
        out, count = [], 0
        while count < n:
            k = self.rng.randint(8, 30)
            out.append(self.sentence(k))
            count += k
        return " ".join(out)


def archive(n: int, seed: int = 1) -> list[Article]:
    w = Writer(seed)
    tags = [" ".join(w.rng.sample(COMMON[250:], w.rng.choice((1, 1, 2)))) for _ in range(80)]
    authors = [
        f"{w.rng.choice(SYLLABLES).title()}{w.rng.choice(SYLLABLES)} "
        f"{w.rng.choice(SYLLABLES).title()}{w.rng.choice(SYLLABLES)}{w.rng.choice(SYLLABLES)}"
        for _ in range(200)
    ]
    start = datetime(2000, 1, 1)
    articles = []
    for i in range(n):
        title = w.sentence(w.rng.randint(3, 8)).rstrip(".?!:;,\u2014").title()
        body = w.text(w.rng.randint(700, 1100))
        slug = slugify(title)[:60] or f"article-{i}"
        articles.append(
            Article(
                source=f"content/articles/{i}.md",
                slug=slug,
                title=title,
                date=start + timedelta(hours=7 * i),
                has_time=False,
                updated=None,
                tags=tuple(TagRef(t, slugify(t)) for t in dict.fromkeys(w.rng.sample(tags, 3))),
                authors=tuple(w.rng.sample(authors, w.rng.choice((1, 1, 1, 2)))),
                origin=None,
                photo=None,
                summary=body[:280],
                dek="",
                body=Body("", body),
                words=len(body.split()),
                reading_minutes=5,
                draft=False,
            )
        )
    articles.sort(key=lambda a: a.sort_key)
    return articles


def build(articles: list[Article]) -> dict[str, bytes]:
    return search_state.search_files(
        [search.document(a) for a in articles], [search.store_entry(a) for a in articles]
    )


def write_site(folder: Path, files: dict[str, bytes]) -> None:
    """The search files, the theme's static files and the real search page."""
    shutil.rmtree(folder, ignore_errors=True)
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    shutil.copytree(REPO / "static", folder / "static")
    config = SimpleNamespace(
        title="Bench", description="Synthetic archive", language="en", base_url=""
    )
    env = templates.environment(jinja2.FileSystemLoader(REPO / "templates"))  # our own theme
    page = pages.Page("search/index.html", "search.html")
    html = templates.render(env, page, SimpleNamespace(config=config), {})
    (folder / "search" / "index.html").write_text(html, encoding="utf-8")


def query_set(articles: list[Article], count: int, seed: int = 5) -> list[str]:
    """Single words across frequency bands, two words from one article, prefixes being typed,
    tag and author filters."""
    rng = random.Random(seed)
    qs: list[str] = []
    pipeline = Analyser().pipeline
    while len(qs) < count:
        a = rng.choice(articles)
        words = [x.strip(".,;:?!\u2014") for x in a.text.split()]
        words = [x for x in words if pipeline.term(x.lower()) and x.isalpha()]
        kind = len(qs) % 6
        if kind == 0:
            qs.append(rng.choice(words).lower())
        elif kind == 1:
            qs.append(f"{rng.choice(words)} {rng.choice(words)}".lower())
        elif kind == 2:
            word = rng.choice([x for x in words if len(x) > 4] or words)
            qs.append(word[: rng.randint(3, len(word))].lower())
        elif kind == 3:
            qs.append(f"tag:{rng.choice(a.tags).slug}")
        elif kind == 4:
            qs.append(f"author:{rng.choice(a.authors).split()[-1].lower()}")
        else:
            qs.append(rng.choice(a.title.split()).lower() + " ")
    return qs


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6, mtime=0))


def browser_figures(site: Path, qs: list[str], equivalence: int, articles) -> dict:
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--disable-gpu"])
    raw, zipped, times, counts = [], [], [], []
    cache: dict[str, tuple[int, int]] = {}
    try:
        for q in qs:
            context = browser.new_context()
            page = context.new_page()
            urls: list[str] = []
            page.on("request", lambda r, urls=urls: urls.append(r.url))
            page.goto((site / "search" / "index.html").as_uri() + "?q=" + _quote(q))
            page.wait_for_selector("#search-page[aria-busy=false]", timeout=60_000)
            times.append(page.evaluate("performance.now()"))
            counts.append(len(page.query_selector_all("#search-results h2 a")))
            total_raw = total_gz = 0
            for url in dict.fromkeys(urls):
                path = Path(_unquote(url.split("?")[0].removeprefix("file://")))
                if path.suffix not in (".js", ".css", ".html") or not path.is_file():
                    continue  # images load lazily and are not search data
                if str(path) not in cache:
                    data = path.read_bytes()
                    cache[str(path)] = (len(data), gz(data))
                total_raw += cache[str(path)][0]
                total_gz += cache[str(path)][1]
            raw.append(total_raw)
            zipped.append(total_gz)
            context.close()
        same = None
        if equivalence:
            same = _equivalence(browser, site, qs[:equivalence], articles)
    finally:
        browser.close()
        pw.stop()
    return {"raw": raw, "gz": zipped, "ms": times, "answered": sum(c > 0 for c in counts),
            "equivalent": same}  # fmt: skip


def _equivalence(browser, site: Path, qs: list[str], articles) -> str:
    page = browser.new_page()
    page.goto((site / "search" / "index.html").as_uri())
    page.wait_for_function("window.BroadsheetSearch.page.engine.manifest !== null")
    docs = [search.document(a).fields for a in articles]
    out = page.evaluate(
        """async ({docs, fields, queries}) => {
          const engine = window.BroadsheetSearch.page.engine;
          const mono = lunr(function () {
            this.ref("id");
            fields.forEach(([name, boost]) => this.field(name, {boost}));
            docs.forEach((d, i) => {
              const doc = {id: String(i)};
              fields.forEach(([name], f) => { doc[name] = d[f]; });
              this.add(doc);
            });
          });
          let same = 0, differ = [];
          for (const q of queries) {
            const plan = engine.plan(q);
            const a = (await engine.run(plan)).map(r => r.ref + ":" + r.score).join();
            const b = plan.clauses.length ? mono.query(query => plan.clauses.forEach(
              c => query.clause(Object.assign({}, c)))).map(r => r.ref + ":" + r.score).join() : "";
            if (a === b) same++; else differ.push(q);
          }
          return {same, differ};
        }""",
        {"docs": docs, "fields": FIELDS, "queries": qs},
    )
    page.close()
    return f"{out['same']}/{len(qs)} identical" + (
        f", differ: {out['differ'][:5]}" if out["differ"] else ""
    )


def _quote(q: str) -> str:
    from urllib.parse import quote

    return quote(q)


def _unquote(u: str) -> str:
    from urllib.parse import unquote

    return unquote(u)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, n_queries: int, equivalence: int) -> None:
    print(f"\n== {n:,} articles ==", flush=True)
    t = time.perf_counter()
    articles = archive(n)
    words = sum(a.words for a in articles)
    print(f"generated in {time.perf_counter() - t:.1f} s: {words / n:.0f} words/article; "
          f"rss before build {peak_mb():.0f} MB", flush=True)  # fmt: skip

    t = time.perf_counter()
    files = build(articles)
    cold = time.perf_counter() - t
    peak = peak_mb()
    edited = list(articles)
    one = edited[len(edited) // 2]
    edited[len(edited) // 2] = dataclasses.replace(one, body=Body("", one.text + " Edited."))
    t = time.perf_counter()
    after_edit = build(edited)
    warm = time.perf_counter() - t
    rewritten = [k for k in after_edit.keys() | files.keys() if after_edit.get(k) != files.get(k)]
    again = build(articles)
    assert again == files, "two builds of the same archive differ"

    index = {k: v for k, v in files.items() if k.startswith("search/index/")}
    docs = {k: v for k, v in files.items() if k.startswith("search/doc/")}
    manifest = files["search/manifest.js"]
    terms = sum(v.count(b'],["') + 1 for v in index.values())
    print(f"index build: cold {cold:.1f} s, after one edit {warm:.1f} s; peak rss {peak:.0f} MB")
    print(f"one edit rewrites {len(rewritten):,} of {len(files):,} files "
          f"({sum(len(after_edit.get(k, b'')) for k in rewritten) / 1e3:.0f} KB)")
    print(f"distinct terms ~{terms:,}; chunks {len(index):,}; manifest {len(manifest):,} B "
          f"({gz(manifest):,} gz)")  # fmt: skip
    print(f"total search bytes: index {sum(map(len, index.values())) / 1e6:.1f} MB, store "
          f"{sum(map(len, docs.values())) / 1e6:.1f} MB, files {len(files):,}")  # fmt: skip

    site = Path(tempfile.gettempdir() if not Path("/dev/shm").is_dir() else "/dev/shm")
    site = site / f"broadsheet-search-bench-{n}"
    write_site(site, files)
    qs = query_set(articles, n_queries)
    fig = browser_figures(site, qs, equivalence, articles)
    for label, key, scale in (("first-query bytes raw", "raw", 1024), ("gzipped", "gz", 1024)):
        values = fig[key]
        print(f"{label}: median {statistics.median(values) / scale:.0f} KB, "
              f"worst {max(values) / scale:.0f} KB")  # fmt: skip
    ms = sorted(fig["ms"])
    print(f"time to first results (file://, fresh page, {len(qs)} queries, "
          f"{fig['answered']} with results): median {statistics.median(ms):.0f} ms, "
          f"p90 {ms[int(len(ms) * 0.9)]:.0f} ms, worst {ms[-1]:.0f} ms")  # fmt: skip
    if fig["equivalent"] is not None:
        print(f"chunked vs monolithic lunr.js: {fig['equivalent']}")
    print(json.dumps({"n": n, "cold_s": round(cold, 2), "edit_s": round(warm, 2),
                      "peak_mb": round(peak), "gz_median": statistics.median(fig["gz"]),
                      "ms_median": round(statistics.median(ms))}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--equivalence", type=int, default=-1,
                        help="queries to compare with a monolithic index (default: all, only "
                        "up to 2,000 articles)")  # fmt: skip
    args = parser.parse_args()
    for n in args.sizes:
        eq = args.equivalence if args.equivalence >= 0 else (args.queries if n <= 2000 else 0)
        run(n, args.queries, eq)


if __name__ == "__main__":
    main()
