"""Server-side requests: URLs users give never reach loopback, link-local or private addresses.

Studio fetches a data input's (or data asset's) http(s) URL on the worker; a compute's engine URL
is probed by the server. The address checks are tested one class at a time; everything else runs
against real HTTP servers on loopback (127.0.0.1, and 127.0.0.2 where a test needs one address
allowed and another not). A fake resolver stands in for DNS only where a test needs a name.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipelines.compiler import compile_pipeline
from runner.actions import submit_pipeline
from runner.choices import JobStatus
from runner.staging import StagingError, download_once
from studio import net
from studio.models import DataAsset
from studio.schemas.loading import DefinitionError, load_document
from tests.runner.jobs import PIPELINES, wait_for

REFUSAL = "Studio does not fetch private or local addresses (STUDIO_ALLOW_PRIVATE_URLS)"
SECRET = "TOP-SECRET-do-not-echo-7f3a"


class Site(ThreadingHTTPServer):
    """An HTTP server on a loopback address: `routes` maps a path to (status, headers, body)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.seen: list[tuple[str, str]] = []  # (path, Host header) of every request
        super().__init__((host, 0), _Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.server_address[0]}:{self.server_port}{path}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: Site

    def do_GET(self):  # noqa: N802 - the http.server API
        self.server.seen.append((self.path, self.headers.get("Host", "")))
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"not here"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    server.routes["/table.csv"] = (200, {"Content-Type": "text/csv"}, b"x,y\n1,2\n")
    yield server
    server.stop()


@pytest.fixture
def second_loopback() -> Iterator[Site]:
    """A server on 127.0.0.2 (another loopback address, so a test can allow it and not 127.0.0.1)."""
    try:
        server = Site("127.0.0.2")
    except OSError as error:  # pragma: no cover - Linux routes all of 127/8 to lo
        pytest.skip(f"cannot listen on 127.0.0.2: {error}")
    yield server
    server.stop()


@pytest.fixture
def private_urls_refused(settings):
    settings.STUDIO_ALLOW_PRIVATE_URLS = False
    settings.STUDIO_PRIVATE_URL_NETWORKS = []


def fake_dns(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Resolve the names in `answers` (a list per lookup pops its first item when it has several)."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers and net._literal(str(host)) is not None:
            return real(host, port, *args, **kwargs)  # the connection to a checked address
        asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = answers[host]
        chosen = [addresses.pop(0)] if len(addresses) > 1 and host.startswith("rebind") else addresses
        result = []
        for address in chosen:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            result.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return result

    monkeypatch.setattr(net.socket, "getaddrinfo", getaddrinfo)
    return asked


# --- the address classes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.254", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fc00::1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "a non-public address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:169.254.169.254", "a link-local address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "a link-local address"),  # NAT64 of 169.254.169.254
    ],
)
def test_each_class_of_address_is_refused(address, kind, private_urls_refused):
    ip = ipaddress.ip_address(address)
    assert net.address_kind(ip) == kind
    problem = net.url_problem(f"http://[{address}]/x" if ":" in address else f"http://{address}/x")
    assert problem == f"{address} is {kind}; {REFUSAL}"


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses_are_allowed(address, private_urls_refused):
    assert net.address_kind(ipaddress.ip_address(address)) is None
    assert net.url_problem(f"https://[{address}]/x" if ":" in address else f"https://{address}/x") is None


def test_a_name_is_judged_by_every_address_it_resolves_to(monkeypatch, private_urls_refused):
    asked = fake_dns(
        monkeypatch,
        {
            "public.example": ["93.184.216.34", "2606:4700::1111"],
            "mixed.example": ["93.184.216.34", "10.0.0.7"],
            "metadata.example": ["169.254.169.254"],
        },
    )
    assert net.url_problem("https://public.example/data.csv") is None
    assert net.url_problem("https://mixed.example/data.csv") == (
        f"mixed.example resolves to 10.0.0.7, a private address; {REFUSAL}"
    )
    assert "a link-local address" in net.url_problem("http://metadata.example/latest/meta-data/")
    # A name that does not resolve now is checked again where it is fetched, not refused at submit.
    assert net.url_problem("https://nowhere.example/data.csv") is None
    assert asked == ["public.example", "mixed.example", "metadata.example", "nowhere.example"]


