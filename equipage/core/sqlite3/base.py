"""Django's SQLite backend, with connections that are kept between requests (#20).

Opening a SQLite connection costs more than most requests' queries: the file is
opened, the WAL pragmas run, the functions are registered, and the schema (about
200 tables, indexes and triggers) and its statistics are parsed again before the
first statement; each statement is then compiled anew, where a kept connection
finds it in its statement cache. A kept connection has a flaw a new one has not:
it goes on reading a database file that was deleted, or replaced by
``equipage restore`` or an operator, while every other process opens the new
one. So the connection remembers which file it opened (device and inode), and
Django's health check, run before the first query of each request
(``CONN_HEALTH_CHECKS``), closes it when the path now names another file or
none; the request then opens the file that is there, or fails as a new
connection would (``/readyz`` says the database does not answer).
"""

from __future__ import annotations

import os
from typing import Any

from django.db.backends.sqlite3 import base


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class DatabaseWrapper(base.DatabaseWrapper):
    opened_file: tuple[int, int] | None = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            self.opened_file = _identity(str(self.settings_dict["NAME"]))
        return connection

    def is_usable(self) -> bool:
        if self.is_in_memory_db():
            return True
        identity = _identity(str(self.settings_dict["NAME"]))
        return identity is not None and identity == self.opened_file
