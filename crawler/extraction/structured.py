"""Structured data a page declares about itself: JSON-LD, OpenGraph/meta tags and microdata.

Hubs run SEO plugins (Yoast, Rank Math, JNews/tagDiv built-ins) whose JSON-LD is the most
reliable source of dates and authors, but it is often broken (trailing commas, HTML entities,
raw newlines), so parsing is tolerant and failures only become problems.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .dom import norm

_MAX_JSONLD = 2 * 1024 * 1024
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_ARTICLE_TYPES = re.compile(r"(?:Article|Posting|Report|NewsArticle)$")


@dataclass
class Structured:
    """What the page says about itself, before any visible-text heuristics."""

    article: dict[str, Any] = field(default_factory=dict)  # the JSON-LD Article-like node
    webpage: dict[str, Any] = field(default_factory=dict)  # the JSON-LD WebPage node
    nodes: list[dict[str, Any]] = field(default_factory=list)  # every JSON-LD node, flattened
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, list[str]] = field(default_factory=dict)  # meta name/property -> contents
    site_names: list[str] = field(default_factory=list)

    def first_meta(self, *names: str) -> str:
        """The first non-empty content among meta names/properties, in the order given."""
        for name in names:
            for value in self.meta.get(name, ()):
                value = norm(value)
                if value:
                    return value
        return ""

    def resolve(self, value: Any) -> Any:
        """Follow a JSON-LD {"@id": ...} reference into the @graph."""
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and "@id" in value:
            return self.by_id.get(str(value["@id"]), value)
        return value


def _types(node: dict[str, Any]) -> list[str]:
    kind = node.get("@type", [])
    return [str(k) for k in (kind if isinstance(kind, list) else [kind])]


def _loads(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith("<!--"):
        raw = raw.removeprefix("<!--").removesuffix("-->")
    raw = raw.replace("<![CDATA[", "").replace("]]>", "").strip().rstrip(";")
    try:
        return json.loads(raw, strict=False)
    except ValueError:
        return json.loads(_TRAILING_COMMA.sub(r"\1", raw), strict=False)


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    """Every dict node in a JSON-LD document, iteratively (documents can be hostile)."""
    stack = [data]
    seen = 0
    while stack and seen < 5000:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            seen += 1
            yield item
            graph = item.get("@graph")
            if isinstance(graph, list | dict):
                stack.append(graph)
            for key in ("mainEntity", "mainEntityOfPage", "itemListElement"):
                child = item.get(key)
                if isinstance(child, list | dict):
                    stack.append(child)


def text_value(value: Any) -> str:
    """A JSON-LD value as clean text: strings unescaped, lists joined, @value/name unwrapped."""
    if isinstance(value, dict):
        value = value.get("@value", value.get("name", ""))
    if isinstance(value, list):
        return ", ".join(filter(None, (text_value(v) for v in value)))
    if not isinstance(value, str | int | float):
        return ""
    text = str(value)
    if "&" in text:
        text = htmllib.unescape(text)
    if "<" in text:
        text = re.sub(r"<[^>]{0,200}>", " ", text)
    return norm(text)


def read(root: etree._Element, problems: list[str]) -> Structured:
    """Collect JSON-LD nodes, meta tags and site names from a parsed page."""
    out = Structured()
    scripts = [
        s
        for s in root.iter("script")
        if (s.get("type") or "").strip().lower() == "application/ld+json"
    ]
    for script in scripts:
        raw = script.text or ""
        if not raw.strip():
            continue
        if len(raw) > _MAX_JSONLD:
            problems.append("JSON-LD block too large; skipped")
            continue
        try:
            data = _loads(raw)
        except (ValueError, RecursionError):
            problems.append("invalid JSON-LD ignored")
            continue
        for node in _walk(data):
            out.nodes.append(node)
            if isinstance(node.get("@id"), str) and len(node) > 1:
                out.by_id.setdefault(node["@id"], node)
    for node in out.nodes:
        kinds = _types(node)
        if not out.article and any(_ARTICLE_TYPES.search(k) for k in kinds):
            out.article = node
        elif not out.webpage and any(k.endswith("WebPage") for k in kinds):
            out.webpage = node
    for meta in root.iter("meta"):
        if meta.get("content") is None:
            continue
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        if key:
            out.meta.setdefault(key.strip().lower(), []).append(meta.get("content") or "")
    out.site_names = _site_names(out)
    return out


def _site_names(data: Structured) -> list[str]:
    names = [data.first_meta("og:site_name"), data.first_meta("application-name")]
    publisher = data.resolve(data.article.get("publisher"))
    if isinstance(publisher, dict):
        names.append(text_value(publisher.get("name")))
    for node in data.nodes:
        if {"WebSite", "Organization", "NewsMediaOrganization"} & set(_types(node)):
            names.append(text_value(node.get("name")))
            names.append(text_value(node.get("alternateName")))
    seen: list[str] = []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return seen
