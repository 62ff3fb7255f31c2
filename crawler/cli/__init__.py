"""The `newshub` command line: thin wrappers over library functions, one module per area.

Importing this package registers every command on `main`.
"""

from crawler.cli import crawling, db, export
from crawler.cli.base import main

__all__ = ["crawling", "db", "export", "main"]

if __name__ == "__main__":
    main()
