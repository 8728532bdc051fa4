"""`studio setup`'s administrator password from a file (STUDIO_ADMIN_PASSWORD_FILE, a compose secret)."""

from __future__ import annotations

import os

import pytest

from cli.output import CommandError
from cli.setup_verb import admin_password_from_file


def test_password_file_sets_the_password(tmp_path, monkeypatch):
    secret = tmp_path / "admin_password"
    secret.write_text("s3cret-from-a-file\n")
    monkeypatch.delenv("STUDIO_ADMIN_PASSWORD", raising=False)
    monkeypatch.setenv("STUDIO_ADMIN_PASSWORD_FILE", str(secret))
    admin_password_from_file()
    assert os.environ["STUDIO_ADMIN_PASSWORD"] == "s3cret-from-a-file"


@pytest.mark.parametrize(
    ("content", "password", "message"),
    [
        (None, None, "cannot read"),
        ("\n", None, "is empty"),
        ("x", "y", "both set"),
    ],
)
def test_password_file_problems_name_the_variable(tmp_path, monkeypatch, content, password, message):
    secret = tmp_path / "admin_password"
    if content is not None:
        secret.write_text(content)
    if password is None:
        monkeypatch.delenv("STUDIO_ADMIN_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("STUDIO_ADMIN_PASSWORD", password)
    monkeypatch.setenv("STUDIO_ADMIN_PASSWORD_FILE", str(secret))
    with pytest.raises(CommandError) as raised:
        admin_password_from_file()
    assert "STUDIO_ADMIN_PASSWORD" in str(raised.value) and message in str(raised.value)
    assert raised.value.exit_code == 2
