"""Every Scrapy and newshub setting, in one place, prefixed by the component that reads it.

This module is the one place newshub's defaults are written: components read their settings
without fallbacks (`settings.getint("WARC_MAX_SIZE")`). The add-on (crawler.addon, enabled by
ADDONS below) registers the components and brings their settings from here to any crawler it
is enabled in. The crawl runner layers per-source and command-line values over these defaults.
"""

from scrapy.settings import default_settings as _scrapy_defaults

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
# Items and requests one response's output is processed with at a time. Scrapy's default (100)
# starts 100 asyncio tasks per response; newshub's pipeline only queues rows, so 1 loses nothing.
CONCURRENT_ITEMS = 1
# Bytes of responses the spider may hold at once before downloads wait (Scrapy's default is
# 5 MB): pages wait there for the extraction worker, and more waiting pages only cost memory.
# 250 KB is about 18 demo-hub pages; once the requisites cap is reached articles come back to
# back and 1 MB (75 pages) held 4 MiB more at 10,000 articles, for no gain in speed.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 250_000
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
# Breadth-first order: listings first, so discovery beats deep pagination (Scrapy's default
# memory queue is LIFO; newshub sets no JOBDIR, so no disk queue is ever used). The FIFO queue
# keeps plain requests as compact tuples (crawler.compact_queue): a sitemap's thousands of
# waiting requests cost about 0.5 KB each instead of 1.6 KB or more.
DEPTH_PRIORITY = 1
SCHEDULER_MEMORY_QUEUE = "crawler.compact_queue.CompactFifoMemoryQueue"
# Waiting requests a queue of one priority keeps in memory; newer ones wait in a temporary
# file in lists of 1,000 until these run out (0: all in memory; crawler.compact_queue).
SCHEDULER_QUEUE_IN_MEMORY = 2000
# Seen requests at 8 bytes each rather than about 100 (crawler.dupefilter).
DUPEFILTER_CLASS = "crawler.dupefilter.CompactDupeFilter"
# Twisted's asyncio reactor, so pipelines can hand blocking work to threads with asyncio.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Scrapy's telnet console and remote control are debugging doors a scheduled crawler does not
# open. Scrapy imports every listed extension even when switched off (Twisted's conch, aiohttp:
# 0.25 s of CPU per crawl), so they leave the base list; a project that wants one adds it to
# EXTENSIONS.
TELNETCONSOLE_ENABLED = False
EXTENSIONS_BASE = {
    path: order
    for path, order in _scrapy_defaults.EXTENSIONS_BASE.items()
    if path.rpartition(".")[2] not in ("TelnetConsole", "RemoteControl")
}
# Scrapy's in-memory stats, without the deprecation shim that made each stat cost a raised
# AttributeError (crawler.stats).
STATS_CLASS = "crawler.stats.CrawlStats"
# Scrapy log level; `newshub crawl` writes the log to <data>/logs/SOURCE-RUN.log unless -v.
LOG_LEVEL = "INFO"

# newshub's components (crawler.addon): WARC capture, conditional GETs, incremental recrawls,
# page requisites, the off-site filter by host, scheme and port, crawl caps, the database
# pipeline, the storage guard and the progress line. Each switches itself off by its setting
# below (*_ENABLED, or an empty DB_URL).
ADDONS = {"crawler.addon.NewshubAddon": 0}

# --- WARC capture (crawler.middlewares.warc, pipelines.warc.writer) ---
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
# Write a payload the source already has archived as a `revisit` record (pipelines.warc.dedup).
WARC_DEDUP_ENABLED = True
# Smaller payloads are always stored in full (a revisit record costs about as much).
WARC_DEDUP_MIN_SIZE = 256
# Digests of earlier crawls kept in memory (newest first); older duplicates are stored again.
WARC_DEDUP_MAX_ENTRIES = 200_000

# --- Disk space (crawler.extensions.storage) ---
# Stop the crawl (run `failed`, reason disk_full) when the WARC folder's disk has less free.
STORAGE_MIN_FREE = 100 * 1024 * 1024
# Seconds between free-space checks.
STORAGE_CHECK_INTERVAL = 1.0

# --- Page requisites (crawler.middlewares.requisites) ---
# Fetch the stylesheets, scripts, images and fonts that archived pages reference.
REQUISITES_ENABLED = True
# Page kinds whose requisites are fetched: "article", "listing".
REQUISITES_PAGE_KINDS = ["article"]
# At most this many requisites from one page or stylesheet.
REQUISITES_MAX_PER_PAGE = 100
# At most this many distinct requisites per run (0: no limit).
REQUISITES_MAX_TOTAL = 5000
# Also fetch the og:image / twitter:image a page announces (not needed to render it).
REQUISITES_SOCIAL_IMAGES = False
# Scheduler priority: fetched right after their page, like a browser would.
REQUISITES_PRIORITY = 30
# Don't refetch a requisite an earlier run archived within this many days (0: always refetch).
REQUISITES_REFRESH_DAYS = 30

