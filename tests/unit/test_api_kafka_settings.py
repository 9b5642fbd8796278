"""The API's Kafka client properties: QUESTLOG_API_KAFKA_*, a `_FILE` suffix reads the value from a file."""

from __future__ import annotations

import pytest
from questlog_api.settings import Settings, SettingsError

P = "QUESTLOG_API_KAFKA_"


def test_password_from_a_mounted_file(tmp_path) -> None:
    secret = tmp_path / "api-password"
    secret.write_text("from-the-secret\n")
    env = {P + "SASL_USERNAME": "api", P + "SASL_PASSWORD_FILE": str(secret), P + "SECURITY_PROTOCOL": "SASL_PLAINTEXT"}
    config = Settings.from_env(env).producer_config
    assert config == {"sasl.username": "api", "sasl.password": "from-the-secret", "security.protocol": "SASL_PLAINTEXT"}


def test_unreadable_file_fails_naming_the_variable(tmp_path) -> None:
    with pytest.raises(SettingsError, match="QUESTLOG_API_KAFKA_SASL_PASSWORD_FILE cannot be read"):
        Settings.from_env({P + "SASL_PASSWORD_FILE": str(tmp_path / "missing")})
