"""The read side of the archive: search, show, stats, export, verify, reextract, replay, WACZ."""
