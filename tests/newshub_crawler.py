"""Crawlers for component tests, with newshub's add-on and so its components' settings.

Components read their settings without fallbacks: the defaults are written once, in
crawler/settings.py, and the add-on (crawler.addon) brings them to a crawler.
`scrapy.utils.test.get_crawler` alone knows only Scrapy's own.
"""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from crawler.addon import NewshubAddon


def newshub_crawler(spidercls: type[Spider] = Spider, **settings: Any) -> Crawler:
    """A crawler with newshub's add-on enabled and settings over its defaults.

    DB_URL is empty unless given, so no test writes to the default ./data database.
    """
    values = {"ADDONS": {NewshubAddon: 0}, "DB_URL": "", **settings}
    return get_crawler(spidercls, settings_dict=values)
