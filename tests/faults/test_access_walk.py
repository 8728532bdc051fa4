"""The access walk (issue #16): every URL, REST route and websocket, as anonymous, a Viewer, another
Member and a revoked API token, each answer checked against ONE table.

The table is tests/studio/test_access.py's ROUTES (who may write what) plus the rows below for every
other route; the owner's world (a job, draft, environment, component, data asset, model, compute,
endpoint with versions and a key, an endpoint run) fills the path parameters with real rows.

- anonymous: a page redirects to the sign-in page, an API route answers 401 (a public one answers);
- a revoked token: every API route answers 401; a page (tokens are not a page's sign-in) redirects;
- a Viewer: reads 200, writes 403 with a reason;
- another Member: reads 200, their own creations allowed, the owner's objects' writes 403;
- websockets: anonymous and revoked-token connections are refused, a live token is accepted.

`test_every_route_is_in_the_table` fails when the URLconf has a route (or, for a REST view, a
method) the table does not classify, so a new route cannot go unwalked.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import time

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

from config.asgi import application
from runner.routing import websocket_urlpatterns
from studio.models import ApiToken
from tests import factories
from tests.studio.test_access import ADMIN, ALL, API, EP, MEMBERS, OWNER, ROUTES, make_world

PUBLIC = frozenset({"anonymous", "revoked", "viewer", "other"})
NOBODY = frozenset()  # a method the route lists but answers 405 to everyone signed in
WALKERS = ("anonymous", "revoked", "viewer", "other")

# Rows for the routes ROUTES does not name: (label, method, path, body, allowed[, expected status of
# an allowed GET when not 200]). Placeholders: {job} {draft} {key} {run} {token} {user} {env_pk} …
C, D, M, E = f"{API}/components", f"{API}/data", f"{API}/models", f"{API}/environments"
EXTRA = [
    # public
    ("health", "get", "/healthz", None, PUBLIC),
    ("favicon (on to the logo)", "get", "/favicon.ico", None, PUBLIC, (301, 302)),
    ("sign-in page (signed in: on to the dashboard)", "get", "/login/", None, PUBLIC, (200, 302)),
    ("sign out", "post", "/logout/", {}, PUBLIC, 302),
    (
        "admin sign-in (an Admin on; anyone else 403, never a loop)",
        "get",
        "/admin/login/?next=/admin/",
        None,
        ADMIN,
        302,
    ),
    # the API's root, schema and docs
    ("api root", "get", f"{API}/", None, ALL),
    ("api root .json", "get", f"{API}/.json", None, ALL),
    ("schema", "get", "/api/schema/", None, ALL),
    ("docs", "get", "/api/docs/", None, ALL),
    ("me", "get", f"{API}/me/", None, ALL),
    # tokens and users
    ("tokens", "get", f"{API}/tokens/", None, ALL),
    ("tokens .json", "get", f"{API}/tokens.json", None, ALL),
    ("tokens .json create", "post", f"{API}/tokens.json", {"name": "cli"}, ALL),
    ("token (the owner's)", "get", f"{API}/tokens/{{token}}/", None, ALL, 404),
    ("token .json", "get", f"{API}/tokens/{{token}}.json", None, ALL, 404),
    ("token delete (the owner's)", "delete", f"{API}/tokens/{{token}}/", None, ALL),
    ("token .json delete", "delete", f"{API}/tokens/{{token}}.json", None, ALL),
    ("users .json", "get", f"{API}/users.json", None, ADMIN),
    (
        "users .json create",
        "post",
        f"{API}/users.json",
        {"username": "x", "password": "a-long-pass-1"},
        ADMIN,
    ),
    ("user", "get", f"{API}/users/owner/", None, ADMIN),
    ("user .json", "get", f"{API}/users/owner.json", None, ADMIN),
    ("user put", "put", f"{API}/users/other/", {"username": "other", "role": "viewer"}, ADMIN),
    ("user .json put", "put", f"{API}/users/other.json", {"role": "viewer"}, ADMIN),
    ("user .json patch", "patch", f"{API}/users/other.json", {"role": "viewer"}, ADMIN),
    ("audit", "get", f"{API}/audit/", None, ADMIN),
    ("audit .json", "get", f"{API}/audit.json", None, ADMIN),
    # assets: every kind reads for all, creates for Members, archives for the owner
    *[
        row
        for base, name, create in (
            (E, "env", {"name": "e3", "image": "python:3.12"}),
            (C, "comp", {"name": "c3"}),
            (D, "rows", {"name": "d3"}),
            (M, "mdl", {"name": "m3"}),
        )
        for row in (
            (f"{base} list", "get", f"{base}/", None, ALL),
            (f"{base} create", "post", f"{base}/", create, MEMBERS),
            (f"{base} versions", "get", f"{base}/{name}/versions/", None, ALL),
            (f"{base} latest", "get", f"{base}/{name}@latest/", None, ALL),
            (f"{base} latest export", "get", f"{base}/{name}@latest/export/", None, ALL),
            (f"{base} detail", "get", f"{base}/{name}/1/", None, ALL),
            (f"{base} export", "get", f"{base}/{name}/1/export/", None, ALL),
            (f"{base} archive", "post", f"{base}/{name}/1/archive/", None, OWNER),
            (f"{base} unarchive", "delete", f"{base}/{name}/1/archive/", None, OWNER),
        )
        if not (base == E and name == "env" and row[1] in ("post", "delete") and "archive" in row[2])
    ],
    ("component graph", "get", f"{C}/comp/1/graph/", None, ALL, 400),
    ("datastores", "get", f"{API}/datastores/", None, ALL),
    ("datastore", "get", f"{API}/datastores/workspaceblobstore/", None, ALL),
    ("datastore export", "get", f"{API}/datastores/workspaceblobstore/export/", None, ALL),
    # runner
    ("snapshot upload", "post", f"{API}/snapshots/", {}, MEMBERS),
    ("metric names", "get", f"{API}/jobs/metric-names/", None, ALL),
    ("job metrics", "get", f"{API}/jobs/{{job}}/metrics/", None, ALL),
    ("output file", "get", f"{API}/jobs/{{job}}/steps/s/outputs/out/a.csv", None, ALL, 404),
    ("artifacts", "get", f"{API}/jobs/{{job}}/steps/s/artifacts/", None, ALL, 404),
    ("artifact file", "get", f"{API}/jobs/{{job}}/steps/s/artifacts/a.txt", None, ALL, 404),
    ("compute", "get", f"{API}/computes/box/", None, ALL),
    ("compute put (no one: PATCH it)", "put", f"{API}/computes/box/", {"name": "box"}, NOBODY),
    ("compute check", "post", f"{API}/computes/box/check/", None, ADMIN),
    ("job summaries", "get", f"{API}/jobs/summaries/", None, ALL),
    ("job validate", "post", f"{API}/jobs/validate/", {"jobs": {}}, MEMBERS),
    ("job", "get", f"{API}/jobs/{{job}}/", None, ALL),
    ("job events", "get", f"{API}/jobs/{{job}}/events/", None, ALL),
    ("step logs", "get", f"{API}/jobs/{{job}}/steps/s/logs/", None, ALL, 404),
    ("step log download", "get", f"{API}/jobs/{{job}}/steps/s/logs/download/", None, ALL, 404),
    ("step outputs", "get", f"{API}/jobs/{{job}}/steps/s/outputs/", None, ALL, 404),
    ("step preview", "get", f"{API}/jobs/{{job}}/steps/s/preview/", None, ALL, 404),
    ("step table", "get", f"{API}/jobs/{{job}}/steps/s/table/", None, ALL, 400),
    ("step reuse", "get", f"{API}/jobs/{{job}}/steps/s/reuse/", None, ALL, 404),
    # designer
    ("drafts", "get", f"{API}/drafts/", None, ALL),
    ("draft import", "post", f"{API}/drafts/import/", {"yaml": "steps: {{}}\n"}, MEMBERS),
    ("draft", "get", f"{API}/drafts/{{draft}}/", None, ALL),
    ("draft put", "put", f"{API}/drafts/{{draft}}/", {"name": "renamed"}, OWNER),
    ("draft validate (changes nothing)", "post", f"{API}/drafts/{{draft}}/validate/", {}, MEMBERS),
    ("draft export", "get", f"{API}/drafts/{{draft}}/export/", None, ALL),
    # endpoints
    ("endpoints", "get", f"{API}/endpoints/", None, ALL),
    ("endpoint", "get", f"{EP}/", None, ALL),
    ("endpoint version", "get", f"{EP}/versions/1/", None, ALL),
    ("endpoint keys (never their secrets)", "get", f"{EP}/keys/", None, ALL),
    ("endpoint invocations", "get", f"{EP}/invocations/", None, ALL),
    ("endpoint runs", "get", f"{EP}/runs", None, ALL),
    ("endpoint run", "get", f"{EP}/runs/{{run}}", None, ALL),
    ("endpoint openapi", "get", f"{EP}/openapi.json", None, ALL),
    # pages
    ("dashboard", "get", "/", None, ALL),
    ("jobs page", "get", "/jobs/", None, ALL),
    ("compare page (no jobs chosen: 400)", "get", "/jobs/compare/", None, ALL, 400),
    ("designer page", "get", "/designer/", None, ALL),
    ("designer import page", "post", "/designer/import/", {}, MEMBERS),
    ("canvas page", "get", "/designer/{draft}/", None, ALL),
    ("endpoints page", "get", "/endpoints/", None, ALL),
    ("endpoint diff page", "get", "/endpoints/ep/diff/", None, ALL),
    ("environments page", "get", "/environments/", None, ALL),
    ("environment page", "get", "/environments/env/", None, ALL),
    ("environment version page", "get", "/environments/env/1/", None, ALL),
    ("components page", "get", "/components/", None, ALL),
    ("component page", "get", "/components/comp/", None, ALL),
    ("component diff page", "get", "/components/comp/diff/", None, ALL),
    ("component version page", "get", "/components/comp/1/", None, ALL),
    ("component code page", "get", "/components/comp/1/code/main.py", None, ALL),
    ("data page", "get", "/data/", None, ALL),
    ("data asset page", "get", "/data/rows/", None, ALL),
    ("data version page", "get", "/data/rows/1/", None, ALL),
    ("data raw (images only: 404 for a csv)", "get", "/data/rows/1/raw/rows.csv", None, ALL, 404),
    ("models page", "get", "/models/", None, ALL),
    ("model page", "get", "/models/mdl/", None, ALL),
    ("model version page", "get", "/models/mdl/1/", None, ALL),
    ("datastores page", "get", "/datastores/", None, ALL),
    ("datastore page", "get", "/datastores/workspaceblobstore/", None, ALL),
    ("computes page", "get", "/computes/", None, ALL),
    ("compute page", "get", "/computes/box/", None, ALL),
    ("compute check page", "post", "/computes/box/check/", {}, ADMIN),
    ("audit page", "get", "/audit/", None, ADMIN),
    ("profile page", "get", "/profile/", None, ALL),
    ("token revoke page (the owner's)", "post", "/profile/tokens/{token}/revoke/", {}, ALL, 404),
]


def admin_rows() -> list[tuple]:
    """The Django admin: Admins only. One row per route of the site and of each registered model."""
    rows = [
        ("admin index", "get", "/admin/", None, ADMIN),
        ("admin logout (signs anyone out)", "post", "/admin/logout/", {}, ALL, 302),
        ("admin password change", "get", "/admin/password_change/", None, ADMIN),
        ("admin password changed", "get", "/admin/password_change/done/", None, ADMIN),
        ("admin autocomplete", "get", "/admin/autocomplete/", None, ADMIN, 403),
        ("admin jsi18n", "get", "/admin/jsi18n/", None, ADMIN),
        ("admin shortcut", "get", "/admin/r/1/1/", None, ADMIN, 404),
        ("admin catch-all", "get", "/admin/nowhere/", None, ADMIN, 404),
        ("admin user password", "get", "/admin/auth/user/{owner_pk}/password/", None, ADMIN),
    ]
    for model in admin.site._registry:
        meta = model._meta
        base = f"/admin/{meta.app_label}/{meta.model_name}"
        ident = "{" + meta.model_name + "_pk}"
        rows += [
            (f"admin app {meta.app_label}", "get", f"/admin/{meta.app_label}/", None, ADMIN),
            (f"admin {meta.model_name} list", "get", f"{base}/", None, ADMIN),
            (f"admin {meta.model_name} add", "get", f"{base}/add/", None, ADMIN, (200, 403)),
            (f"admin {meta.model_name} history", "get", f"{base}/{ident}/history/", None, ADMIN),
            (f"admin {meta.model_name} delete", "get", f"{base}/{ident}/delete/", None, ADMIN, (200, 403)),
            (f"admin {meta.model_name} change", "get", f"{base}/{ident}/change/", None, ADMIN),
            (f"admin {meta.model_name} bare", "get", f"{base}/{ident}/", None, ADMIN, 302),
        ]
    return rows


def table() -> list[tuple]:
    """ONE table: test_access's ROUTES (who may), the rows above and the admin's. A ROUTES row about
    a job's step names step `s`, which the world's job does not have: allowed, it answers 404."""
    routes = [(*row, 404) if len(row) == 5 and "/steps/s/" in row[2] else row for row in ROUTES]
    return [*routes, *EXTRA, *admin_rows()]


# --- the world ------------------------------------------------------------------------------------


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def make_full_world() -> dict:
    """test_access's world plus a component, data asset and model of the owner's, their token and
    the revoked token of another Member."""
    world = make_world()
    owner, other = world["people"]["owner"], world["people"]["other"]
    as_owner = factories.api_client(owner)
    component = (
        "type: command\nname: comp\nversion: '1'\ncode: ./src\nenvironment: azureml:env:1\n"
        "command: python main.py\n"
    )
    uploads = {
        "components": {
            "file": SimpleUploadedFile("component.yml", component.encode()),
            "code": SimpleUploadedFile("src.tar.gz", _tar_gz({"main.py": b"print(1)\n"})),
        },
        "data": {
            "file": SimpleUploadedFile(
                "data.yml", b"name: rows\nversion: '1'\ntype: uri_file\npath: rows.csv\n"
            ),
            "path": SimpleUploadedFile("rows.csv", b"a,b\n1,2\n"),
        },
        "models": {
            "file": SimpleUploadedFile("model.yml", b"name: mdl\nversion: '1'\npath: ./weights.bin\n"),
            "path": SimpleUploadedFile("weights.bin", b"\x00\x01"),
        },
    }
    for kind, parts in uploads.items():
        created = as_owner.post(f"{API}/{kind}/", parts)
        assert created.status_code == 201, (kind, created.content)
    token, _ = ApiToken.issue(owner, "owner's")
    revoked, raw = ApiToken.issue(other, "gone")
    revoked.revoke()
    from studio.models import Component, Compute, DataAsset, Environment

    world.update(
        token=token.pk,
        revoked=raw,
        owner_pk=owner.pk,
        user_pk=owner.pk,
        group_pk=None,
        environment_pk=Environment.objects.get(name="env").pk,
        component_pk=Component.objects.get(name="comp").pk,
        dataasset_pk=DataAsset.objects.get(name="rows").pk,
        compute_pk=Compute.objects.get(name="box").pk,
        apitoken_pk=token.pk,
        pipelinedraft_pk=world["draft"],
    )
    from django.contrib.auth.models import Group

    world["group_pk"] = Group.objects.get_or_create(name="viewers-walk")[0].pk
    return world


def fill(value, world: dict):
    names = {key: item for key, item in world.items() if key not in ("people",)}
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {key: fill(item, world) for key, item in value.items()}
    return value


# --- calling ----------------------------------------------------------------------------------------


class Rollback(Exception):
    pass


def call(world: dict, actor: str, method: str, path: str, body):
    """One call as `actor`, its changes rolled back so every row meets the same world."""
    api = path.startswith("/api/")
    if api:
        client = APIClient()
        if actor == "revoked":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['revoked']}")
        elif actor != "anonymous":
            client.force_authenticate(world["people"][actor])
    else:
        client = Client(enforce_csrf_checks=False)
        if actor == "revoked":
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world['revoked']}"
        elif actor != "anonymous":
            client.force_login(world["people"][actor])
    response = None
    try:
        with transaction.atomic():
            if api and body is not None:
                response = getattr(client, method)(path, json.dumps(body), content_type="application/json")
            elif api:
                response = getattr(client, method)(path)
            else:
                response = getattr(client, method)(path, body or {})
            raise Rollback
    except Rollback:
        pass
    return response


def reason_of(response) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            return str(response.json().get("detail", ""))
        except (ValueError, AttributeError):
            return ""
    return response.content.decode(errors="replace")


def expected(row: tuple, actor: str) -> str:
    """What `actor` must get for a row, in words: 'allowed', 'sign-in', '401' or '403'."""
    allowed = row[4]
    if allowed is PUBLIC:
        return "allowed"
    if actor in ("anonymous", "revoked"):
        return "401" if row[2].startswith("/api/") else "sign-in"
    if allowed is NOBODY:
        return "405"
    return "allowed" if actor in allowed else "403"


def verdict(row: tuple, actor: str, response) -> str | None:
    """None when the answer is the expected one, else what went wrong."""
    label, method, path = row[:3]
    want = expected(row, actor)
    status = response.status_code
    said = f"{label}: {method.upper()} {path} as {actor} wants {want}, got {status} "
    said += repr(reason_of(response)[:160])
    if status >= 500:
        return said
    if want == "allowed":
        if status in (401, 403) and not (len(row) > 5 and status in _oks(row)):
            return said
        if method == "get" and status not in _oks(row):
            return said
        return None
    if want == "sign-in":
        location = response.get("Location", "")
        ok = status == 302 and (location.startswith("/login/") or location.startswith("/admin/login/"))
        return None if ok else said
    if want in ("401", "405"):
        return None if status == int(want) else said
    # 403 with a reason; the Django admin refuses by sending people to /admin/login/, which answers
    # 403 to a signed-in non-Admin (its own row)
    if path.startswith("/admin/") and not path.startswith("/admin/login/"):
        return None if status == 302 and "/login/" in response.get("Location", "") else said
    return None if status == 403 and "Admin" in reason_of(response) else said


def _oks(row: tuple) -> tuple[int, ...]:
    if len(row) <= 5:
        return (200,)
    return row[5] if isinstance(row[5], tuple) else (row[5],)


# --- the tests ----------------------------------------------------------------------------------------

PARAMETER = re.compile(r"\(\?P<[^>]+>[^)]*\)|<[^>]+>")


def _route(prefix: str, pattern) -> str:
    text = str(pattern)
    return prefix + (text[1:] if text.startswith("^") else text)


def url_patterns(resolver=None, prefix: str = "") -> list[tuple[str, object]]:
    """Every (route, callback) of the URLconf, the route as ResolverMatch.route spells it."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            found += url_patterns(entry, _route(prefix, entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append((_route(prefix, entry.pattern), entry.callback))
    return found