def test_odd_spellings_of_loopback_resolve_to_it(private_urls_refused):
    for url in ("http://2130706433/x", "http://0x7f.1/x", "http://localhost:8080/x", "http://0/x"):
        problem = net.url_problem(url)
        assert problem is not None and REFUSAL in problem, url
        assert "loopback" in problem or "unspecified" in problem, problem


def test_only_http_urls_with_a_host_are_fetched(private_urls_refused):
    with pytest.raises(net.URLRefused, match="only http and https"):
        net.checked_addresses("file:///etc/passwd")
    with pytest.raises(net.URLRefused, match="names no host"):
        net.checked_addresses("http:///x")


def test_the_settings_allow_private_addresses(settings):
    settings.STUDIO_ALLOW_PRIVATE_URLS = False
    settings.STUDIO_PRIVATE_URL_NETWORKS = ["10.1.0.0/16", "fd00::/8"]
    assert net.url_problem("http://10.1.2.3/x") is None
    assert net.url_problem("http://[fd00::5]/x") is None
    assert net.url_problem("http://[::ffff:10.1.2.3]/x") is None
    assert "a private address" in net.url_problem("http://10.2.0.1/x")
    assert "a loopback address" in net.url_problem("http://127.0.0.1/x")
    settings.STUDIO_ALLOW_PRIVATE_URLS = True
    assert net.url_problem("http://127.0.0.1/x") is None


# --- fetching for real, from loopback servers ----------------------------------------------------


def test_a_loopback_url_is_not_fetched_by_default(site, private_urls_refused, tmp_path, settings):
    settings.ARTIFACTS_ROOT = tmp_path
    with pytest.raises(StagingError, match=re.escape(f"127.0.0.1 is a loopback address; {REFUSAL}")):
        download_once("job-1", site.url("/table.csv"), "uri_file")
    assert site.seen == []


