"""A request queue and dupefilter in Redis, shared by the crawl workers of one source.

With NEWSHUB_FRONTIER_URL set, `newshub crawl SOURCE` on any number of hosts runs as one
crawl: every worker pushes the requests it discovers into one Redis sorted set and pops the
next one from it, and a request whose fingerprint is already in the shared Redis set is
dropped, so the workers split the work and each URL is fetched once overall.

Keys, under FRONTIER_KEY (`PREFIX:SOURCE`):

- `:queue`   sorted set of pickled `Request.to_dict()`s; score -priority, then FIFO order.
- `:seen`    set of request fingerprints (Scrapy's request fingerprinter, as RFPDupeFilter).
- `:seq`     counter giving queue entries their FIFO order within a priority.
- `:workers` hash worker id -> `STATE:TIME`: STATE 1 busy, 0 idle; TIME its last heartbeat
  (Redis server time, so host clocks don't matter).

Idle detection: a worker whose engine has nothing left to do marks itself idle and asks
Redis, in one script, whether the queue is empty and no other live worker is busy. Only then
does it close; otherwise it stays open and polls the queue every FRONTIER_HEARTBEAT seconds.
A busy worker may still add requests, so nobody leaves while one is busy. Popping a request
marks its worker busy in the same script, so no request is ever in flight unseen. A worker
silent for FRONTIER_WORKER_TIMEOUT seconds counts as dead (killed): the others stop waiting.

Lifecycle: the first worker to open when no live worker is registered starts a fresh crawl
(it clears the queue and the fingerprints left by an earlier one); the last worker to close
with an empty queue deletes the keys. Each worker talks to Redis synchronously on the reactor
thread (one round trip per scheduled or popped request): fine on a LAN.

The queue holds pickles: the Redis server must be trusted like the database is.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.request import request_from_dict
from twisted.internet.task import LoopingCall

from crawler.config import safe_url
from crawler.errors import require_extra

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Drop stale workers; with no live one left this is a new crawl: clear the old one's keys.
OPEN = """
local now = tonumber(redis.call('TIME')[1])
local live = 0
local workers = redis.call('HGETALL', KEYS[1])
for i = 1, #workers, 2 do
  local beat = tonumber(string.match(workers[i + 1], ':(%d+)$') or '0')
  if now - beat > tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[1], workers[i])
  else
    live = live + 1
  end
end
if live == 0 then redis.call('DEL', KEYS[2], KEYS[3], KEYS[4]) end
redis.call('HSET', KEYS[1], ARGV[1], '1:' .. now)
return live
"""

# Dupefilter and queue in one step: push unless the fingerprint was seen (or dont_filter).
PUSH = """
if ARGV[4] == '0' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
local seq = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], tonumber(ARGV[2]), string.format('%016x', seq) .. ARGV[3])
return 1
"""

# Take the next request and mark this worker busy, atomically.
POP = """
local item = redis.call('ZPOPMIN', KEYS[1])
if #item == 0 then return false end
redis.call('HSET', KEYS[2], ARGV[1], '1:' .. redis.call('TIME')[1])
return item[1]
"""

# Heartbeat with this worker's state.
BEAT = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. redis.call('TIME')[1])
return 1
"""

# Mark this worker idle; return {queued requests, other live busy workers}.
IDLE = """
local now = tonumber(redis.call('TIME')[1])
redis.call('HSET', KEYS[1], ARGV[1], '0:' .. now)
local busy = 0
local workers = redis.call('HGETALL', KEYS[1])
for i = 1, #workers, 2 do
  local state, beat = string.match(workers[i + 1], '^(%d):(%d+)$')
  if workers[i] ~= ARGV[1] and state == '1' and now - tonumber(beat) <= tonumber(ARGV[2]) then
    busy = busy + 1
  end
end
return {redis.call('ZCARD', KEYS[2]), busy}
"""

# Leave; the last live worker to leave an empty queue deletes the crawl's keys.
CLOSE = """
redis.call('HDEL', KEYS[1], ARGV[1])
local now = tonumber(redis.call('TIME')[1])
local live = 0
local workers = redis.call('HGETALL', KEYS[1])
for i = 1, #workers, 2 do
  local beat = tonumber(string.match(workers[i + 1], ':(%d+)$') or '0')
  if now - beat <= tonumber(ARGV[2]) then live = live + 1 end
end
if live == 0 and redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
end
return live
"""

SEQ_DIGITS = 16  # the hex FIFO counter in front of each queue entry


