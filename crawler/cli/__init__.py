"""The `newshub` command line: thin wrappers over library functions, one module per area.

Importing this package registers every command on `main`.
"""

from crawler.cli import archive, cluster, crawling, db, export, monitoring, query, schedule, serve
from crawler.cli.base import main

__all__ = [
    "archive",
    "cluster",
    "crawling",
    "db",
    "export",
    "main",
    "monitoring",
    "query",
    "schedule",
    "serve",
]

if __name__ == "__main__":
    main()
