"""Serve nx-27017 (run by its own virtualenv's Python): its threaded server, one command at a time, warnings only.

- Threaded: its default server reads each command on an asyncio loop and hands it to a worker thread and back,
  ~0.45-0.65 ms of its CPU per command (a ping included); the threaded server (a thread per connection reading,
  handling and answering in turn) ~0.1-0.3 ms. Measured: docs/operations.md, "Living with nx-27017".
- One command at a time across all databases: nx-27017 locks per database, but `listDatabases` reads every
  database's SQLite connection and its cache of open databases closes the least recently used one, both without
  that database's lock, so a command running there at the same moment fails (sqlite3's "returned NULL without
  setting an exception", or "disk I/O error"). Its own single-file mode's one lock (`_db_lock`) is used for every
  database instead; Python runs one thread at a time anyway.
- Warnings only: the threaded server logs a line per command at INFO, so the root logger is set to WARNING first
  (nx-27017's own `logging.basicConfig` then leaves it as it is).
"""

import logging
import sys

logging.basicConfig(level=logging.WARNING, format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")

from nx_27017.handler import NeoSQLiteHandler  # noqa: E402  (after the logging set-up above)
from nx_27017.nx_27017 import main  # noqa: E402

NeoSQLiteHandler._lock_for = lambda self, db_name: self._db_lock

if __name__ == "__main__":
    sys.argv = ["nx-27017", *sys.argv[1:], "--threaded"]
    sys.exit(main())
