"""Incremental builds: after any sequence of edits, the output is byte-identical to a clean
build's, a build with no change writes nothing, and a broken cache means a cold build."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, build_repo, make_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadsheet.incremental import cache

TAGS = ["printing", "libraries", "maps", "São Paulo"]


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def clean_copy(root: Path, into: Path) -> Path:
    shutil.copytree(root, into, ignore=shutil.ignore_patterns("site", cache.CACHE_DIR))
    return into


def article(n: int, title: str, tags: list[str], body: str, day: int = 1) -> str:
    return (f'---\ntitle: "{title}"\ndate: 2021-03-{day:02d}\ntags: {tags!r}\n---\n'
            f"{body}\n\nSee [the first](first-light.md).\n" if n else
            f'---\ntitle: "{title}"\ndate: 2021-03-{day:02d}\ntags: {tags!r}\n---\n{body}\n')


edit = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 9), st.sampled_from(TAGS), st.integers(1, 28)),
    st.tuples(st.just("change"), st.integers(0, 9), st.text("abc xyz.", min_size=1, max_size=30)),
    st.tuples(st.just("lead"), st.integers(0, 9), st.text("abc xyz.", min_size=1, max_size=30)),
    st.tuples(st.just("retitle"), st.integers(0, 9), st.text("abc xyz", min_size=1, max_size=9)),
    st.tuples(st.just("retag"), st.integers(0, 9), st.lists(st.sampled_from(TAGS), max_size=3,
                                                          unique=True)),
    st.tuples(st.just("delete"), st.integers(0, 9)),
    st.tuples(st.just("rename"), st.integers(0, 9), st.integers(0, 9)),
    st.tuples(st.just("template"), st.sampled_from(["article.html", "_macros.html", "base.html"])),
    st.tuples(st.just("config"), st.integers(1, 4)),
    st.tuples(st.just("static"),),
    st.tuples(st.just("photo"), st.integers(20, 90)),
    st.tuples(st.just("embed"), st.integers(0, 9)),
    st.tuples(st.just("vocabulary"), st.sampled_from(["Presses.", "Type and ink."])),
)


def apply(root: Path, step: tuple) -> None:
    folder = root / "content/articles"
    existing = sorted(folder.glob("gen-*.md"))
    kind = step[0]
    if kind == "add":
        _, n, tag, day = step
        (folder / f"gen-{n}.md").write_text(article(n, f"Added {n}", [tag], "Fresh text.", day))
    elif kind == "change" and existing:
        path = existing[step[1] % len(existing)]
        path.write_text(path.read_text() + "\n" + step[2] + "\n")
    elif kind == "lead" and existing:  # the summary, so the card, changes
        path = existing[step[1] % len(existing)]
        head, _, body = path.read_text().partition("\n---\n")
        path.write_text(f"{head}\n---\n{step[2]} {body}")
    elif kind == "retitle" and existing:
        path = existing[step[1] % len(existing)]
        text = path.read_text().split("\n")
        text[1] = f'title: "Retitled {step[2]}"'
        path.write_text("\n".join(text))
    elif kind == "retag" and existing:
        path = existing[step[1] % len(existing)]
        text = path.read_text().split("\n")
        text[3] = f"tags: {step[2]!r}"
        path.write_text("\n".join(text))
    elif kind == "delete" and existing:
        existing[step[1] % len(existing)].unlink()
    elif kind == "rename" and existing:
        path = existing[step[1] % len(existing)]
        target = folder / f"gen-{step[2]}.md"
        if not target.exists():
            path.rename(target)
    elif kind == "template":
        path = root / "templates" / step[1]
        path.write_text(path.read_text().replace("</", "<!-- edited -->\n</", 1))
    elif kind == "config":
        (root / "broadsheet.yml").write_text(f'title: "Gazette"\nper_page: {step[1]}\n')
    elif kind == "static":
        with (root / "static/style.css").open("a") as handle:
            handle.write("\n/* edited */\n")
    elif kind == "photo":  # same file name, new size and content
        from PIL import Image

        Image.new("RGB", (step[1], step[1] // 2), (step[1], 40, 90)).save(
            folder / "first-light.png")
    elif kind == "embed" and existing:  # a body image: the fixture's photo file
        path = existing[step[1] % len(existing)]
        path.write_text(path.read_text() + "\n![A figure](first-light.png)\n")
    elif kind == "vocabulary":
        (root / "content/tags.yml").write_text(
            f'printing:\n  name: "printing"\n  description: "{step[1]}"\n'
            '  aliases: ["letterpress"]\n')


@settings(max_examples=int(os.environ.get("BROADSHEET_EXAMPLES", "12")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(edit, min_size=2, max_size=5))
def test_incremental_equals_clean(tmp_path_factory, steps):
    """...and an edit of an article's text or title after a good build takes the edit's
    narrow path (`edits`), which must give the same site. (The fixture's gen-0 and gen-3 are
    there so that the first steps can edit.)"""
    from broadsheet.incremental import edits

    root = make_repo(tmp_path_factory.mktemp("inc"), FIXTURES / "site", files={
        f"content/articles/gen-{n}.md": article(n, f"Generated {n}", [TAGS[n]], "Words.", n + 2)
        for n in (0, 3)})
    ok = build_repo(root).ok
    told: set[str] = set()  # files the last build had something to say about
    for step in steps:
        existing = sorted((root / "content/articles").glob("gen-*.md"))
        edited = existing[step[1] % len(existing)] if existing and step[0] in (
            "change", "lead", "retitle") else None
        apply(root, step)
        with _watching(edits, "prepare") as narrow:
            incremental = build_repo(root)
        reference = clean_copy(root, tmp_path_factory.mktemp("clean") / "repo")
        cold = build_repo(reference)
        assert incremental.ok == cold.ok, (step, incremental.diagnostics, cold.diagnostics)
        if cold.ok:
            assert tree(root / "site") == tree(reference / "site"), step
        now = {d.path for d in incremental.diagnostics}
        if ok and cold.ok and edited and edited.relative_to(root).as_posix() not in told | now:
            # (an article with warnings is the full build's; [] is no change at all)
            assert narrow == [True] or (not narrow and incremental.files_written == 0), step
        ok, told = incremental.ok, now


@contextlib.contextmanager
def _watching(module: object, name: str):
    """Records whether each call of `module.name` answered something (not None)."""
    original, answers = getattr(module, name), []

    def watched(*args, **kwargs):
        answer = original(*args, **kwargs)
        answers.append(answer is not None)
        return answer

    setattr(module, name, watched)
    try:
        yield answers
    finally:
        setattr(module, name, original)


@settings(max_examples=int(os.environ.get("BROADSHEET_EXAMPLES", "8")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(edit, min_size=2, max_size=5))
def test_a_preview_session_equals_clean_after_any_edits(tmp_path_factory, steps):
    """A session keeps page fingerprints by the identity of their context's articles from
    build to build (`pages.Digests`): that must never keep a page that changed."""
    from broadsheet import config as config_module
    from broadsheet import pipeline

    root = make_repo(tmp_path_factory.mktemp("session"), FIXTURES / "site")
    config, _ = config_module.load(root)
    session = pipeline.Session(config)
    assert pipeline.build(config, session=session).ok
    for step in steps:
        apply(root, step)
        if step[0] == "config":  # as the preview does: a new session for a new config
            config, _ = config_module.load(root)
            session = pipeline.Session(config)
        result = pipeline.build(config, session=session)
        reference = clean_copy(root, tmp_path_factory.mktemp("clean") / "repo")
        cold = build_repo(reference)
        assert result.ok == cold.ok, (step, result.diagnostics, cold.diagnostics)
        if cold.ok:
            assert tree(root / "site") == tree(reference / "site"), step


def test_no_change_rebuild_writes_nothing(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    first = build_repo(root)
    assert first.files_written > 0
    inode = (root / "site/index.html").stat().st_ino
    second = build_repo(root)
    assert (second.files_written, second.pages_rendered) == (0, 0)
    assert (root / "site/index.html").stat().st_ino == inode  # not even swapped


def test_one_edit_rerenders_only_what_shows_it(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok
    path = root / "content/articles/third-way.md"
    path.write_text(path.read_text() + "\nA new closing sentence.\n")
    result = build_repo(root)
    assert result.pages_rendered == 1  # its page; listings show only the unchanged summary
    path.write_text(path.read_text().replace("The Third Way", "The Fourth Way"))
    result = build_repo(root)
    # its page, the neighbour that links to it, the front page, its tag page, its year
    assert result.pages_rendered == 5


def test_corrupt_or_stale_cache_means_cold_build(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok
    expected = tree(root / "site")
    location = root / cache.CACHE_DIR / "build.sqlite"
    for damage in (b"", b"garbage", location.read_bytes()[:100], location.read_bytes()[:5000]):
        location.write_bytes(damage)
        shutil.rmtree(root / "site")
        result = build_repo(root)
        assert result.ok and result.pages_rendered == result.pages
        assert tree(root / "site") == expected
    # a cache from another engine version is ignored
    with sqlite3.connect(location) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'engine'", ("0" * 64,))
    assert build_repo(root).pages_rendered == 13
    assert tree(root / "site") == expected


def test_cache_records_of_the_wrong_shape_mean_a_parse_not_a_crash(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok
    expected = tree(root / "site")
    with sqlite3.connect(root / cache.CACHE_DIR / "build.sqlite") as db:
        rows = db.execute("SELECT source, result FROM articles").fetchall()
        damaged = ['{"x": 1}', "[1, 2]", rows[0][1].replace('"title"', '"titel"'), "null",
                   rows[1][1].replace('"date":"', '"date":"not a date')]
        for (source, _), text in zip(rows, damaged, strict=False):
            db.execute("UPDATE articles SET result = ? WHERE source = ?", (text, source))
        db.execute("UPDATE state SET value = '{\"oops\": 1}' WHERE key = 'manifest'")
        db.execute("UPDATE outputs SET fingerprint = 42")
    result = build_repo(root)
    assert result.ok, [d.format() for d in result.diagnostics]
    assert tree(root / "site") == expected


def test_the_cache_holds_no_code(tmp_path):
    """The cache may come back from a shared store: it is SQLite with JSON text, not pickle."""
    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok
    files = [p for p in (root / cache.CACHE_DIR).rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix == ".pickle"]
    with sqlite3.connect(root / cache.CACHE_DIR / "build.sqlite") as db:
        for (text,) in db.execute("SELECT result FROM articles"):
            json.loads(text)


def test_no_change_fast_path_notices_a_deleted_output_file(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok
    expected = tree(root / "site")
    (root / "site/tags/printing/index.html").unlink()
    result = build_repo(root)
    assert result.pages_rendered == 1
    assert tree(root / "site") == expected


def test_parallel_build_equals_serial_and_reports_progress(tmp_path, monkeypatch):
    from broadsheet import pipeline, workers

    files = {f"content/articles/a{i:03}.md": article(0, f"Article {i}", [TAGS[i % 4]],
                                                      f"Body {i} " * 50, 1 + i % 28)
             for i in range(260)}
    parallel = make_repo(tmp_path / "parallel", files=files)
    serial = make_repo(tmp_path / "serial", files=files)
    seen = []
    config = pipeline.Config(root=parallel)
    assert pipeline.build(config, progress=lambda *args: seen.append(args)).ok
    assert {stage for stage, _, _ in seen} == {"parsing articles", "rendering pages"}
    assert ("parsing articles", 260, 260) in seen
    monkeypatch.setattr(workers, "PARALLEL_FROM", 10**9)
    assert build_repo(serial).ok
    assert tree(parallel / "site") == tree(serial / "site")


def test_spare_tree_is_updated_without_touching_the_live_site(tmp_path):
    """The previous build is kept as `.site.spare` and reused; a changed file is created anew,
    never written through a hard link it shares with the live site."""
    root = make_repo(tmp_path, FIXTURES / "site")
    page = root / "site/2022/third-way/index.html"
    spare = root / ".site.spare/2022/third-way/index.html"
    third, second = (root / f"content/articles/{n}.md" for n in ("third-way", "second-thoughts"))
    assert build_repo(root).ok
    before = page.read_bytes()
    second.write_text(second.read_text() + "\nElsewhere.\n")
    assert build_repo(root).ok  # third-way unchanged: live and spare copies share one inode
    assert page.stat().st_ino == spare.stat().st_ino
    third.write_text(third.read_text() + "\nChanged.\n")
    assert build_repo(root).ok
    assert b"Changed." in page.read_bytes()
    assert spare.read_bytes() == before  # the old build's copy was not written through
    reference = clean_copy(root, tmp_path / "clean")
    assert build_repo(reference).ok
    assert tree(root / "site") == tree(reference / "site")


def test_after_a_clean_build_an_edit_updates_the_spare_instead_of_a_whole_tree(tmp_path,
                                                                              monkeypatch):
    """A clean build does not know the files of the site it replaces, so it keeps a copy of
    the new site (hard links) as the spare: the next build writes only what it changes."""
    from broadsheet import output

    root = make_repo(tmp_path, FIXTURES / "site")
    third = root / "content/articles/third-way.md"
    assert build_repo(root).ok
    assert build_repo(root, clean=True).ok
    assert output.build_id(root / ".site.spare") == output.build_id(root / "site")
    updates = []
    real = output._update
    monkeypatch.setattr(output, "_update", lambda *a: updates.append(a) or real(*a))
    third.write_text(third.read_text() + "\nChanged.\n")
    assert build_repo(root).ok
    assert len(updates) == 1
    assert b"Changed." in (root / "site/2022/third-way/index.html").read_bytes()
    assert b"Changed." not in (root / ".site.spare/2022/third-way/index.html").read_bytes()
    reference = clean_copy(root, tmp_path / "clean")
    assert build_repo(reference).ok
    assert tree(root / "site") == tree(reference / "site")


def test_a_session_is_told_of_the_rendered_pages_before_the_site_is_written(tmp_path,
                                                                           monkeypatch):
    """The preview serves them at once (`serve.Preview.rendered`)."""
    from broadsheet import config as config_module
    from broadsheet import output, pipeline

    root = make_repo(tmp_path, FIXTURES / "site")
    config, _ = config_module.load(root)
    events: list[tuple] = []
    session = pipeline.Session(config, lambda pages: events.append(
        ("rendered", sorted(pages), all(p.file.is_file() for p in pages.values()))))
    real = output.write_site
    monkeypatch.setattr(output, "write_site",
                        lambda *a, **k: events.append(("write",)) or real(*a, **k))
    assert pipeline.build(config, session=session).ok
    third = root / "content/articles/third-way.md"
    third.write_text(third.read_text() + "\nChanged.\n")
    events.clear()
    assert pipeline.build(config, session=session).ok
    assert events == [("rendered", ["2022/third-way/index.html"], True), ("write",)]


def settle(root: Path) -> None:
    """Let every source age past the second in which a change could go unseen."""
    for path in (root / "content").rglob("*"):
        os.utime(path, (os.stat(path).st_atime, os.stat(path).st_mtime - 3600))
    time.sleep(1.05)  # the change time, which utime just set, too


def test_files_unchanged_since_the_last_build_are_not_read_or_hashed_again(tmp_path,
                                                                           monkeypatch):
    from broadsheet.read import sources

    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    settle(root)
    assert build_repo(root).ok
    read, hashed = [], []
    original_read, original_hash = sources.read_bytes, sources.file_digest
    monkeypatch.setattr(sources, "read_bytes", lambda p, r: read.append(p) or original_read(p, r))
    monkeypatch.setattr(sources, "file_digest", lambda p: hashed.append(p) or original_hash(p))
    photo = root / "content/articles/first-light.png"
    edited = root / "content/articles/third-way.md"
    edited.write_text(edited.read_text().replace("Third Way", "Thirdly Way"))
    result = build_repo(root)
    assert result.ok and result.pages_rendered
    assert read == [edited] and photo not in hashed


def test_a_file_rewritten_with_its_old_size_and_times_is_still_seen_to_change(tmp_path):
    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    settle(root)
    assert build_repo(root).ok
    edited = root / "content/articles/third-way.md"
    before = os.stat(edited)
    edited.write_text(edited.read_text().replace("Third Way", "Other Way"))  # same length
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))  # the change time moves
    assert os.stat(edited).st_size == before.st_size
    assert build_repo(root).ok
    assert "Other Way" in next((root / "site").glob("*/third-way/index.html")).read_text()
    assert tree(root / "site") == tree(build_clean(root, tmp_path / "clean"))


def build_clean(root: Path, into: Path) -> Path:
    copy = clean_copy(root, into)
    assert build_repo(copy).ok
    return copy / "site"


def test_an_edit_reads_from_the_cache_only_the_bodies_it_shows(tmp_path, monkeypatch):
    """Bodies are most of the cache's bytes. An edit to the oldest article (in no feed) reads
    none; an edit to the newest rebuilds the feeds, which read the other newest ones' bodies,
    and no other."""
    from broadsheet.render import feeds

    files = {f"content/articles/a{n:02}.md": article(0, f"Article {n}", ["maps"],
                                                     f"First words {n}.\n\nLast words.",
                                                     day=n % 28 + 1)
             for n in range(1, 31)}
    root = make_repo(tmp_path, files=files)
    assert build_repo(root).ok
    read = []
    original = cache._Bodies.get
    monkeypatch.setattr(cache._Bodies, "get", lambda self, s, k: read.append(s) or original(
        self, s, k))
    for name in ("a28", "a27"):  # day 1, then day 28: the newest
        edited = root / f"content/articles/{name}.md"
        edited.write_text(edited.read_text().replace("Last words.", "Other last words."))
        assert build_repo(root).ok
        if name == "a28":
            assert read == []
    assert 0 < len(set(read)) < feeds.ENTRIES < len(files)
    assert "content/articles/a27.md" not in read
    assert tree(root / "site") == tree(build_clean(root, tmp_path / "clean"))


def test_a_body_replaced_by_another_build_since_the_load_means_a_clean_build(tmp_path):
    """A preview session listed the bodies at its start; another build then changed the rows:
    the session's next build finds a body gone, and builds from scratch instead of failing."""
    from broadsheet import config as config_module
    from broadsheet import pipeline

    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    assert build_repo(root).ok
    config, _ = config_module.load(root)
    session = pipeline.Session(config)
    with sqlite3.connect(cache.location(config)) as db:
        db.execute("UPDATE articles SET key = 'another build'")
    template = root / "templates/article.html"  # every page again: every body is needed
    template.write_text(template.read_text().replace("</article>", "</article>\n<!-- x -->"))
    result = pipeline.build(config, session=session)
    assert result.ok
    assert tree(root / "site") == tree(build_clean(root, tmp_path / "clean"))


