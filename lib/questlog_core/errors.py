"""Exception root of the shared library."""


class QuestlogError(Exception):
    """Root of every error questlog_core raises."""


class SchemaError(QuestlogError):
    """A schema file is missing, malformed or inconsistent."""
