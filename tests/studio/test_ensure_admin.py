"""`ensure_admin` makes sure a fresh Studio has an administrator someone can sign in as."""

from __future__ import annotations

import stat

import pytest
from django.contrib.auth import authenticate, get_user_model

from studio.accounts import ensure_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(settings, tmp_path):
    settings.STUDIO_HOME = tmp_path
    return tmp_path


@pytest.fixture
def no_admin_env(monkeypatch):
    monkeypatch.delenv("STUDIO_ADMIN_USER", raising=False)
    monkeypatch.delenv("STUDIO_ADMIN_PASSWORD", raising=False)


def test_it_creates_the_administrator_named_in_the_environment(monkeypatch, home):
    monkeypatch.setenv("STUDIO_ADMIN_USER", "root")
    monkeypatch.setenv("STUDIO_ADMIN_PASSWORD", "first-password-42")

    account = ensure_admin()

    assert account.username == "root"
    assert account.created
    assert account.generated_password is None
    user = authenticate(username="root", password="first-password-42")
    assert user is not None
    assert user.is_superuser and user.is_staff and user.is_active
    assert not (home / "admin_password").exists()


def test_it_lets_the_administrator_sign_in(client, monkeypatch, home):
    monkeypatch.setenv("STUDIO_ADMIN_USER", "root")
    monkeypatch.setenv("STUDIO_ADMIN_PASSWORD", "first-password-42")
    ensure_admin()

    assert client.login(username="root", password="first-password-42")
    assert client.get("/").status_code == 200


def test_it_updates_the_password_on_a_second_call(monkeypatch, home):
    monkeypatch.setenv("STUDIO_ADMIN_USER", "root")
    monkeypatch.setenv("STUDIO_ADMIN_PASSWORD", "first-password-42")
    ensure_admin()

    monkeypatch.setenv("STUDIO_ADMIN_PASSWORD", "second-password-42")
    account = ensure_admin()

    assert not account.created
    assert authenticate(username="root", password="second-password-42") is not None
    assert authenticate(username="root", password="first-password-42") is None
    assert get_user_model().objects.filter(username="root").count() == 1


def test_it_keeps_the_password_when_it_did_not_change(monkeypatch, home):
    monkeypatch.setenv("STUDIO_ADMIN_USER", "root")
    monkeypatch.setenv("STUDIO_ADMIN_PASSWORD", "first-password-42")
    ensure_admin()
    stored = get_user_model().objects.get(username="root").password

    ensure_admin()

    assert get_user_model().objects.get(username="root").password == stored


def test_it_promotes_and_reactivates_an_existing_user(django_user_model, monkeypatch, home):
    django_user_model.objects.create_user("root", password="old-password-42", is_active=False)
    monkeypatch.setenv("STUDIO_ADMIN_USER", "root")
    monkeypatch.setenv("STUDIO_ADMIN_PASSWORD", "new-password-42")

    account = ensure_admin()

    assert not account.created
    user = authenticate(username="root", password="new-password-42")
    assert user is not None
    assert user.is_superuser and user.is_staff and user.is_active


def test_it_generates_a_password_for_a_fresh_studio(home, no_admin_env):
    account = ensure_admin()

    assert account.username == "admin"
    assert account.created
    assert account.generated_password
    assert len(account.generated_password) >= 12
    user = authenticate(username="admin", password=account.generated_password)
    assert user is not None
    assert user.is_superuser

    password_file = home / "admin_password"
    assert account.password_file == password_file
    assert password_file.read_text().strip() == account.generated_password
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600


def test_it_generates_a_different_password_each_time(home, no_admin_env, django_user_model):
    first = ensure_admin().generated_password
    django_user_model.objects.all().delete()

    second = ensure_admin().generated_password

    assert first != second


def test_it_creates_nobody_when_a_superuser_exists(django_user_model, home, no_admin_env):
    django_user_model.objects.create_superuser("boss", password="boss-password-42")

    account = ensure_admin()

    assert account.username == "boss"
    assert not account.created
    assert account.generated_password is None
    assert list(django_user_model.objects.values_list("username", flat=True)) == ["boss"]
    assert not (home / "admin_password").exists()


def test_it_is_idempotent_for_a_fresh_studio(home, no_admin_env, django_user_model):
    first = ensure_admin()

    second = ensure_admin()

    assert second.username == "admin"
    assert not second.created
    assert second.generated_password is None
    assert django_user_model.objects.count() == 1
    assert authenticate(username="admin", password=first.generated_password) is not None
