"""Every Scrapy and newshub setting, in one place, prefixed by the component that reads it.

The crawl runner layers per-source and command-line values over these defaults.
"""

BOT_NAME = "newshub"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Politeness (defaults are for real sites; `--concurrency/--delay` override them) ---
# Identify the crawler and give site owners a way to reach the operator.
USER_AGENT = "newshub/0.1 (+https://github.com/newshub/newshub; web archiving crawler)"
# Obey robots.txt: an archive that ignores it is not welcome on real sites.
ROBOTSTXT_OBEY = True
# A few requests at a time per site.
CONCURRENT_REQUESTS = 16
# At most this many requests in flight to one domain.
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Seconds between requests to one domain (randomized 0.5x-1.5x).
DOWNLOAD_DELAY = 0.5
# Adapt the delay to the server's latency.
AUTOTHROTTLE_ENABLED = True
# Start AutoThrottle at this delay (seconds).
AUTOTHROTTLE_START_DELAY = 1.0
# Never wait longer than this between requests (seconds).
AUTOTHROTTLE_MAX_DELAY = 30.0
# Requests AutoThrottle aims to have in flight per domain.
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# Give up on a request after this many seconds.
DOWNLOAD_TIMEOUT = 30
# Retry transient failures this many times.
RETRY_TIMES = 2
# Refuse responses larger than this (bytes); archives should not fill up with videos.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
# Only ask for encodings that replay tools decode (no brotli, no zstd).
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    "Accept-Encoding": "gzip, deflate",
}
# Cookies are kept per crawl so consent walls and sessions behave as in a browser.
COOKIES_ENABLED = True
# Scrapy's HTTP cache would hide what the server sent; archives must not read from it.
HTTPCACHE_ENABLED = False
# Breadth-first order: listings first, so discovery beats deep pagination.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# Twisted's asyncio reactor, so pipelines can hand blocking work to threads with asyncio.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Scrapy log level; `newshub crawl` writes the log to <data>/logs/SOURCE-RUN.log unless -v.
LOG_LEVEL = "INFO"
# Stable request fingerprints across Scrapy versions.
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

DOWNLOADER_MIDDLEWARES = {
    # Writes every exchange to WARC before decompression (590) and redirects (600) touch it.
    "crawler.middlewares.warc.WarcCaptureMiddleware": 950,
}
ITEM_PIPELINES = {
    "pipelines.database.DatabasePipeline": 800,
}
EXTENSIONS = {
    "crawler.extensions.progress.ProgressLine": 500,
}

# --- WARC capture (crawler.middlewares.warc, pipelines.warc) ---
# Write WARC files at all.
WARC_ENABLED = True
# Folder the WARC files go to; the runner sets it to <data dir>/warcs.
WARC_DIR = "data/warcs"
# File name prefix; the runner sets it to the source name.
WARC_PREFIX = "newshub"
# Start a new file once the current one reaches this size (bytes).
WARC_MAX_SIZE = 1_000_000_000
# zlib level of each record's gzip member (warcio's 9 costs 2x the time for ~1% size).
WARC_COMPRESS_LEVEL = 6
# Operator named in each file's warcinfo record.
WARC_OPERATOR = ""
# Identifier of this crawl run, written to warcinfo and to crawl_runs.
WARC_RUN_ID = ""

# --- Database (pipelines.database, pipelines.store) ---
# SQLAlchemy URL; the runner sets it from NEWSHUB_DATABASE_URL or the data dir.
DB_URL = "sqlite:///data/newshub.db"
# Write to the database after this many buffered rows...
DB_BATCH_SIZE = 100
# ...or after this many seconds, whichever comes first.
DB_FLUSH_INTERVAL = 2.0
# Row id of the crawled source; the runner sets it (empty: looked up by the source's name).
DB_SOURCE_ID = 0
# Row id of this run in crawl_runs; the runner sets it (empty: captures carry no run).
DB_RUN_ID = 0

# --- Hub spider (crawler.spiders.hub) ---
# Stop after this many articles (0: no limit).
HUB_MAX_ARTICLES = 0
# Follow listing pagination up to this many pages per listing (0: no limit).
HUB_MAX_LISTING_PAGES = 50
# Query parameters stripped from every URL before it is requested or stored.
HUB_TRACKING_PARAMS = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "utm_id",
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "igshid",
    "ref",
    "amp",
]

# --- Progress line (crawler.extensions.progress) ---
# Print a live progress line on stderr when it is a terminal.
PROGRESS_ENABLED = True
# Seconds between progress updates.
PROGRESS_INTERVAL = 1.0