def test_a_loopback_url_is_fetched_when_the_setting_allows_it(site, settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path
    settings.STUDIO_ALLOW_PRIVATE_URLS = True
    path = download_once("job-1", site.url("/table.csv"), "uri_file")
    assert path.read_bytes() == b"x,y\n1,2\n"
    assert site.seen == [("/table.csv", f"127.0.0.1:{site.server_port}")]


def test_a_redirect_to_loopback_is_refused(site, second_loopback, settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path
    settings.STUDIO_ALLOW_PRIVATE_URLS = False
    settings.STUDIO_PRIVATE_URL_NETWORKS = ["127.0.0.2/32"]  # the first server is allowed, 127.0.0.1 not
    second_loopback.routes["/data.csv"] = (302, {"Location": site.url("/table.csv")}, b"")
    second_loopback.routes["/relative.csv"] = (301, {"Location": "/final.csv"}, b"")
    second_loopback.routes["/final.csv"] = (200, {}, b"a\n1\n")

    with pytest.raises(StagingError) as refused:
        download_once("job-1", second_loopback.url("/data.csv"), "uri_file")
    assert f"redirects to {site.url('/table.csv')}: 127.0.0.1 is a loopback address" in str(refused.value)
    assert site.seen == []  # never asked
    # A redirect that stays on an allowed address is followed.
    assert download_once("job-2", second_loopback.url("/relative.csv"), "uri_file").read_bytes() == b"a\n1\n"


def test_redirects_are_limited(second_loopback, settings):
    settings.STUDIO_PRIVATE_URL_NETWORKS = ["127.0.0.2/32"]
    settings.STUDIO_ALLOW_PRIVATE_URLS = False
    second_loopback.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(net.FetchError, match="redirects more than 5 times"):
        with net.fetch(second_loopback.url("/loop")):
            pass
    assert len(second_loopback.seen) == 6


def test_an_error_answer_names_the_status_not_the_body(site, settings):
    settings.STUDIO_ALLOW_PRIVATE_URLS = True
    site.routes["/secret"] = (403, {}, SECRET.encode())
    with pytest.raises(net.FetchError) as failed:
        with net.fetch(site.url("/secret")):
            pass
    assert "HTTP 403" in str(failed.value) and SECRET not in str(failed.value)


def test_the_checked_address_is_the_one_connected_to(second_loopback, site, monkeypatch, settings):
    """DNS rebinding: the name resolves to an allowed address, then to loopback; the fetch goes to
    the address it checked, with the name in the Host header."""
    settings.STUDIO_ALLOW_PRIVATE_URLS = False
    settings.STUDIO_PRIVATE_URL_NETWORKS = ["127.0.0.2/32"]
    second_loopback.routes["/d.csv"] = (200, {}, b"from the checked address")
    site.routes["/d.csv"] = (200, {}, b"from loopback")
    asked = fake_dns(monkeypatch, {"rebind.example": ["127.0.0.2", "127.0.0.1"]})
    # 127.0.0.1 and 127.0.0.2 listen on different ports: point the name's port at the allowed one.
    url = f"http://rebind.example:{second_loopback.server_port}/d.csv"
    with net.fetch(url) as response:
        assert response.read() == b"from the checked address"
    assert asked == ["rebind.example"]  # resolved once: the check and the connection use one answer
    assert second_loopback.seen == [("/d.csv", f"rebind.example:{second_loopback.server_port}")]
    # The next lookup answers loopback: refused, nothing sent.
    with pytest.raises(net.URLRefused, match="rebind.example resolves to 127.0.0.1, a loopback address"):
        with net.fetch(url):
            pass
    assert site.seen == []


# --- refused where the URL is given --------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_reading_a_loopback_url_is_refused_at_submit(
    admin_client, computes, library, site, private_urls_refused
):
    url = site.url("/table.csv")
    document = {
        "type": "pipeline",
        "settings": {"default_compute": "azureml:local"},
        "jobs": {
            "copy": {
                "type": "command",
                "component": "azureml:run_command:1",
                "inputs": {"input_folder": {"type": "uri_folder", "path": url}},
            }
        },
    }
    response = admin_client.post("/api/v1/jobs/", json.dumps(document), content_type="application/json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["errors"]) == ["jobs.copy.inputs.input_folder.path"], body
    [message] = body["errors"]["jobs.copy.inputs.input_folder.path"]
    assert message.startswith(f"127.0.0.1 is a loopback address; {REFUSAL}"), message
    assert site.seen == []


@pytest.mark.django_db
def test_a_data_asset_on_a_private_address_is_refused_at_registration(
    admin_client, private_urls_refused, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.ARTIFACTS_ROOT = tmp_path
    definition = (
        b"name: internal\nversion: '1'\ntype: uri_file\npath: http://169.254.169.254/latest/meta-data\n"
    )
    response = admin_client.post("/api/v1/data/", {"file": SimpleUploadedFile("data.yml", definition)})
    assert response.status_code == 400, response.content
    [message] = response.json()["errors"]["path"]
    assert message.startswith(f"169.254.169.254 is a link-local address; {REFUSAL}"), message
    assert not DataAsset.objects.filter(name="internal").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.docker
def test_a_job_reads_a_loopback_url_only_when_allowed(computes, library, worker, site, settings):
    """The real path: compile, submit, the worker fetches the input and the step reads it."""
    site.routes["/data/value.txt"] = (200, {}, b"cherry\n")
    folder = PIPELINES / "reuse"
    path = folder / "pipeline.yml"

    def submit():
        document, index = load_document(path.read_bytes(), filename=str(path))
        document["settings"] = {"default_compute": "azureml:docker"}
        document["inputs"]["data"] = {"type": "uri_folder", "path": site.url("/data/value.txt")}
        return submit_pipeline(compile_pipeline(document, index=index, filename=str(path), base_dir=folder))

    settings.STUDIO_ALLOW_PRIVATE_URLS = False
    settings.STUDIO_PRIVATE_URL_NETWORKS = []
    with pytest.raises(DefinitionError) as refused:
        submit()
    problems = [(p.field, p.message) for p in refused.value.problems]
    assert problems[0] == ("inputs.data.path", f"127.0.0.1 is a loopback address; {REFUSAL}"), problems

    settings.STUDIO_ALLOW_PRIVATE_URLS = True
    job = submit()
    # Allowed when submitted, refused when fetched: the step fails with the reason.
    settings.STUDIO_ALLOW_PRIVATE_URLS = False
    wait_for(job, timeout=90)
    failed = job.steps.get(name="a")
    assert job.status == JobStatus.FAILED and REFUSAL in failed.status_reason, failed.status_reason
    assert site.seen == []

    settings.STUDIO_ALLOW_PRIVATE_URLS = True
    job = submit()
    wait_for(job, timeout=90)
    steps = {step.name: step for step in job.steps.all()}
    assert job.status == JobStatus.COMPLETED, {n: (s.status, s.status_reason) for n, s in steps.items()}
    value = (Path(steps["b"].outputs["out"]["path"]) / "value.txt").read_text().strip()
    assert value == "code-1|hello|cherry|plain!"
    assert [seen[0] for seen in site.seen] == ["/data/value.txt"]


# --- a compute's engine URL: never a reader of what answers there --------------------------------


@pytest.fixture
def banner_server() -> Iterator[int]:
    """A TCP service that answers anything with a secret first line (as Redis or SSH would)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    connection.recv(4096)
                    connection.sendall(f"{SECRET} banner\r\n\r\n".encode())
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    listener.close()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [200, 404, 500])
def test_a_compute_probe_never_shows_what_a_non_docker_address_answered(admin_client, site, status):
    body = (SECRET + " internal admin page ") * 40
    for path in ("/version", "/_ping", "/info", "/v1.41/info", "/"):
        site.routes[path] = (status, {"Content-Type": "text/html"}, body.encode())
    for scheme in ("http", "tcp"):
        name = f"probe-{scheme}-{status}"
        engine = f"{scheme}://127.0.0.1:{site.server_port}"
        response = admin_client.post(
            "/api/v1/computes/",
            json.dumps({"name": name, "kind": "docker", "engine_url": engine}),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        assert SECRET not in response.content.decode()
        compute = response.json()
        assert compute["state"] == "offline"
        expected = f"HTTP {status}" if status != 200 else "not Docker's JSON"
        assert "the address answered, but not as a Docker engine" in compute["state_detail"]
        assert expected in compute["state_detail"], compute["state_detail"]
        checked = admin_client.post(f"/api/v1/computes/{name}/check/")
        listed = admin_client.get("/api/v1/computes/")
        page = admin_client.get(f"/computes/{name}/")
        for answer in (checked, listed, page):
            assert SECRET not in answer.content.decode(), answer.request["PATH_INFO"]
    assert site.seen, "the probe never reached the server"


@pytest.mark.django_db
def test_a_compute_probe_never_shows_a_non_http_banner(admin_client, banner_server):
    response = admin_client.post(
        "/api/v1/computes/",
        json.dumps({"name": "banner", "kind": "docker", "engine_url": f"tcp://127.0.0.1:{banner_server}"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert SECRET not in response.content.decode()
    assert "the address answered, but not as a Docker engine" in response.json()["state_detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["ftp://host", "file:///var/run/docker.sock", "gopher://127.0.0.1:70"])
def test_an_engine_url_of_another_scheme_is_refused_naming_it(admin_client, url):
    response = admin_client.post(
        "/api/v1/computes/",
        json.dumps({"name": "odd", "kind": "docker", "engine_url": url}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    [message] = response.json()["errors"]["engine_url"]
    assert message.startswith(f"{url.partition('://')[0]}:// is not a Docker engine address; use unix://")