def test_a_new_article_leaves_every_numbered_listing_page_alone(tmp_path):
    """Listing pages are numbered from the oldest: the newest article changes the first page,
    not the other nine (which used to shift by one entry each)."""
    files = {f"content/articles/a{n:02}.md": article(0, f"Article {n}", ["maps"], f"Words {n}.",
                                                     day=n % 28 + 1)
             for n in range(50)}
    files["broadsheet.yml"] = "per_page: 5\n"
    root = make_repo(tmp_path, files=files)
    assert build_repo(root).ok
    numbered = sorted((root / "site/page").glob("*/index.html"))
    assert len(numbered) == 9
    before = {p: p.stat().st_ino for p in numbered}
    (root / "content/articles/newest.md").write_text(
        '---\ntitle: "Newest"\ndate: 2021-04-01\ntags: ["fresh"]\n---\nNew words.\n')
    result = build_repo(root)
    assert result.ok
    # its page, its older neighbour, the front page, its tag page, the tags, archive, year
    assert result.pages_rendered <= 7
    assert {p: p.stat().st_ino for p in numbered} == before
    assert tree(root / "site") == tree(build_clean(root, tmp_path / "clean"))


def test_a_preview_session_after_edits_equals_a_clean_build(tmp_path):
    """A session keeps listing digests from build to build (by article object): a retitled
    article must still change the listings that show it."""
    from broadsheet import config as config_module
    from broadsheet import pipeline

    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    config, _ = config_module.load(root)
    session = pipeline.Session(config)
    assert pipeline.build(config, session=session).ok
    edited = root / "content/articles/third-way.md"
    for title in ("The Fourth Way", "The Fifth Way"):
        edited.write_text(edited.read_text().replace("The Third Way", title).replace(
            "The Fourth Way", title))
        assert pipeline.build(config, session=session).ok
        assert tree(root / "site") == tree(build_clean(root, tmp_path / title))
        assert title in (root / "site/index.html").read_text()


