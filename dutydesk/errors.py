"""Errors a user can act on. Their message is shown as is, in one line, with no traceback."""

from __future__ import annotations


class DutyDeskError(Exception):
    """Base class: something went wrong that the user should be told about in words."""

    exit_code = 1


class ConfigError(DutyDeskError):
    """The configuration file or a DUTYDESK_* variable is not valid."""

    exit_code = 2


class DatabaseError(DutyDeskError):
    """The database cannot be opened, is not a dutydesk database, or is damaged."""

    exit_code = 2


class NoDatabase(DatabaseError):
    """There is no database where the command was pointed (a mistyped ``--db``).

    Nothing was created. Its own exit code (6), so a script can tell a wrong path from
    a damaged database or a refused input.
    """

    exit_code = 6


class ServerUnreachable(DatabaseError):
    """The database server cannot be reached (stopped, restarting, network gone).

    Nothing was written. Its own exit code (5), so a script can wait and try again.
    """

    exit_code = 5


class CommitInDoubt(ServerUnreachable):
    """The server went away during a write's COMMIT: it may or may not be stored.

    The commit can have reached the server's WAL (and a synchronous standby) before the
    connection broke, so "nothing was written" would be untrue: the record has to be
    looked for before it is entered again. Its own exit code (7): a script that writes
    again after exit 5 must not do so blindly here, or the record may be there twice.
    """

    exit_code = 7


class NotFoundError(DutyDeskError):
    """A record the user named does not exist."""
