"""`python -m crawler.cli` runs the newshub CLI."""

from crawler.cli import main

main(prog_name="newshub")