# --- Database (pipelines.database_pipeline, pipelines.db.store) ---
# SQLAlchemy URL; the runner sets it from NEWSHUB_DATABASE_URL or the data dir.
DB_URL = "sqlite:///data/newshub.db"
# Write to the database after this many buffered rows (captures and articles)... Writer-thread
# CPU for the rows of a 10,000-article crawl (pipelines.db.article_batch), 100 -> 1,000:
# SQLite 4.8 -> 3.3 s, PostgreSQL 4.0 -> 3.3 s; no gain beyond. 250: rows wait while a batch
# is written, so 1,000 held up to two batches of articles (10,000 articles: crawl process peak
# 152 MiB at 1,000, 144 at 250, whole crawl's CPU the same within the machine's noise).
DB_BATCH_SIZE = 250
# ...or after this many seconds, whichever comes first.
DB_FLUSH_INTERVAL = 2.0
# Row id of the crawled source; the runner sets it (empty: looked up by the source's name).
DB_SOURCE_ID = 0
# Row id of this run in crawl_runs; the runner sets it (empty: captures carry no run).
DB_RUN_ID = 0
# Rows the database cannot take (outage) are appended here, fsync-ed, and replayed when it is
# back, at the end of the run or at the next crawl's start; the runner sets <data dir>/spool.
DB_SPOOL_DIR = "data/spool"
# Retry a refused batch after these pauses (seconds) before spooling it; the crawl never waits.
DB_RETRY_DELAYS = [0.5, 1.0, 2.0]
# While rows are spooled, try to replay them this often (seconds).
DB_REPLAY_INTERVAL = 5.0
# At the end of a run, keep trying to replay the spool this long (seconds) before giving up.
DB_CLOSE_WAIT = 30.0

# --- Incremental recrawls (middlewares.conditional and .incremental; crawler.recrawl_policy) ---
# Send archived articles' ETag / Last-Modified back; a 304 only bumps last_seen.
CONDITIONAL_ENABLED = True
# Skip archived articles whose sitemap/feed date is not newer than their last_seen.
INCREMENTAL_ENABLED = True
# Articles published within this many days are rechecked for corrections...
INCREMENTAL_RECHECK_DAYS = 3
# ...at most once per this many seconds.
INCREMENTAL_RECHECK_INTERVAL = 3600
# Older articles are rechecked after about this many days unseen (spread per URL).
INCREMENTAL_RECHECK_OLD_DAYS = 30
# Don't follow a listing past a page whose articles are all archived and unchanged.
INCREMENTAL_STOP_PAGINATION = True
# When the run runs out of links, recheck archived articles no page linked to (deleted ones
# drop out of sitemaps and listings) if the recheck schedule above says they are due.
INCREMENTAL_RECHECK_UNLINKED = True
# Mark archived articles that answer 404/410 or redirect home as removed (middlewares.removals).
REMOVALS_ENABLED = True

# --- Scheduler daemon (crawler.scheduling; not Scrapy settings, read by `newshub schedule`) ---
# Seconds a run may start late (daemon down or busy) and still run; coalesced to one run.
SCHEDULER_MISFIRE_GRACE_TIME = 15 * 60
# Random delay of up to this many seconds per run (at most a tenth of an interval).
SCHEDULER_JITTER = 60
# A crawl running longer than this (seconds) is stopped; a source's `timeout` overrides it.
SCHEDULER_TIMEOUT = 6 * 3600
# On SIGTERM, seconds running crawls get to close WARC files and flush before SIGKILL.
SCHEDULER_STOP_GRACE = 60
# One daemon per database schedules; another waits as a standby and checks this often (seconds)
# whether the active one is gone.
SCHEDULER_STANDBY_POLL = 5.0

# --- Caps against hostile or broken hubs (crawler.middlewares.caps; 0: no limit) ---
# Each hit is counted in newshub/caps/NAME and named in the run summary; the run still finishes.
# Links followed from one page (a 400-article demo hub's pages have about 100).
CAPS_LINKS_PER_PAGE = 1000
# Child sitemaps followed from one sitemap index (a daily sitemap for ~3 years).
CAPS_SITEMAPS_PER_INDEX = 1000
# URLs followed from one sitemap (the sitemap protocol's own maximum).
CAPS_URLS_PER_SITEMAP = 50_000
# Longest URL requested (characters).
CAPS_URL_LENGTH = 2048
# Most path segments in a URL requested.
CAPS_PATH_DEPTH = 16
# Most times one path segment may appear in a URL (`/a/a/a/...` traps).
CAPS_REPEATED_SEGMENT = 3
# Most distinct query strings of one path (`?date=` calendar traps); WordPress ids (`?p=123`,
# `?paged=2`) are not counted, and pagination is capped apart (HUB_MAX_LISTING_PAGES).
CAPS_QUERY_VARIANTS = 100
# Scrapy's own caps: stop after this many responses, or this many seconds (a source's
# `timeout` overrides it, so a crawl started by cron ends like one under the daemon).
CLOSESPIDER_PAGECOUNT = 200_000
CLOSESPIDER_TIMEOUT = 6 * 3600