def rest_methods(callback) -> set[str] | None:
    """The methods a REST view answers (None for a plain Django view)."""
    cls = getattr(callback, "cls", None)
    if cls is None:
        return None
    actions = getattr(callback, "actions", None)
    if actions:  # DRF adds 'head' to a GET route's actions once it has been called: HEAD is GET
        return set(actions) - {"head", "options"}
    return {m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}


WS_ROUTES = {
    "ws/notifications/": "/ws/notifications/",
    "ws/jobs/<slug:name>/": "/ws/jobs/{job}/",
}

SAMPLE_WORLD = {
    "job": "job-x",
    "draft": 1,
    "key": 1,
    "run": "run-x",
    "token": 1,
    "owner_pk": 1,
    **{f"{m._meta.model_name}_pk": 1 for m in admin.site._registry},
}


@pytest.mark.django_db
def test_every_route_is_in_the_table():
    """Each URL pattern (and each method of a REST view) is classified by a row; no row is stale."""
    named: dict[str, set[str]] = {}
    for row in table():
        path = fill(row[2], {**SAMPLE_WORLD, "people": None}).split("?")[0]
        route = resolve(path).route
        named.setdefault(route, set()).add(row[1])
    missing, stale = [], []
    routes = url_patterns()
    for route, callback in routes:
        if route not in named:
            missing.append(route)
            continue
        methods = rest_methods(callback)
        if methods is not None:
            missing += [f"{method.upper()} {route}" for method in sorted(methods - named[route])]
    stale = sorted(set(named) - {route for route, _ in routes})
    ws_missing = [str(p.pattern) for p in websocket_urlpatterns if str(p.pattern) not in WS_ROUTES]
    print(
        f"\naccess walk table: {len(routes)} URL patterns, {len(table())} rows, {len(WS_ROUTES)} websockets"
    )
    assert not missing and not stale and not ws_missing, (
        "routes the access table does not classify (add a row to tests/faults/test_access_walk.py "
        f"or tests/studio/test_access.py): {missing + ws_missing}; rows naming no route: {stale}"
    )


