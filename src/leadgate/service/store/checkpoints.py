"""SQLite's checkpoints run in a thread of their own, off the writer's commits.

In WAL mode a commit appends the pages it changed to the log (`<database>-wal`); a *checkpoint* copies
them back into the database file and syncs it to disk. By default SQLite runs one inside the commit
that takes the log past 1,000 pages, so a busy writer pays for copying and syncing every few commits:
for batches of events that was most of a commit's time. A long-running service (`leadgate serve`, its
writer process) opens its store with `checkpoints="background"` instead:

- its connections checkpoint only as a backstop, when the log passes `BACKSTOP_PAGES` (64 MiB) because
  the thread below could not keep up;
- a `Checkpointer` thread, on a connection of its own, runs a PASSIVE checkpoint (it never waits for,
  nor holds up, readers or the writer) soon after commits (`nudge`), at most every `interval` seconds,
  and once more when the store closes. Only the checkpoint's copying and syncing moved: what a commit
  guarantees (see `sqlite_synchronous`) is unchanged.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

log = logging.getLogger(__name__)

BACKSTOP_PAGES = 16_384  # 64 MiB of 4 KiB pages


class Checkpointer:
    """A daemon thread that checkpoints the SQLite database at `path` (see the module's text)."""

    def __init__(self, path: str, interval: float = 0.2) -> None:
        self.path = path
        self.interval = interval
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="leadgate-checkpoints", daemon=True)
            self._thread.start()

    def nudge(self) -> None:
        """Something was committed: checkpoint soon."""
        self._wake.set()

    def close(self) -> None:
        """Run a last checkpoint, then stop."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop = True
            self._wake.set()
            thread.join()

    def _loop(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA busy_timeout=1000")
            while True:
                woke = self._wake.wait(timeout=5.0)
                self._wake.clear()
                if woke or self._stop:
                    self._checkpoint(connection)
                if self._stop:
                    return
                time.sleep(self.interval)  # commits that come meanwhile share the next checkpoint
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # the next nudge tries again; the backstop bounds the log meanwhile
            log.warning("a background checkpoint of %s failed: %s", self.path, exc)
