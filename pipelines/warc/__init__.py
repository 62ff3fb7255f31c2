"""WARC on the write path: record building, the rotating writer, file naming, dedup, recovery."""
