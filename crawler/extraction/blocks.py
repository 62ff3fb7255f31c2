"""Text blocks of a body and the filters that drop hub boilerplate from them.

Class names catch most boilerplate before it becomes text (see `body`); these filters catch
what hubs put in plain paragraphs: agency end markers, credit lines, captcha labels, "Read
also:" links, the category label, ad labels.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .dom import norm, text_of

logger = logging.getLogger(__name__)

_DROP_EXACT = frozenset(
    """advertisement|advertisment|advertising|ads|ad|sponsored|sponsored content
    |scroll to continue with content|leave a reply|leave a comment|leave a reply cancel reply
    |post a comment|add comment|back to top button|back to top|go to top|share this|share
    |share on|share this article|share this post|share on facebook|share on twitter|like this
    |loading|related|related posts|related articles|related news|related stories|read more
    |read also|also read|see also|you may also like|you might also like|more news|tags|tag
    |print|email|follow us|continue reading|comments|no comments|cancel reply|captcha"""
    .replace("\n", "").replace("    ", "").split("|")
)  # fmt: skip
_END_MARKER = re.compile(
    r"^(?:end\s+of\s+(?:the\s+)?(?:message|news|report|article|text)|انتهای\s+(?:پیام|خبر)"
    r"|/?\s*end\s*/?|\(end\)|-+\s*end\s*-+|ends)\s*[./]?$",
    re.I,
)
_DROP_PREFIX = re.compile(
    r"^(?:your email address will not be published|required fields are marked"
    r"|save my name, email|you must be logged in to post|this site uses akismet"
    r"|notify me of (?:follow-up|new posts)|all rights reserved|click to share on"
    r"|(?:©|copyright\b).{0,120}$)",
    re.I,
)
_CAPTCHA = re.compile(r"^[\w ]{1,25}[+\-−×x*÷][\w ]{1,25}=\s*\??$", re.I)
_LABEL = re.compile(r"^[–—-]\s*\S")
_READ_ALSO = re.compile(
    r"^(?:read\s+also|also\s+read|read\s+more|see\s+also|related|recommended|more\s+on\s+this"
    r"|don'?t\s+miss|you\s+may\s+also\s+like)\s*[:：-]",
    re.I,
)


@dataclass
class Block:
    """One paragraph or heading as walked, with how much of it is link text."""

    text: str
    tag: str
    link_chars: int = 0
    links: list[str] = field(default_factory=list)

    @property
    def link_density(self) -> float:
        return self.link_chars / max(1, len(self.text))


def _key(text: str) -> str:
    return norm(text).casefold().strip(" :.!/|-–—•»«*")


def is_boilerplate_text(text: str) -> bool:
    """Lines hubs add around every article: ads, comment form, captcha, share prompts."""
    key = _key(text)
    if not key or key in _DROP_EXACT:
        return True
    return len(key) < 200 and bool(_DROP_PREFIX.match(key) or _CAPTCHA.match(key))


def is_end_marker(text: str) -> bool:
    """Agency end-of-copy markers ("end of message/", "/end", "انتهای پیام/")."""
    return len(text) < 40 and bool(_END_MARKER.match(norm(text)))


def clean_blocks(
    blocks: list[Block],
    *,
    title: str | None,
    category: str | None,
    is_credit: Callable[[str], object],
) -> tuple[list[str], list[str], list[Block]]:
    """(body blocks, links of dropped related-headline blocks, credit blocks seen)."""
    kept: list[Block] = []
    related: list[str] = []
    credits: list[Block] = []
    title_key = _key(title or "")
    category_key = _key(category or "")
    for block in blocks:
        text = block.text
        key = _key(text)
        if is_end_marker(text):
            if kept:
                break
            continue
        if is_boilerplate_text(text):
            continue
        if is_credit(text):
            credits.append(block)
            continue
        if title_key and key == title_key and len(kept) < 3:
            continue
        words = len(text.split())
        if category_key and (key == category_key or key == f"{category_key} news"):
            continue
        if _LABEL.match(text) and words <= 6:
            continue
        if block.links and words <= 30 and (block.link_density >= 0.85 or _READ_ALSO.match(text)):
            related.extend(block.links)
            continue
        if kept and kept[-1].text == text:
            continue
        kept.append(block)
    return [b.text for b in kept], related, credits


def trafilatura_blocks(page: str, url: str) -> list[str]:
    """Paragraph and heading texts from trafilatura's tree (the fallback path).

    trafilatura is a hard dependency, imported outside the guard: a broken install fails
    loudly. Only its work on a hostile page may fail, which is logged and costs the fallback.
    """
    from trafilatura import bare_extraction

    try:
        doc = bare_extraction(
            page, url=url, include_comments=False, include_tables=True, with_metadata=False
        )
    except Exception as exc:  # trafilatura on a hostile page: no fallback body, said why
        logger.warning("trafilatura failed on %s: %s: %s", url, type(exc).__name__, exc)
        return []
    body = getattr(doc, "body", None)
    if body is None:
        return []
    blocks: list[str] = []
    for el in body.iter("p", "head", "item", "quote", "row", "cell"):
        if el.tag == "cell" or (el.tag == "quote" and len(el)):
            continue
        text = norm(text_of(el) if el.tag != "row" else " ".join(el.itertext()))
        if text:
            blocks.append(text)
    return blocks