def test_a_preview_session_takes_the_watchers_paths_instead_of_walking(tmp_path, monkeypatch):
    """Told which files changed, a session's build looks at those alone; a change the paths
    cannot describe (a new folder, a link) walks the folders again. Either way, the site is
    a clean build's."""
    from broadsheet import config as config_module
    from broadsheet import pipeline
    from broadsheet.read import sources

    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    config, _ = config_module.load(root)
    session = pipeline.Session(config)
    assert pipeline.build(config, session=session).ok
    walks = []
    original = sources.walk
    monkeypatch.setattr(sources, "walk", lambda *a: walks.append(a[0]) or original(*a))
    articles = root / "content/articles"
    edited = articles / "third-way.md"

    def step(paths: set[str], expect_walk: bool, n: int) -> None:
        walks.clear()
        session.changed(paths)
        assert pipeline.build(config, session=session).ok
        assert bool(walks) == expect_walk
        assert tree(root / "site") == tree(build_clean(root, tmp_path / f"clean{n}"))

    edited.write_text(edited.read_text().replace("The Third Way", "The Fourth Way"))
    step({"content/articles/third-way.md"}, False, 1)
    (articles / "fresh.md").write_text(article(0, "Fresh", ["maps"], "New words."))
    step({"content/articles/fresh.md"}, False, 2)
    (articles / "fresh.md").unlink()
    step({"content/articles/fresh.md"}, False, 3)
    (articles / "2030").mkdir()
    (articles / "2030/inner.md").write_text(article(0, "Inner", ["maps"], "Inner words."))
    step({"content/articles/2030", "content/articles/2030/inner.md"}, True, 4)
    (articles / "linked.md").symlink_to(edited)
    session.changed({"content/articles/linked.md"})
    assert not pipeline.build(config, session=session).ok  # the walk reports the link


