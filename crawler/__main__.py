"""`python -m crawler` runs the newshub program (crawler.program), as the `newshub` command does."""

from crawler.program import main

main()
