"""questlog_core: what the API, the streaming job and the report share (schemas, validation, columns)."""

from questlog_core.errors import QuestlogError, SchemaError

__all__ = ["QuestlogError", "SchemaError"]
