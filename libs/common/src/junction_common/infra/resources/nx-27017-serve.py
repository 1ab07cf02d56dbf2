"""Serve nx-27017 (run by its own virtualenv's Python): its threaded server, logging warnings only.

Its default server reads each command on an asyncio loop and hands it to a worker thread and back, which cost
~0.45-0.6 ms of its CPU per command (a ping included); the threaded server (a thread per connection reading,
handling and answering in turn; commands on one database still run one at a time under its per-database lock)
costs ~0.1-0.3 ms. The threaded server also logs a line per command at INFO, so the root logger is set to
WARNING first (nx-27017's own `logging.basicConfig` then leaves it as it is). Measured: docs/operations.md,
"Living with nx-27017".
"""

import logging
import sys

logging.basicConfig(level=logging.WARNING, format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")

from nx_27017.nx_27017 import main  # noqa: E402  (after the logging set-up above)

if __name__ == "__main__":
    sys.argv = ["nx-27017", *sys.argv[1:], "--threaded"]
    sys.exit(main())