# --- Hub spider (crawler.spiders.hub) ---
# Stop after this many articles (0: no limit).
HUB_MAX_ARTICLES = 0
# Follow listing pagination up to this many pages per listing (0: no limit).
HUB_MAX_LISTING_PAGES = 50
# Discovery sources, in the order they are asked (a source's `discovery = { NAME = false }` in
# newshub.toml switches one off; configured `sitemaps`/`feeds` are always read):
# robots.txt `Sitemap:` lines and the sitemaps they name (else /sitemap.xml)...
HUB_DISCOVER_SITEMAPS = True
# ...the WordPress REST API the home page announces (/wp-json/wp/v2/posts, by modified date)...
HUB_DISCOVER_REST_API = True
# ...the RSS/Atom feeds the home page announces...
HUB_DISCOVER_FEEDS = True
# ...and listings: links on fetched pages to category, tag, author and paginated archives
# (off: only links that look like article URLs are followed from pages).
HUB_DISCOVER_LISTINGS = True
# Tracking parameters to strip beyond the built-in list (utm_*, fbclid, gclid, ...: crawler.urls).
HUB_TRACKING_PARAMS: list[str] = []
# Worker processes that extract articles (crawler.extraction.pool), spawned on the first
# article: None is one less than the cores (so 1 on 2 cores), 0 extracts in a thread instead.
HUB_EXTRACTION_PROCESSES: int | None = None

# --- Memory (crawler.extensions.heap_trim, crawler.heap) ---
# The garbage collector's youngest generation is collected every this many allocations during a
# crawl (CPython's default, 700, spent a tenth of the crawl process's CPU collecting).
HEAP_GC_THRESHOLD = 10_000
# Give the heap's free pages back to the system (glibc's malloc_trim) every this many
# responses, so the heap does not grow around what is still alive (0: never).
HEAP_TRIM_EVERY = 250

# --- Progress line (crawler.extensions.progress) ---
# Print a live progress line on stderr when it is a terminal.
PROGRESS_ENABLED = True
# Seconds between progress updates.
PROGRESS_INTERVAL = 1.0

# --- Shared frontier (crawler.frontier; on when NEWSHUB_FRONTIER_URL is set) ---
# Redis URL of the frontier; the runner sets it from NEWSHUB_FRONTIER_URL (empty: off).
FRONTIER_URL = ""
# Key namespace of one source's frontier; the runner sets it to PREFIX:SOURCE.
FRONTIER_KEY = ""
# Seconds between a worker's heartbeats, which also wake an idle worker to look for work.
FRONTIER_HEARTBEAT = 0.5
# A worker silent this long (seconds) is dead: others stop waiting for it, its claims lapse.
FRONTIER_WORKER_TIMEOUT = 30
# Crawl processes (of up to CRAWLS_PER_PROCESS sources) the local daemon runs at once, and
# each `newshub worker` by default (None: from the host,
# crawler.scheduling.density.default_max_concurrent_crawls). Due crawls beyond it wait, the
# most overdue first.
MAX_CONCURRENT_CRAWLS = None
# Memory one crawl process is budgeted (MiB) when the default above is worked out from the host.
CRAWL_MEMORY_BUDGET_MB = 200
# Crawls per core at most when the default is worked out (crawls mostly wait on the network).
CRAWLS_PER_CORE = 4
# Sources the daemon and each worker crawl together in one process and one reactor
# (crawler.batch; measured in docs/scaling.md section 4); max_concurrent_crawls then counts
# processes. 1: a process per source, as before.
CRAWLS_PER_PROCESS = 8
# Seconds the first due crawl of a batch waits for the rest of its wave before it starts.
SCHEDULER_BATCH_WINDOW = 2.0

# --- Cluster workers (crawler.scheduling.worker, with NEWSHUB_BROKER_URL) ---
# A worker whose last heartbeat is older than this (seconds) is dead: its crawl is delivered
# again to a live worker. Workers beat three times within it.
WORKER_STALLED_AFTER = 60.0
WORKER_HEARTBEAT = WORKER_STALLED_AFTER / 3
