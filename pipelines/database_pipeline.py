"""Item pipeline that stores captures and articles through the batching ArchiveStore."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.items import ArticleItem
from crawler.signals import capture_archived
from pipelines.db.engine import make_engine
from pipelines.db.runs import ensure_source
from pipelines.db.spool import Spool, spool_path
from pipelines.db.store import ArchiveStore

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from sqlalchemy import Engine


class DatabasePipeline:
    """Hands rows to a writer thread so no database call runs on the reactor thread."""

    def __init__(
        self,
        crawler: Crawler,
        url: str,
        *,
        source_id: int | None,
        run_id: int | None,
        batch_size: int,
        flush_interval: float,
        spool_dir: str,
        durability: dict[str, Any],
    ) -> None:
        self.crawler = crawler
        self.url = url
        self.source_id = source_id
        self.run_id = run_id
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.spool_dir = spool_dir
        self.durability = durability
        self.spool: Spool | None = None
        self.engine: Engine | None = None
        self.store: ArchiveStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.get("DB_URL"):
            raise NotConfigured("DB_URL is empty")
        pipeline = cls(
            crawler,
            settings["DB_URL"],
            source_id=settings.getint("DB_SOURCE_ID") or None,
            run_id=settings.getint("DB_RUN_ID") or None,
            batch_size=settings.getint("DB_BATCH_SIZE"),
            flush_interval=settings.getfloat("DB_FLUSH_INTERVAL"),
            spool_dir=settings.get("DB_SPOOL_DIR"),
            durability={
                "retry_delays": tuple(float(d) for d in settings.getlist("DB_RETRY_DELAYS")),
                "replay_interval": settings.getfloat("DB_REPLAY_INTERVAL"),
                "close_wait": settings.getfloat("DB_CLOSE_WAIT"),
            },
        )
        crawler.signals.connect(pipeline.capture_archived, signal=capture_archived)
        return pipeline

    async def open_spider(self) -> None:
        self.engine = make_engine(self.url)
        if self.source_id is None:  # started by `scrapy crawl`, not by the newshub runner
            source = self.crawler.spider.source  # type: ignore[union-attr]
            self.source_id = await asyncio.to_thread(ensure_source, self.engine, source)
        path = spool_path(self.spool_dir, self.source_id, self.run_id)
        self.spool = await asyncio.to_thread(Spool.take, path)
        if self.spool is None:
            raise RuntimeError(f"spool {path} is held by another process")
        self.store = ArchiveStore(
            self.engine,
            self.source_id,
            self.run_id,
            batch_size=self.batch_size,
            flush_interval=self.flush_interval,
            spool=self.spool,
            **self.durability,
        )
        self.store.start()

    def capture_archived(self, capture: dict[str, Any]) -> None:
        if self.store is not None:
            self.store.add_capture(capture)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem) and self.store is not None:
            self.store.add_article(item)
        return item

    async def close_spider(self) -> None:
        if self.store is None or self.engine is None:
            return
        await asyncio.to_thread(self.store.close)
        stats = self.crawler.stats
        assert stats is not None
        for name in ("new", "updated", "unchanged", "moved"):
            stats.set_value(f"newshub/articles_{name}", self.store.counts[name])
        stats.set_value("newshub/captures_stored", self.store.counts["captures"])
        stats.set_value("newshub/db_errors", list(self.store.errors))
        stats.set_value("newshub/db_rows_spooled", self.store.counts["spooled"])
        assert self.spool is not None
        if self.spool.pending:  # the next start replays them (pipelines.db.spool_replay)
            stats.set_value("newshub/db_spool_pending", self.spool.pending)
            stats.set_value("newshub/db_spool", str(self.spool.path))
            stats.set_value("newshub/db_unavailable", self.store.unavailable)
        self.spool.close()
        await asyncio.to_thread(self.engine.dispose)
