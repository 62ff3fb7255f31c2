"""The archive's web interface (`newshub serve`, the `web` extra): search, read, replay."""
