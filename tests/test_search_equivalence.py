"""Chunked search in the browser returns exactly what lunr.js returns from one whole index.

A deterministic 60-article archive is indexed by `broadsheet.search` into small chunks (so each
query loads only a few); in headless Chromium, `static/search.js` plans each reader query into
lunr clauses, loads the chunks it needs and runs it; lunr.js then builds one monolithic index of
the same documents in the page and runs the same clauses. Refs, order and scores must be equal.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from broadsheet.search import state as search_state
from broadsheet.search.index import FIELDS, Doc

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e

SYLLABLES = str.split("ba co di fe gu ha ki lo mu ne pa ri so tu va we xi yo za ch st tr pl")
SUFFIXES = ["", "", "", "s", "ing", "ed", "ation", "y", "ies", "ness", "ful", "er"]
TAGS = ["printing", "maps", "rivers", "libraries", "astronomy", "rain", "glass plates",
        "typography", "cities", "science", "photography", "craft"]  # fmt: skip
AUTHORS = ["Ada Quill", "Tobias Wrenfield", "Priya Landsdowne", "Hesper Anand",
           "Caspian Lodwick", "Ilse Marwood", "Margit Halloran", "Clement Ashby"]  # fmt: skip
STOP = ["the", "of", "and", "a", "in", "to", "is", "was", "it", "for"]


def vocabulary(rng: random.Random, size: int = 700) -> list[str]:
    words: list[str] = []
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        word += rng.choice(SUFFIXES)
        if word not in words:
            words.append(word)
    return words


def archive(n: int = 60, seed: int = 3) -> tuple[list[Doc], list[str]]:
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]  # Zipf

    def text(count: int) -> str:
        words = rng.choices(vocab, weights, k=count)
        for i in range(0, count, 4):
            words[i] = rng.choice(STOP)
        return " ".join(words)

    docs = []
    for _ in range(n):
        tags = rng.sample(TAGS, rng.randint(1, 3))
        authors = rng.sample(AUTHORS, rng.choice((1, 1, 2)))
        docs.append(
            Doc(
                (
                    text(rng.randint(3, 7)).title(),
                    " ".join(tags),
                    " ".join(authors),
                    text(25) + ".",
                    text(rng.randint(120, 220)) + ", " + text(40) + ".",
                )
            )
        )
    return docs, vocab


def queries(docs: list[Doc], vocab: list[str]) -> list[str]:
    rng = random.Random(11)
    out = []
    out += rng.sample(vocab[:60], 30) + rng.sample(vocab[60:], 40)  # common and rare words
    out += [w + " " for w in rng.sample(vocab, 20)]  # finished words: no prefix
    for _ in range(40):  # two words from one article (results) and from anywhere
        body = docs[rng.randrange(len(docs))].fields[4].split()
        out.append(f"{rng.choice(body)} {rng.choice(body)}".replace(",", ""))
    out += [f"{rng.choice(vocab)} {rng.choice(vocab)}" for _ in range(15)]
    out += [w[: rng.randint(2, 5)] for w in rng.sample(vocab, 30)]  # being typed
    out += [f"{rng.choice(vocab)} {w[:3]}" for w in rng.sample(vocab, 10)]
    out += [f"tag:{t.split()[0]}" for t in TAGS] + ["tag:photo", "tags:glass-plates"]
    out += [f"author:{a.split()[1].lower()}" for a in AUTHORS] + ["author:ada", "by:quill "]
    out += [f"{rng.choice(vocab[:40])} tag:{rng.choice(TAGS).split()[0]}" for _ in range(10)]
    out += [f"{rng.choice(vocab[:30])} -{rng.choice(vocab[:30])}" for _ in range(8)]
    out += ["-" + vocab[0], "the", "the of", "zzzqqq", "", "   ", "*", "a*b", "ba*", "tag:"]
    out += ["<img src=x onerror=alert(1)>", '"quoted words"', "title:x", "~2 ^3", "printing"]
    out += [vocab[0] + " " + vocab[1] + " " + vocab[2], "Rain", "RIVERS ", "astronom"]
    return out


def test_chunked_results_equal_monolithic_lunr_js(browser, tmp_path: Path):
    docs, vocab = archive()
    files = search_state.search_files(docs, [{} for _ in docs], cut_every=6)
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    shutil.copy(REPO / "static" / "vendor" / "lunr" / "lunr.min.js", tmp_path)
    shutil.copy(REPO / "static" / "search.js", tmp_path)
    (tmp_path / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><title>eq</title>'
        '<script src="lunr.min.js"></script><script src="search.js"></script>',
        encoding="utf-8",
    )
    qs = queries(docs, vocab)
    assert len(qs) >= 200

    page = browser.new_page()
    try:
        page.goto((tmp_path / "index.html").as_uri())
        out = page.evaluate(
            """async ({docs, fields, queries}) => {
              const engine = new BroadsheetSearch.Engine("search/", "lunr.min.js");
              await engine.ready();
              const mono = lunr(function () {
                this.ref("id");
                fields.forEach(([name, boost]) => this.field(name, {boost}));
                docs.forEach((d, i) => {
                  const doc = {id: String(i)};
                  fields.forEach(([name], f) => { doc[name] = d[f]; });
                  this.add(doc);
                });
              });
              const total = engine.manifest.chunks.length, out = [];
              // the whole index merged from every chunk is lunr.js's own index, weights and
              // term numbers included
              const all = await Promise.all(engine.manifest.files.map((_, c) => engine.chunk(c)));
              const decoded = engine.decode(all), blocks = {};
              for (const k of engine.blocksOf(decoded)) {
                blocks[k] = await engine.file("lengths/" + k);
              }
              const canonical = (index) => {
                const json = index.toJSON();
                json.fieldVectors.sort((a, b) => (a[0] < b[0] ? -1 : 1));
                return JSON.stringify(json);
              };
              const same = canonical(engine.merge(decoded, blocks)) === canonical(mono);
              for (const q of queries) {
                const plan = engine.plan(q);
                const chunked = (await engine.run(plan)).map(r => [r.ref, r.score]);
                const full = plan.clauses.length ? mono.query(query => plan.clauses.forEach(
                  c => query.clause(Object.assign({}, c)))).map(r => [r.ref, r.score]) : [];
                out.push({q, chunked, full, loaded: plan.chunks.length, total});
              }
              return {out, same};
            }""",
            {"docs": [d.fields for d in docs], "fields": FIELDS, "queries": qs},
        )
    finally:
        page.close()

    out, same = out["out"], out["same"]
    assert same, "the merged whole index differs from lunr.js's own"
    differ = [r for r in out if r["chunked"] != r["full"]]
    assert not differ, [(r["q"], r["chunked"][:3], r["full"][:3]) for r in differ[:5]]
    answered = [r for r in out if r["full"]]
    assert len(answered) >= 150, "too few queries with results to show anything"
    assert sum(len(r["full"]) > 1 for r in out) >= 100, "too few queries to compare ranking"
    total = out[0]["total"]
    assert total >= 40, "chunks too coarse to test merging"
    loaded = sorted(r["loaded"] for r in answered)
    assert loaded[len(loaded) // 2] <= total // 8, "a query should load a small part of the index"
