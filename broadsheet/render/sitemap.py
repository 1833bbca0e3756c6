"""`sitemap.xml` and `robots.txt`, written only when the site's public URL is known.

A sitemap must list absolute URLs, so without `base_url` there is none (and no robots.txt
pointing at it). Articles carry their last change as `lastmod`; listings do not, since a
date made up at build time would make every build differ.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .. import urls
from ..model import Site
from .feeds import xml_bytes
from .pages import Page

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
LEFT_OUT = {"404.html", "search/index.html"}


def build_files(site: Site, planned: list[Page]) -> dict[str, bytes]:
    base = site.config.base_url
    if not base.startswith(("http://", "https://")):
        return {}
    modified = {
        a.path: (max(a.date, a.updated) if a.updated else a.date).date().isoformat()
        for a in site.articles
    }
    root = ET.Element("urlset", xmlns=NS)
    for page in sorted(planned, key=lambda p: p.path):
        if page.path in LEFT_OUT:
            continue
        entry = ET.SubElement(root, "url")
        ET.SubElement(entry, "loc").text = urls.absolute(base, page.path)
        if page.path in modified:
            ET.SubElement(entry, "lastmod").text = modified[page.path]
    sitemap = xml_bytes(root)
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {urls.absolute(base, urls.sitemap())}\n"
    return {urls.sitemap(): sitemap, urls.robots(): robots.encode()}
