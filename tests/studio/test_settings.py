"""Settings read from the environment: a bad value stops start-up with a message naming it."""

from __future__ import annotations

import os
import secrets
import stat
import string
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.env import SettingError, envbool, envint, envmap, persisted_secret
from tests.servers import REPO_ROOT, STUDIO_BIN

PYTHON = Path(sys.executable)


def _clean_env(home: Path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()}
    for variable in (
        "DATABASE_URL",
        "REDIS_URL",
        "DJANGO_SETTINGS_MODULE",
        "SECRET_KEY",
        "STUDIO_PORT",
        "STUDIO_BUILD_CA_BUNDLE",
        "DEBUG",
        "STUDIO_HTTPS",
        "ALLOWED_HOSTS",
    ):
        env.pop(variable, None)
    env.update(STUDIO_HOME=str(home), PYTHONUNBUFFERED="1", **overrides)
    return env


def _studio_up(home: Path, **overrides: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run(
        [str(STUDIO_BIN), "up"],
        cwd=REPO_ROOT,
        env=_clean_env(home, **overrides),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, time.monotonic() - started


BAD_VALUES = [
    ("DATABASE_URL", "notaurl"),
    ("DATABASE_URL", "postgres://"),
    ("STUDIO_PORT", "abc"),
    ("STUDIO_PORT", "70000"),
    ("REDIS_URL", "http://x"),
    ("STUDIO_BUILD_CA_BUNDLE", "/nonexistent/studio-test/ca.pem"),
    ("STUDIO_ENDPOINT_RATE_LIMIT", "fast"),
    ("STUDIO_ENDPOINT_RATE_LIMIT", "10/fortnight"),
]


@pytest.mark.parametrize(("variable", "value"), BAD_VALUES)
def test_it_refuses_to_start_with_a_bad_setting(tmp_path, variable, value):
    result, elapsed = _studio_up(tmp_path / "home", **{variable: value})

    assert result.returncode == 2, result.stdout + result.stderr
    assert variable in result.stderr
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout
    # It stopped while reading settings: nothing was served and no database was created.
    assert "Serving" not in result.stdout
    assert not (tmp_path / "home" / "studio.sqlite3").exists()
    assert elapsed < 30


def test_it_generates_a_private_secret_key_and_reuses_it(tmp_path):
    path = tmp_path / "home" / "secret_key"

    first = persisted_secret(path)

    assert len(first) >= 50
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert persisted_secret(path) == first


def test_it_replaces_an_empty_secret_key_file(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("\n")

    value = persisted_secret(path)

    assert value
    assert path.read_text().strip() == value


def test_it_writes_the_secret_key_into_studio_home_on_start(tmp_path):
    """`studio manage check` loads settings without SECRET_KEY: the key lands in STUDIO_HOME."""
    home = tmp_path / "home"
    command = [str(STUDIO_BIN), "manage", "check"]

    first = subprocess.run(
        command, cwd=REPO_ROOT, env=_clean_env(home), capture_output=True, text=True, timeout=60
    )
    assert first.returncode == 0, first.stderr
    key_file = home / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()

    second = subprocess.run(
        command, cwd=REPO_ROOT, env=_clean_env(home), capture_output=True, text=True, timeout=60
    )
    assert second.returncode == 0, second.stderr
    assert key_file.read_text() == key


def test_it_names_the_variable_of_a_bad_integer(monkeypatch):
    monkeypatch.setenv("STUDIO_TEST_INT", "twelve")

    with pytest.raises(SettingError) as raised:
        envint("STUDIO_TEST_INT", 1)

    assert raised.value.name == "STUDIO_TEST_INT"
    assert "STUDIO_TEST_INT" in str(raised.value)


def test_it_checks_integer_bounds(monkeypatch):
    monkeypatch.setenv("STUDIO_TEST_INT", "0")
    with pytest.raises(SettingError, match="STUDIO_TEST_INT: must be at least 1"):
        envint("STUDIO_TEST_INT", 5, minimum=1, maximum=10)

    monkeypatch.setenv("STUDIO_TEST_INT", "11")
    with pytest.raises(SettingError, match="STUDIO_TEST_INT: must be at most 10"):
        envint("STUDIO_TEST_INT", 5, minimum=1, maximum=10)

    monkeypatch.setenv("STUDIO_TEST_INT", " 7 ")
    assert envint("STUDIO_TEST_INT", 5, minimum=1, maximum=10) == 7

    monkeypatch.setenv("STUDIO_TEST_INT", "")
    assert envint("STUDIO_TEST_INT", 5) == 5


def test_it_reads_flags_and_names_a_bad_one(monkeypatch):
    monkeypatch.delenv("STUDIO_TEST_FLAG", raising=False)
    assert envbool("STUDIO_TEST_FLAG", True) is True

    for word, expected in [("yes", True), ("ON", True), ("1", True), ("false", False), ("0", False)]:
        monkeypatch.setenv("STUDIO_TEST_FLAG", word)
        assert envbool("STUDIO_TEST_FLAG", not expected) is expected

    monkeypatch.setenv("STUDIO_TEST_FLAG", "maybe")
    with pytest.raises(SettingError) as raised:
        envbool("STUDIO_TEST_FLAG")
    assert raised.value.name == "STUDIO_TEST_FLAG"
    assert "maybe" in str(raised.value)


def test_it_reads_a_map_and_names_a_bad_one(monkeypatch):
    monkeypatch.setenv("STUDIO_TEST_MAP", "a=b, c = d ,")
    assert envmap("STUDIO_TEST_MAP") == {"a": "b", "c": "d"}

    for bad in ("a", "a=", "=b", "a=b,c"):
        monkeypatch.setenv("STUDIO_TEST_MAP", bad)
        with pytest.raises(SettingError) as raised:
            envmap("STUDIO_TEST_MAP")
        assert raised.value.name == "STUDIO_TEST_MAP"


def _production_env(home: Path) -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    secret_key = "".join(secrets.choice(alphabet) for _ in range(60))
    return _clean_env(
        home,
        DEBUG="false",
        STUDIO_HTTPS="true",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="studio.example.com",
    )


def _check_deploy(home: Path, fail_level: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PYTHON), "manage.py", "check", "--deploy", "--fail-level", fail_level],
        cwd=REPO_ROOT,
        env=_production_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_has_no_security_warnings_with_production_values(tmp_path):
    result = _check_deploy(tmp_path / "home", "ERROR")

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "security.W" not in output, output


def test_it_passes_the_deploy_check_at_warning_level(tmp_path):
    result = _check_deploy(tmp_path / "home", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
