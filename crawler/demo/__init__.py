"""A generated WordPress-style news hub with known ground truth, and a local server for it.

``DemoHub`` (in ``site``) holds the truth and renders pages; ``DemoServer`` (in ``server``) serves
it over HTTP. Used by ``newshub demo`` and as the fixture of the crawl and extraction tests.
"""
