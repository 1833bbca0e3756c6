"""Atom feeds (RFC 4287): the newest articles of the archive, and of each tag.

Built with ElementTree, so every value is escaped, and written by `xml_bytes`, which drops
the characters XML 1.0 cannot hold: the XML is well-formed whatever an article holds. Each
entry carries the full article with its lead photo and credit; its `xml:base` is the
article's own address, so the relative links inside the content resolve in feed readers.
With `base_url` set, links and ids are absolute; without it, links are relative to the feed
and ids are stable URNs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime

from .. import urls
from ..config import Config
from ..model import Article, Site

ATOM = "http://www.w3.org/2005/Atom"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
ENTRIES = 20
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ET.register_namespace("", ATOM)


@dataclass(frozen=True)
class Feed:
    """One Atom feed: the site's, or a tag's, of its newest articles."""

    path: str
    title: str
    page: str  # the HTML page it is the feed of
    articles: tuple[Article, ...]


def plan(site: Site) -> list[Feed]:
    """Every feed of the site."""
    config = site.config
    feeds = [Feed(urls.feed(), config.title, urls.home(), site.articles[:ENTRIES])]
    feeds += [Feed(urls.feed(tag.slug), f"{config.title}: {tag.name}", tag.path,
                   tag.articles[:ENTRIES]) for tag in site.tags]
    return feeds


def build_files(config: Config, feeds: list[Feed]) -> dict[str, bytes]:
    """Site path -> bytes of each feed."""
    return {f.path: atom(config, f.path, f.title, f.page, f.articles) for f in feeds}


def atom(config: Config, path: str, title: str, page: str, articles: tuple[Article, ...]) -> bytes:
    def link(target: str) -> str:
        return urls.absolute(config.base_url, target) if _absolute(config) else urls.relative(
            path, target)

    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", _id(config, path))
    _text(feed, "title", title)
    _text(feed, "subtitle", config.description)
    _text(feed, "updated", _stamp(max((_updated(a) for a in articles), default=None)))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=link(path),
                  type="application/atom+xml")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=link(page), type="text/html")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", config.title)
    _text(feed, "generator", "Broadsheet")
    for article in articles:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry", {XML_BASE: link(article.path)})
        _text(entry, "id", _id(config, article.path))
        _text(entry, "title", article.title)
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=link(article.path),
                      type="text/html")
        _text(entry, "published", _stamp(article.date))
        _text(entry, "updated", _stamp(_updated(article)))
        for name in article.authors or (config.title,):
            _text(ET.SubElement(entry, f"{{{ATOM}}}author"), "name", name)
        for tag in article.tags:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=tag.slug, label=tag.name)
        _text(entry, "summary", article.summary)
        content = _text(entry, "content", _content(article))
        content.set("type", "html")
    return xml_bytes(feed)


def xml_bytes(root: ET.Element) -> bytes:
    """The document as UTF-8, without any character XML 1.0 forbids. The YAML reader refuses
    them, but one that reaches a feed another way (a form feed in a body) must cost a
    character, not the whole feed: ElementTree writes them as they are, and a reader stops
    at the first."""
    ET.indent(root)
    text = NOT_XML.sub("", ET.tostring(root, encoding="unicode"))
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + text.encode("utf-8") + b"\n"


def _content(article: Article) -> str:
    """The article body led by its photo, caption and credit (links relative to the article)."""
    html = ""
    if article.photo:
        name = urls.relative(article.path, article.photo_path)
        html = f'<figure><img src="{_attr(name)}" alt="{_attr(article.photo.alt)}">'
        caption = article.photo.caption + (f" ({article.photo.credit})" if article.photo.credit
                                           else "")
        html += f"<figcaption>{_escape(caption.strip())}</figcaption></figure>\n"
    if article.origin and article.origin.url:
        html += (f'<p>First published in <a href="{_attr(article.origin.url)}">'
                 f"{_escape(article.origin.name)}</a>.</p>\n")
    return html + article.html


def _updated(article: Article) -> datetime:
    return max(article.date, article.updated) if article.updated else article.date


def _stamp(value: datetime | None) -> str:
    return value.isoformat() if value else "1970-01-01T00:00:00+00:00"


def _absolute(config: Config) -> bool:
    return config.base_url.startswith(("http://", "https://"))


def _id(config: Config, path: str) -> str:
    if _absolute(config):
        return urls.absolute(config.base_url, path)
    return "urn:broadsheet:" + path.removesuffix("index.html").rstrip("/")


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = text
    return element


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return _escape(text).replace('"', "&quot;")
