"""NewshubAddon: newshub's components and their defaults in any crawler that lists it."""

from __future__ import annotations

from scrapy.settings import BaseSettings
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from crawler import settings as newshub_settings
from crawler.addon import NewshubAddon
from crawler.extensions.progress import ProgressLine
from crawler.middlewares.conditional import ConditionalRequestMiddleware
from crawler.middlewares.incremental import IncrementalMiddleware
from crawler.middlewares.offsite import HomeOffsiteMiddleware
from crawler.middlewares.requisites import RequisitesMiddleware
from crawler.middlewares.warc import WarcCaptureMiddleware
from pipelines.database_pipeline import DatabasePipeline
from tests.newshub_crawler import newshub_crawler


def components(settings: BaseSettings, name: str) -> list[type]:
    """The classes of a component setting, in Scrapy's order, its built-in ones included."""
    return [load_object(c) for c in build_component_list(settings.getwithbase(name))]


def test_the_project_settings_enable_the_add_on() -> None:
    assert newshub_settings.ADDONS == {"crawler.addon.NewshubAddon": 0}
    assert load_object("crawler.addon.NewshubAddon") is NewshubAddon


def test_components_in_their_places() -> None:
    settings = newshub_crawler().settings
    downloader = components(settings, "DOWNLOADER_MIDDLEWARES")
    assert HomeOffsiteMiddleware in downloader
    assert [m.__name__ for m in downloader if m.__name__ == "OffsiteMiddleware"] == []
    # Responses go from the downloader's end of the list: WARC sees them first, as on the
    # wire, and DownloaderStats counts a 304 before the conditional middleware ends it.
    names = [m.__name__ for m in downloader]
    assert names.index("ConditionalRequestMiddleware") < names.index("DownloaderStats")
    assert downloader[-1] is WarcCaptureMiddleware
    assert ConditionalRequestMiddleware in downloader
    spider = components(settings, "SPIDER_MIDDLEWARES")
    names = [m.__name__ for m in spider]
    # Spider output goes from the end of the list to its start: requisites pass Depth and
    # Referer, and the incremental middleware sees every request last, before the scheduler.
    assert names.index("DepthMiddleware") < names.index("RequisitesMiddleware")
    assert names.index("IncrementalMiddleware") < names.index("DepthMiddleware")
    assert RequisitesMiddleware in spider and IncrementalMiddleware in spider
    # Repeats are dropped after the incremental middleware held back what it holds back.
    assert names.index("RepeatedLinksMiddleware") < names.index("IncrementalMiddleware")
    assert components(settings, "ITEM_PIPELINES") == [DatabasePipeline]
    assert ProgressLine in components(settings, "EXTENSIONS")


def test_defaults_come_from_crawler_settings_and_anything_else_wins() -> None:
    settings = newshub_crawler().settings
    assert settings.getint("WARC_MAX_SIZE") == newshub_settings.WARC_MAX_SIZE
    assert settings.getlist("REQUISITES_PAGE_KINDS") == newshub_settings.REQUISITES_PAGE_KINDS
    assert settings.getbool("INCREMENTAL_ENABLED") is newshub_settings.INCREMENTAL_ENABLED
    assert newshub_crawler(WARC_MAX_SIZE=5000).settings.getint("WARC_MAX_SIZE") == 5000
    # Scrapy's own settings stay the project's: the add-on only brings newshub's.
    assert get_crawler(settings_dict={"ADDONS": {NewshubAddon: 0}}).settings["USER_AGENT"] != (
        newshub_settings.USER_AGENT
    )


def test_a_project_can_still_switch_a_component_off() -> None:
    crawler = newshub_crawler(DOWNLOADER_MIDDLEWARES={WarcCaptureMiddleware: None})
    assert WarcCaptureMiddleware not in components(crawler.settings, "DOWNLOADER_MIDDLEWARES")
