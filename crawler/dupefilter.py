"""Scrapy's duplicate filter with each seen request at 8 bytes (DUPEFILTER_CLASS).

Scrapy's RFPDupeFilter keeps every request fingerprint it has seen as a 20-byte `bytes` (53
bytes as an object) in a set (another 16 to 32): about 1 MiB of a 10,000-article crawl's heap
that grows with the hub. Here the fingerprints (the crawler's REQUEST_FINGERPRINTER_CLASS, as
Scrapy's) are members of a crawler.fingerprints.FingerprintSet, 8 bytes each. With JOBDIR set
Scrapy's own set and `requests.seen` file are used unchanged, so a paused job resumes as ever.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.dupefilters import RFPDupeFilter

from crawler.fingerprints import FingerprintSet

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.utils.request import RequestFingerprinterProtocol


class CompactDupeFilter(RFPDupeFilter):
    """RFPDupeFilter whose seen fingerprints take 8 bytes each (module docstring)."""

    def __init__(
        self,
        path: str | None = None,
        debug: bool = False,
        *,
        fingerprinter: RequestFingerprinterProtocol | None = None,
    ) -> None:
        super().__init__(path, debug, fingerprinter=fingerprinter)
        self.seen = FingerprintSet()

    def request_seen(self, request: Request) -> bool:
        if self.file:  # a job directory: Scrapy's file of fingerprints is the record
            return super().request_seen(request)
        fingerprint = self.fingerprinter.fingerprint(request)
        if fingerprint in self.seen:
            return True
        self.seen.add(fingerprint)
        return False
