"""newshub's Scrapy add-on: enables its components, each at the place it needs in Scrapy's chains.

``ADDONS`` in crawler/settings.py turns it on for `newshub crawl` and for `scrapy crawl hub`;
any Scrapy project can list it too. The settings newshub's components read (WARC_*, DB_*,
REQUISITES_*, ...) are written once, in crawler/settings.py, and read there without fallbacks;
the add-on sets them at Scrapy's "addon" priority, so a project or a spider that enables it
gets them, and anything the project, spider or command line says wins. Each component switches
itself off with NotConfigured when its setting says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware

from crawler import settings as newshub_settings
from crawler.extensions.heap_trim import HeapTrimmer
from crawler.extensions.progress import ProgressLine
from crawler.extensions.rechecks import UnlinkedRechecks
from crawler.extensions.storage import StorageGuard
from crawler.middlewares.caps import CrawlCaps
from crawler.middlewares.conditional import ConditionalRequestMiddleware
from crawler.middlewares.incremental import IncrementalMiddleware
from crawler.middlewares.offsite import HomeOffsiteMiddleware
from crawler.middlewares.removals import RemovalsMiddleware
from crawler.middlewares.repeats import RepeatedLinksMiddleware
from crawler.middlewares.requisites import RequisitesMiddleware
from crawler.middlewares.warc import WarcCaptureMiddleware
from pipelines.database_pipeline import DatabasePipeline

if TYPE_CHECKING:
    from scrapy.settings import Settings

DOWNLOADER_MIDDLEWARES = {
    # Writes every exchange to WARC before decompression (590) and redirects (600) touch it.
    WarcCaptureMiddleware: 950,
    # Conditional GETs for archived articles; after DownloaderStats (850) counts a 304.
    ConditionalRequestMiddleware: 800,
    # Sees archived articles' 404/410 and redirects home before a 304 ends the request.
    RemovalsMiddleware: 810,
}
SPIDER_MIDDLEWARES = {
    # Drops requests for URLs already sent on; last on the spider's output, after Incremental.
    RepeatedLinksMiddleware: 90,
    # Holds back links to archived, unchanged articles before the duplicate filter sees them.
    IncrementalMiddleware: 100,
    # Asks for the stylesheets, scripts, images and fonts archived pages need to replay; above
    # DepthMiddleware (900), so its requests pass Depth, Referer and the off-site filter.
    RequisitesMiddleware: 950,
    # Caps what one page or sitemap can make the crawl request (next to the spider's output).
    CrawlCaps: 960,
}
ITEM_PIPELINES = {DatabasePipeline: 800}
EXTENSIONS = {
    ProgressLine: 500,
    # Stops the run before the disk is full, and at once when a WARC write fails.
    StorageGuard: 510,
    # Rechecks archived articles no page linked to, when the crawl runs out of links.
    UnlinkedRechecks: 520,
    # Gives the heap's free pages back to the system as the crawl goes on.
    HeapTrimmer: 530,
}
# The settings of newshub's own components, by prefix (the others in crawler/settings.py are
# Scrapy's, or the scheduler daemon's, and stay the project's business).
COMPONENT_SETTINGS = (
    "WARC_",
    "DB_",
    "REQUISITES_",
    "CONDITIONAL_",
    "REMOVALS_",
    "INCREMENTAL_",
    "HUB_",
    "PROGRESS_",
    "FRONTIER_",
    "CAPS_",
    "STORAGE_",
    "HEAP_",
)


class NewshubAddon:
    """Registers newshub's middlewares, pipeline and extension; Scrapy's off-site filter becomes
    HomeOffsiteMiddleware (same host, scheme and port as the source's home)."""

    def update_settings(self, settings: Settings) -> None:
        for name, value in vars(newshub_settings).items():
            if name.startswith(COMPONENT_SETTINGS):
                settings.set(name, value, priority="addon")
        for name, components in (
            ("DOWNLOADER_MIDDLEWARES", DOWNLOADER_MIDDLEWARES),
            ("SPIDER_MIDDLEWARES", SPIDER_MIDDLEWARES),
            ("ITEM_PIPELINES", ITEM_PIPELINES),
            ("EXTENSIONS", EXTENSIONS),
        ):
            for component, priority in components.items():
                settings.setdefault_in_component_priority_dict(name, component, priority)
        settings.replace_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES_BASE", OffsiteMiddleware, HomeOffsiteMiddleware
        )
