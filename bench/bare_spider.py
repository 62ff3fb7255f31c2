"""The baseline: a bare Scrapy link-following crawl of the same site, no pipelines, no WARC.

Run by bench/crawl.py in its own process: python bench/bare_spider.py URL CONCURRENCY
bench/throughput.py adds `paths`: links lose their query string, so each distinct path is
visited once (its static hub serves the same file for any query, as the newshub crawl knows).
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor


class BareSpider(Spider):
    name = "bare"

    def __init__(self, url: str, paths: bool = False, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.start_urls = [url]
        self.allowed_domains = [urlsplit(url).hostname or ""]
        # Offsite filtering is OffsiteMiddleware's job (LinkExtractor's domain check sees ports).
        self.links = LinkExtractor(process_value=_path_only if paths else None)
        # Distinct article URLs (without query strings): what the crawl actually found.
        self.articles: set[str] = set()

    def parse(self, response):  # type: ignore[no-untyped-def]
        if "/20" in response.url:  # dated permalinks are articles on the demo hub
            self.articles.add(response.url.split("?")[0])
            yield {"url": response.url}
        for link in self.links.extract_links(response):
            yield response.follow(link.url)


def _path_only(url: str) -> str:
    return url.split("?")[0]


def main() -> None:
    url, concurrency = sys.argv[1], int(sys.argv[2])
    paths = sys.argv[3:] == ["paths"]
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "ROBOTSTXT_OBEY": True,
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, url=url, paths=paths)
    process.start()
    stats = crawler.stats.get_stats()  # type: ignore[union-attr]
    print(stats.get("downloader/response_count", 0), len(crawler.spider.articles))  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
