"""The write path: the item pipeline that stores rows, and its WARC and database layers."""
