"""Kafka client properties from environment variables, one convention for every component:
<PREFIX>KAFKA_<NAME>=value sets property <name> (`_` -> `.`, lower case), and <PREFIX>KAFKA_<NAME>_FILE
names a file holding the value (a Secret mounted as files, e.g. ..._KAFKA_SASL_PASSWORD_FILE)."""

from __future__ import annotations

from collections.abc import Mapping


class KafkaConfigError(ValueError):
    """A *_KAFKA_*_FILE variable names a file that cannot be read."""


def client_properties(env: Mapping[str, str], prefix: str, skip_empty: bool = False) -> dict[str, str]:
    """Properties of the <prefix>KAFKA_* variables, `<name>.file` keys left for read_files()."""
    start = prefix + "KAFKA_"
    return {
        name[len(start) :].lower().replace("_", "."): value
        for name, value in env.items()
        if name.startswith(start) and (value or not skip_empty)
    }


def read_files(props: Mapping[str, str], prefix: str) -> dict[str, str]:
    """Replace every `<name>.file` property by the content of its file (one trailing newline cut)."""
    out = {}
    for key, value in props.items():
        if not key.endswith(".file"):
            out[key] = value
            continue
        try:
            with open(value) as f:
                out[key.removesuffix(".file")] = f.read().rstrip("\n")
        except OSError as exc:
            name = f"{prefix}KAFKA_{key.upper().replace('.', '_')}"
            raise KafkaConfigError(f"{name} cannot be read: {exc}") from exc
    return out
