"""The stream's Kafka client options: QUESTLOG_STREAM_KAFKA_* as the API's, SASL credentials as JAAS."""

from __future__ import annotations

import pytest
from questlog_stream.settings import Settings, SettingsError

P = "QUESTLOG_STREAM_KAFKA_"


def test_no_kafka_variables_no_options() -> None:
    assert Settings.from_env({}).kafka_options() == {}


def test_scram_credentials_become_a_jaas_config() -> None:
    env = {P + "SECURITY_PROTOCOL": "SASL_PLAINTEXT", P + "SASL_MECHANISM": "SCRAM-SHA-512"}
    env |= {P + "SASL_USERNAME": "stream", P + "SASL_PASSWORD": 'pa"ss\\word'}
    options = Settings.from_env(env).kafka_options()
    assert options == {
        "kafka.security.protocol": "SASL_PLAINTEXT",
        "kafka.sasl.mechanism": "SCRAM-SHA-512",
        "kafka.sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="stream" password="pa\\"ss\\\\word";',
    }


def test_password_is_not_in_the_settings_repr() -> None:
    env = {P + "SASL_MECHANISM": "PLAIN", P + "SASL_USERNAME": "u", P + "SASL_PASSWORD": "secret-value"}
    settings = Settings.from_env(env)
    assert "secret-value" not in repr(settings)
    assert "PlainLoginModule" in settings.kafka_options()["kafka.sasl.jaas.config"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({P + "SASL_USERNAME": "u"}, "KAFKA_SASL_PASSWORD"),
        ({P + "SASL_USERNAME": "u", P + "SASL_PASSWORD": "p", P + "SASL_MECHANISM": "GSSAPI"}, "KAFKA_SASL_MECHANISM"),
    ],
)
def test_incomplete_credentials_fail_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env).kafka_options()


def test_password_from_a_file(tmp_path) -> None:
    secret = tmp_path / "stream-password"
    secret.write_text("from-the-secret\n")
    env = {P + "SASL_MECHANISM": "SCRAM-SHA-512", P + "SASL_USERNAME": "stream", P + "SASL_PASSWORD_FILE": str(secret)}
    jaas = Settings.from_env(env).kafka_options()["kafka.sasl.jaas.config"]
    assert jaas.endswith('username="stream" password="from-the-secret";')
    env[P + "SASL_PASSWORD_FILE"] = str(tmp_path / "missing")
    with pytest.raises(SettingsError, match="QUESTLOG_STREAM_KAFKA_SASL_PASSWORD_FILE cannot be read"):
        Settings.from_env(env).kafka_options()


def test_hdfs_umask_is_octal_or_empty() -> None:
    assert Settings.from_env({}).hdfs_umask == ""
    assert Settings.from_env({"QUESTLOG_STREAM_HDFS_UMASK": "007"}).hdfs_umask == "007"
    for bad in ("7", "0o07", "rwx", "0089"):
        with pytest.raises(SettingsError, match="QUESTLOG_STREAM_HDFS_UMASK"):
            Settings.from_env({"QUESTLOG_STREAM_HDFS_UMASK": bad})