@pytest.mark.django_db
def test_every_route_answers_each_actor_as_the_table_says(settings, tmp_path):
    settings.STUDIO_HOME = tmp_path
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    started = time.monotonic()
    world = make_full_world()
    wrong, calls = [], 0
    counts = {actor: {} for actor in WALKERS}
    for row in table():
        path, body = fill(row[2], world), fill(row[3], world)
        for actor in WALKERS:
            response = call(world, actor, row[1], path, body)
            calls += 1
            kind = expected(row, actor)
            counts[actor][kind] = counts[actor].get(kind, 0) + 1
            problem = verdict(row, actor, response)
            if problem:
                wrong.append(problem)
    summary = ", ".join(
        f"{actor} " + "/".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        for actor, kinds in counts.items()
    )
    print(
        f"\naccess walk: {len(table())} rows x {len(WALKERS)} actors = {calls} calls, "
        f"{calls - len(wrong)} as the table says, {len(wrong)} not ({summary}) "
        f"in {time.monotonic() - started:.1f}s"
    )
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_an_endpoint_run_needs_a_live_key(settings, tmp_path):
    """Invoking without a key, with a made-up or revoked key: 401; with the key: accepted."""
    settings.STUDIO_HOME = tmp_path
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    world = make_world()
    from endpoints.models import EndpointKey, PipelineEndpoint

    endpoint = PipelineEndpoint.objects.get(name="ep")
    _, live = EndpointKey.issue(endpoint, "live", user=world["people"]["owner"])
    dead_key, dead = EndpointKey.issue(endpoint, "dead", user=world["people"]["owner"])
    dead_key.revoked_at = dead_key.created_at
    dead_key.save()
    answers = {}
    for label, header in (
        ("none", None),
        ("made up", "Bearer stu_ek_madeup"),
        ("revoked", f"Bearer {dead}"),
        ("live", f"Bearer {live}"),
    ):
        client = APIClient()
        if header:
            client.credentials(HTTP_AUTHORIZATION=header)
        answers[label] = client.post(f"{EP}/runs", {}, format="json")
    print(f"\nendpoint keys: {', '.join(f'{k} {v.status_code}' for k, v in answers.items())}")
    for label in ("none", "made up", "revoked"):
        assert answers[label].status_code == 401, (label, answers[label].content)
        assert reason_of(answers[label]), label
    assert answers["live"].status_code in (200, 201, 202), answers["live"].content