def test_a_listing_can_show_only_what_its_fingerprint_hashes(tmp_path):
    """Listings see each article's `views.Card`, which is what their fingerprints hash: a
    theme showing another field (the word count) in the front page's entries is told so,
    where it would otherwise leave the page stale after an edit that changes only that."""
    root = make_repo(tmp_path, FIXTURES / "site")
    macros = root / "templates/_macros.html"
    macros.write_text(macros.read_text().replace(
        "{{ article.reading_minutes }} min read", "{{ article.words }} words"))
    result = build_repo(root)
    problems = [d.format() for d in result.diagnostics]
    assert not result.ok
    assert any(p.startswith("templates/_macros.html:") and "has no attribute 'words'" in p
               and "reading_minutes, photo" in p for p in problems), problems
    assert not (root / "site").exists()


def test_the_code_digest_covers_every_module_of_the_engine():
    """A build trusts the cache only while the engine's code is the same: all of it."""
    names = {name for name, _ in cache.code_files()}
    assert {"model.py", "pipeline.py", "render/pages.py", "render/views.py", "search/state.py",
            "read/markdown.py", "incremental/cache.py", "preview/serve.py"} <= names


def test_many_files_are_hashed_on_threads_with_the_same_digests_and_errors(tmp_path):
    """Photos are hashed on two threads from 64 files on (`inputs._file_digests`): each
    digest is the file's own, in the order asked, and a file that cannot be read is told."""
    from broadsheet.incremental import inputs
    from broadsheet.read import sources

    paths = []
    for n in range(80):
        path = tmp_path / f"photo-{n}.jpg"
        path.write_bytes(os.urandom(3000 + n))
        paths.append(str(path))
    paths.insert(40, str(tmp_path / "gone.jpg"))
    found = inputs._file_digests(paths)
    assert list(found) == paths
    assert isinstance(found.pop(str(tmp_path / "gone.jpg")), FileNotFoundError)
    assert found == {p: sources.file_digest(Path(p)) for p in found}


