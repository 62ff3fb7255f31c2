"""The scheduler daemon (APScheduler) and the schedule expressions it reads from newshub.toml."""
