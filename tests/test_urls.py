"""URL and slug rules."""

import pytest

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