def test_related_articles_come_from_the_cache_while_every_articles_tags_stay(tmp_path,
                                                                            monkeypatch):
    """An edit that changes no tags takes the related articles' numbers from the cache (a
    tenth of a second at 10,000 articles), a new newest article updates them, a tag changed
    computes them again; and the site equals a clean build's."""
    from broadsheet import model

    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok
    computed = []
    compute = model.related_numbers.__wrapped__
    monkeypatch.setattr(model, "related_numbers",
                        lambda tags, limit: computed.append(tags) or compute(tags, limit))
    third = root / "content/articles/third-way.md"
    third.write_text(third.read_text() + "\nOne more line.\n")
    assert build_repo(root).ok and computed == []
    text = third.read_text()
    third.write_text(text.replace("tags: [", "tags: [Brand new, ", 1))
    assert build_repo(root).ok and len(computed) == 1
    (root / "content/articles/newest.md").write_text(  # updated from the last choice
        '---\ntitle: "Newest"\ndate: 2030-01-02\ntags: [libraries, Brand new]\n---\nNew.\n')
    assert build_repo(root).ok and len(computed) == 1
    reference = clean_copy(root, tmp_path / "clean")
    assert build_repo(reference).ok
    assert tree(root / "site") == tree(reference / "site")


def test_an_edit_no_listing_order_sees_is_built_from_a_few_rows_of_the_cache(tmp_path,
                                                                            monkeypatch):
    """A text edit (its card changed or not) renders the pages showing the article, without
    loading every record (`cache.load`) or planning the site; a kept page deleted from site/
    since is back after it (the new site is the spare brought up to date)."""
    from broadsheet.incremental import edits

    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    assert build_repo(root).ok
    (root / "site/tags/printing/index.html").unlink()
    path = root / "content/articles/third-way.md"
    for old, new, pages in (("It ends here.", "It ends here.\n\nA last line.", 1),
                            ("Third article", "The third article", 5)):
        path.write_text(path.read_text().replace(old, new))
        with _watching(edits, "prepare") as narrow, monkeypatch.context() as patched:
            patched.setattr(cache, "load", lambda *a: pytest.fail("loaded the whole cache"))
            result = build_repo(root)
        assert result.ok and narrow == [True]
        assert result.pages_rendered == pages  # (with the summary: its listings, neighbour)
        assert tree(root / "site") == tree(build_clean(root, tmp_path / f"clean{pages}"))


