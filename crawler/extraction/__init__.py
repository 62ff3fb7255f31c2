"""Article extraction for news-hub pages: `extract(html, url) -> Article`.

The rule-based path (structured data plus known WordPress theme containers) is primary because
it is fast and precise on hubs; trafilatura is the fallback for unknown layouts.
"""

from .article import Article
from .core import EXTRACTOR_VERSION, extract
from .rules import SiteRules

__all__ = ["EXTRACTOR_VERSION", "Article", "SiteRules", "extract"]