def _connect(path: str, *headers: tuple[bytes, bytes]) -> bool:
    async def attempt():
        communicator = WebsocketCommunicator(application, path, headers=[(b"host", b"localhost"), *headers])
        connected, _ = await communicator.connect(timeout=5)
        if connected:
            output = await communicator.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                return False
            await communicator.disconnect()
        return connected

    return async_to_sync(attempt)()


@pytest.mark.django_db(transaction=True)
def test_every_websocket_refuses_anonymous_and_revoked_tokens():
    owner = factories.make_user("owner")
    from pipelines.spec import PipelineSpec
    from runner.actions import submit_pipeline

    job = submit_pipeline(PipelineSpec.model_validate({"steps": {}}), user=owner)
    _, live = ApiToken.issue(owner, "live")
    gone, dead = ApiToken.issue(owner, "gone")
    gone.revoke()
    outcomes = []
    for route, template in WS_ROUTES.items():
        path = template.format(job=job.name)
        anonymous = _connect(path, (b"origin", b"http://localhost"))
        revoked = _connect(path, (b"authorization", f"Bearer {dead}".encode()))
        accepted = _connect(path, (b"authorization", f"Bearer {live}".encode()))
        outcomes.append((route, anonymous, revoked, accepted))
    print(f"\nwebsockets: {len(outcomes)} routes x 3 callers: {outcomes}")
    for route, anonymous, revoked, accepted in outcomes:
        assert not anonymous, f"{route} accepted an anonymous connection"
        assert not revoked, f"{route} accepted a revoked token"
        assert accepted, f"{route} refused a live token"
