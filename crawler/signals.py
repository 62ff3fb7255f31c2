"""Signals newshub components use to talk without holding references to each other."""

# Sent by the WARC capture middleware after a record is on disk.
# Arguments: capture (pipelines.warc.writer.ArchivedRecord plus exchange facts, as a dict), spider.
capture_archived = object()
