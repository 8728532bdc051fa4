"""Every route needs a signed-in user, except a short public allow-list.

The routes are collected from the URLconf itself, so a route added later is covered without
touching this file.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.regex_helper import normalize
from rest_framework.views import APIView

PUBLIC_PATHS = {"/healthz", "/login/", "/favicon.ico"}  # the favicon: a redirect to the logo
SAMPLE_UUID = "6f1c2b7e-3a4d-4e5f-9a8b-0c1d2e3f4a5b"
CONVERTER_SAMPLES = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": SAMPLE_UUID}
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


def _candidates(parameter: str = "") -> list[str]:
    """Values tried, in order, for a regex group until one matches."""
    labels = [config.label for config in apps.get_app_configs()]
    values = ["1", "x", "json", ".json", SAMPLE_UUID, *labels]
    if parameter == "format":
        values = ["json", ".json", *values]
    return values


def _fill_route(pattern: RoutePattern) -> str:
    def sample(match: re.Match) -> str:
        converter = match.group("converter") or "str"
        if converter in CONVERTER_SAMPLES:
            return CONVERTER_SAMPLES[converter]
        regex = re.compile(pattern.converters[match.group("parameter")].regex)
        for candidate in _candidates(match.group("parameter")):
            if regex.fullmatch(candidate):
                return candidate
        raise AssertionError(f"no sample value for converter {converter!r} in {pattern}")

    return ROUTE_PARAMETER.sub(sample, str(pattern))


def _fill_regex(pattern: RegexPattern) -> str:
    for template, parameters in normalize(pattern._regex):
        chosen: dict[str, str] = {}
        for parameter in parameters:
            for candidate in _candidates(parameter):
                trial = template % {**{p: candidate for p in parameters}, **chosen, parameter: candidate}
                if pattern.regex.search(trial):
                    chosen[parameter] = candidate
                    break
            else:
                chosen[parameter] = "x"
        filled = template % chosen
        if pattern.regex.search(filled):
            return filled
    raise AssertionError(f"no sample path for {pattern._regex!r}")


def _fill(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return _fill_route(pattern)
    if isinstance(pattern, RegexPattern):
        return _fill_regex(pattern)
    raise AssertionError(f"unexpected pattern type {type(pattern).__name__}")


def _walk(resolver: URLResolver, prefix: str = "/"):
    for entry in resolver.url_patterns:
        piece = _fill(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + piece)
        elif isinstance(entry, URLPattern):
            yield prefix + piece, entry.callback


def _is_api(callback) -> bool:
    view_class = getattr(callback, "cls", None)
    return view_class is not None and issubclass(view_class, APIView)


def collect_routes() -> list[tuple[str, bool]]:
    """(path, is_api) of every route in the URLconf, deduplicated by path."""
    routes: dict[str, bool] = {}
    for path, callback in _walk(get_resolver()):
        routes.setdefault(path, _is_api(callback))
    return sorted(routes.items())


ROUTES = collect_routes()
PROTECTED_PAGES = [path for path, is_api in ROUTES if not is_api and path not in PUBLIC_PATHS]
PROTECTED_API = [path for path, is_api in ROUTES if is_api and path not in PUBLIC_PATHS]


def test_it_finds_the_routes_of_the_urlconf():
    paths = {path for path, _ in ROUTES}

    assert len(ROUTES) > 15
    for expected in (
        "/healthz",
        "/login/",
        "/",
        "/profile/",
        "/api/v1/me/",
        "/api/v1/tokens/",
        "/api/v1/tokens/1/",
        "/api/schema/",
        "/jobs/",
        "/designer/",
        "/profile/tokens/1/revoke/",
        "/admin/",
    ):
        assert expected in paths, f"{expected} not collected"
    assert len(PROTECTED_PAGES) > 5
    assert len(PROTECTED_API) > 5


def test_it_fills_every_route_so_that_it_resolves():
    for path, _ in ROUTES:
        resolve(path)  # raises Resolver404 when a sample value does not fit


def _final_redirect(client, path: str, method: str = "get"):
    """Follow redirects from `path` (at most 5) and return the list of Location paths."""
    response = getattr(client, method)(path)
    locations = []
    while response.status_code in (301, 302, 303, 307, 308) and len(locations) < 5:
        location = response["Location"]
        locations.append(location)
        target = urlsplit(location)
        response = client.get(target.path, query_params=dict(_query(target.query)))
    return response, locations


def _query(query: str):
    from urllib.parse import parse_qsl

    return parse_qsl(query)


@pytest.mark.django_db
@pytest.mark.parametrize("path", PROTECTED_PAGES)
def test_it_sends_anonymous_visitors_of_a_page_to_the_login_form(client, path):
    response, locations = _final_redirect(client, path)

    assert locations, f"GET {path} answered {response.status_code} without redirecting"
    assert urlsplit(locations[-1]).path == "/login/", locations
    assert response.status_code == 200
    assert b'name="password"' in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", PROTECTED_API)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_anonymous_api_calls(client, path, method):
    response = getattr(client, method)(path)

    assert response.status_code in (401, 403), f"{method.upper()} {path}: {response.status_code}"


@pytest.mark.django_db
def test_it_asks_api_clients_for_a_bearer_token(client):
    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_it_answers_the_health_check_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"


@pytest.mark.django_db
def test_it_renders_the_login_form_without_login(client):
    response = client.get("/login/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "<form" in content
    assert 'name="username"' in content
    assert 'name="password"' in content
    assert "csrfmiddlewaretoken" in content


@pytest.mark.django_db
def test_it_serves_static_files_without_login(client):
    response = client.get("/static/img/logo.svg")

    assert response.status_code == 200