@pytest.mark.parametrize("change", [
    ("date: 2022-12-24", "date: 2022-12-25"),  # another place in every listing
    ("tags: [libraries]", "tags: [libraries, maps]"),  # other tag pages, related articles
    ("It ends here.", "It ends at [the first](first-light.md)."),  # a link to another page
    ("---\nThird", "draft: true\n---\nThird"),  # gone from the site
])
def test_an_edit_that_moves_an_article_is_the_full_builds(tmp_path, change):
    from broadsheet.incremental import edits

    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    assert build_repo(root).ok
    path = root / "content/articles/third-way.md"
    path.write_text(path.read_text().replace(*change, 1))
    with _watching(edits, "prepare") as narrow:
        assert build_repo(root).ok
    assert narrow == [False]
    assert tree(root / "site") == tree(build_clean(root, tmp_path / "clean"))


def test_a_date_moved_to_another_offset_is_the_same_moment_but_another_month(tmp_path):
    """Found by a red-team run: equal datetimes at two offsets fall in different months of
    the year page and on different days of the sitemap, so the edit path must not keep them."""
    edge = '---\ntitle: "Edge"\ndate: "2022-01-31T23:30:00-01:00"\ntags: [printing]\n---\nEdge.\n'
    root = make_repo(tmp_path / "repo", FIXTURES / "site", files={
        "content/articles/edge.md": edge,
        "broadsheet.yml": 'title: "Gazette"\nbase_url: "https://example.org/"\n'})
    assert build_repo(root).ok
    (root / "content/articles/edge.md").write_text(
        edge.replace("2022-01-31T23:30:00-01:00", "2022-02-01T00:30:00+00:00"))
    assert build_repo(root).ok
    assert tree(root / "site") == tree(build_clean(root, tmp_path / "clean"))