class RedisFrontier(BaseScheduler):
    """Scrapy scheduler over a Redis queue and fingerprint set shared by several processes."""

    def __init__(self, crawler: Crawler) -> None:
        require_extra("redis", "frontier", "NEWSHUB_FRONTIER_URL")
        import redis

        settings = crawler.settings
        url = settings.get("FRONTIER_URL")
        key = settings.get("FRONTIER_KEY")
        if not url or not key:
            raise NotConfigured("RedisFrontier needs FRONTIER_URL and FRONTIER_KEY")
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = url
        # Timeouts: a hung Redis fails the crawl instead of freezing its reactor for good.
        self.redis = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)
        self.keys = {name: f"{key}:{name}" for name in ("queue", "seen", "seq", "workers")}
        self.worker = f"{socket.gethostname()}~{os.getpid()}~{uuid.uuid4().hex[:8]}"
        self.heartbeat = settings.getfloat("FRONTIER_HEARTBEAT")
        self.timeout = settings.getint("FRONTIER_WORKER_TIMEOUT")
        self.busy = True
        self.spider: Spider | None = None
        # Requests that cannot be serialized (a callback that is not a spider method) stay here.
        self.local: deque[Request] = deque()
        self._scripts = {
            name: self.redis.register_script(source)
            for name, source in (
                ("open", OPEN),
                ("push", PUSH),
                ("pop", POP),
                ("beat", BEAT),
                ("idle", IDLE),
                ("close", CLOSE),
            )
        }
        self._loop = LoopingCall(self._tick)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return self._scripts[name](keys=[self.keys[k] for k in keys], args=args)

    def open(self, spider: Spider) -> None:
        self.spider = spider
        try:
            others = self._run(
                "open", ["workers", "queue", "seen", "seq"], [self.worker, self.timeout]
            )
        except Exception as exc:
            raise RuntimeError(f"frontier {safe_url(self.url)}: {exc}") from None
        logger.info(
            "frontier %s key %s: worker %s, %s",
            safe_url(self.url),
            self.keys["queue"].rsplit(":", 1)[0],
            self.worker,
            f"joining {others} other worker(s)" if others else "starting a new crawl",
        )
        self._inc("newshub/frontier/workers_at_start", int(others) + 1)
        self._loop.start(self.heartbeat, now=False)

    def close(self, reason: str) -> None:
        if self._loop.running:
            self._loop.stop()
        try:
            others = self._run(
                "close", ["workers", "queue", "seen", "seq"], [self.worker, self.timeout]
            )
            logger.info("frontier: worker %s left, %s other worker(s) live", self.worker, others)
        except Exception as exc:  # Redis gone: the heartbeat lapses and the others move on
            logger.error("frontier: cannot deregister worker %s: %s", self.worker, exc)
        finally:
            self.redis.close()

    def has_pending_requests(self) -> bool:
        return bool(self.local) or bool(self.redis.zcard(self.keys["queue"]))

    def __len__(self) -> int:
        return len(self.local) + int(self.redis.zcard(self.keys["queue"]))

    def enqueue_request(self, request: Request) -> bool:
        fingerprint = self.crawler.request_fingerprinter.fingerprint(request).hex()
        try:
            payload = pickle.dumps(request.to_dict(spider=self.spider), protocol=5)
        except Exception as exc:
            logger.warning("frontier: %s stays local, cannot serialize it: %s", request, exc)
            self._inc("newshub/frontier/local")
            self.local.append(request)
            self._inc("scheduler/enqueued")
            return True
        args = [fingerprint, -request.priority, payload, int(request.dont_filter)]
        if not self._run("push", ["seen", "queue", "seq"], args):
            self._inc("dupefilter/filtered")
            return False
        self._inc("scheduler/enqueued")
        self._inc("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.local:
            self.busy = True
            return self.local.popleft()
        item = self._run("pop", ["queue", "workers"], [self.worker])
        if item is None:
            return None
        self.busy = True
        request = request_from_dict(pickle.loads(item[SEQ_DIGITS:]), spider=self.spider)
        self._inc("scheduler/dequeued")
        self._inc("scheduler/dequeued/redis")
        return request

    def spider_idle(self, spider: Spider) -> None:
        """Nothing in flight here: close only when the queue is empty and nobody is busy."""
        self.busy = False
        queued, busy = self._run("idle", ["workers", "queue"], [self.worker, self.timeout])
        if queued or busy:
            self._inc("newshub/frontier/idle_waits")
            raise DontCloseSpider(f"frontier: {queued} queued, {busy} worker(s) busy")

    def _tick(self) -> None:
        """Heartbeat; and an idle engine looks for new work now, not at its 5 s heartbeat."""
        try:
            self._run("beat", ["workers"], [self.worker, "1" if self.busy else "0"])
        except Exception as exc:
            logger.warning("frontier: heartbeat failed: %s", exc)
            return
        wake_engine(self.crawler)

    def _inc(self, key: str, count: int = 1) -> None:
        self.stats.inc_value(key, count)


def wake_engine(crawler: Crawler) -> bool:
    """Have an idle engine ask the scheduler for requests now, not at its next 5 s heartbeat.

    Scrapy has no public API for this: the engine's slot schedules its next loop through the
    private `engine._slot.nextcall` (a CallLaterOnce). Its only use in newshub is here, and
    tests/test_frontier.py fails if a Scrapy release renames it. Before the engine opens its
    slot, and after it closes it, there is nothing to wake (False).
    """
    slot = crawler.engine._slot
    if slot is None:
        return False
    slot.nextcall.schedule()
    return True
