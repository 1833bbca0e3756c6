"""URL and slug rules."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet import urls


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("New York", "new-york"),
        ("São Paulo", "sao-paulo"),
        ("Москва", "москва"),
        ("東京", "東京"),
        ("  Rock & Roll!  ", "rock-roll"),
        ("The Mapmakers’ Blank Spaces", "the-mapmakers-blank-spaces"),
        ("C++_and__more", "c-and-more"),
        ("Œuvre", "œuvre"),
    ],
)
def test_slugify(text, slug):
    assert urls.slugify(text) == slug


@pytest.mark.parametrize(
    ("frm", "to", "link"),
    [
        ("index.html", "2019/a/index.html", "2019/a/index.html"),
        ("2019/a/index.html", "index.html", "../../index.html"),
        ("2019/a/index.html", "2019/a/photo.jpg", "photo.jpg"),
        ("tags/x/page/2/index.html", "static/style.css", "../../../../static/style.css"),
        ("2019/a/index.html", "2019/b/index.html#top", "../b/index.html#top"),
    ],
)
def test_relative_links_always_name_the_file(frm, to, link):
    assert urls.relative(frm, to) == link


def test_absolute_drops_index_html():
    assert urls.absolute("https://x.org/archive/", "2019/a/index.html") == (
        "https://x.org/archive/2019/a/"
    )
    assert urls.absolute("https://x.org/archive", "index.html") == "https://x.org/archive/"


def test_permalinks_include_the_year():
    assert urls.article(2019, "a-slug") == "2019/a-slug/index.html"
    assert urls.tag("x", 2) == "tags/x/page/2/index.html"
    assert urls.home(3) == "page/3/index.html"


def test_relative_agrees_with_posixpath_relpath():
    import posixpath

    paths = ["index.html", "a/index.html", "a/b/index.html", "a/b/c.jpg", "a/c/index.html",
             "b/index.html", "tags/x/page/2/index.html", "static/style.css", "a/bc/index.html"]
    for frm in paths:
        for to in paths:
            expected = posixpath.relpath(to, posixpath.dirname(frm) or ".")
            assert urls.relative(frm, to) == expected, (frm, to)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.integers(1, 7))
def test_pages_are_numbered_from_the_oldest_and_a_new_item_moves_only_the_first(n, per_page):
    from broadsheet.render.pages import paginate

    def path(k: int) -> str:
        return urls.home(k)

    items = tuple(range(n, 0, -1))  # newest first
    pagers = paginate(items, per_page, path)
    assert sum((p.items for p in pagers), ()) == items
    first, rest = pagers[0], pagers[1:]
    assert first.path == "index.html" and first.previous is None and first.total == n
    assert len(first.items) == n if n < per_page else per_page <= len(first.items) < 2 * per_page
    assert all(len(p.items) == per_page for p in rest)
    assert [p.number for p in rest] == list(range(len(rest), 0, -1))
    walked, at = [], first  # "older" from the first page visits every page once
    by_path = {p.path: p for p in pagers}
    while at:
        walked.append(at.path)
        at = by_path.get(at.next) if at.next else None
    assert walked == [p.path for p in pagers]
    assert all(by_path[p.previous].next == p.path for p in rest)
    grown = {p.path: p for p in paginate((n + 1, *items), per_page, path)}
    changed = [p for p in pagers[1:] if grown.get(p.path) != p]
    assert len(changed) <= 1  # the newest numbered page, when the first page spills over
