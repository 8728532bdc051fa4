"""Fetching a URL a user gave without reaching the server's own network (server-side request forgery).

A data input or a data asset may name an http(s) URL that the worker downloads. Left alone, that
download reaches whatever the worker can: its loopback services, the cloud's link-local metadata
address (169.254.169.254), the private network it sits on. So every URL a user gives is checked
where it is accepted (`url_problem`, at submit and registration) and again where it is fetched
(`fetch`): its host is resolved and the URL is refused when ANY address it resolves to is loopback,
link-local, private, unspecified, multicast, reserved or otherwise not public (IPv4-mapped, 6to4
and NAT64 forms of those too). `fetch` then connects to the very address it checked (the original
host goes in the Host header and in TLS's SNI and certificate check), so a name that resolves
differently a moment later (DNS rebinding) changes nothing, and follows redirects itself, checking
every hop.

`STUDIO_ALLOW_PRIVATE_URLS=true` turns the address check off (a trusted single-user install whose
data sits on the LAN); `STUDIO_PRIVATE_URL_NETWORKS` allows just some networks. Proxies from the
environment (HTTP_PROXY...) are not used: the check is only worth something on a direct connection.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
from collections.abc import Iterator
from urllib.parse import unquote, urljoin, urlsplit

import urllib3
from django.conf import settings
from requests.utils import DEFAULT_CA_BUNDLE_PATH, requote_uri

from studio.errors import StudioError

SETTING = "STUDIO_ALLOW_PRIVATE_URLS"
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
SCHEMES = {"http": 80, "https": 443}
NAT64 = ipaddress.ip_network("64:ff9b::/96")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class URLRefused(StudioError):
    """Raised for a URL Studio will not fetch: not http(s), no host, or a private or local address."""

    status = 400


class FetchError(StudioError):
    """Raised when a URL cannot be fetched: its name does not resolve, nothing answers, HTTP 4xx/5xx."""

    status = 502


def address_kind(address: Address) -> str | None:
    """What makes an address off limits ("a loopback address"...), or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:  # an IPv4 address in IPv6 clothes is what it wraps
            return address_kind(embedded)
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a non-public address"
    return None


def _allowed(address: Address) -> bool:
    if settings.STUDIO_ALLOW_PRIVATE_URLS:
        return True
    forms = [address]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        forms.append(address.ipv4_mapped)
    networks = [ipaddress.ip_network(item, strict=False) for item in settings.STUDIO_PRIVATE_URL_NETWORKS]
    return any(form in network for form in forms for network in networks if form.version == network.version)


def address_problem(host: str, address: Address) -> str | None:
    """Why `host` (which resolved to `address`) is not fetched, or None when it may be."""
    kind = address_kind(address)
    if kind is None or _allowed(address):
        return None
    what = f"{host} is {kind}" if _literal(host) == address else f"{host} resolves to {address}, {kind}"
    return f"{what}; Studio does not fetch private or local addresses ({SETTING})"


def _split(url: str) -> tuple[str, str, int]:
    """The scheme, host and port of an http(s) URL; URLRefused for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise URLRefused(f"{url!r} is not a valid URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise URLRefused(f"only http and https URLs are fetched, got {scheme or 'no'} scheme")
    if not parts.hostname:
        raise URLRefused(f"{url!r} names no host")
    return scheme, parts.hostname, port or SCHEMES[scheme]


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (itself when it is an address); FetchError when none."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        reason = error.strerror if isinstance(error, socket.gaierror) else str(error)
        raise FetchError(f"{host} does not resolve: {reason}") from None
    addresses: list[Address] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(f"{host} does not resolve")
    return addresses


def checked_addresses(url: str) -> tuple[str, str, int, list[Address]]:
    """Scheme, host, port and the addresses of `url`, all allowed; URLRefused when one is not."""
    scheme, host, port = _split(url)
    addresses = resolve(host, port)
    for address in addresses:
        problem = address_problem(host, address)
        if problem is not None:
            raise URLRefused(problem)
    return scheme, host, port, addresses


def url_problem(url: str) -> str | None:
    """Why `url` will not be fetched, for a problem where it is given; None when it may be.

    A name that does not resolve here and now is not a problem yet (the worker may see other
    DNS): `fetch` checks again and fails the step with the reason.
    """
    try:
        checked_addresses(url)
    except URLRefused as error:
        return str(error)
    except FetchError:
        return None
    return None


def _pool(scheme: str, host: str, address: Address, port: int, timeout: urllib3.Timeout):
    """A connection pool to `address` that speaks to `host` (Host header, SNI, certificate)."""
    if scheme == "http":
        return urllib3.HTTPConnectionPool(str(address), port, timeout=timeout, retries=False, maxsize=1)
    environ = os.environ
    bundle = environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE") or DEFAULT_CA_BUNDLE_PATH
    return urllib3.HTTPSConnectionPool(
        str(address),
        port,
        timeout=timeout,
        retries=False,
        maxsize=1,
        cert_reqs="CERT_REQUIRED",
        ca_certs=bundle,
        server_hostname=host,
        assert_hostname=host,
    )


def _request(url: str, timeout: urllib3.Timeout):
    """One GET of `url` on a checked, pinned address (no redirect followed): (response, its pool)."""
    scheme, host, port, addresses = checked_addresses(url)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Host": parts.netloc.rpartition("@")[2],
        "User-Agent": "studio-fetch/1",
        "Accept": "*/*",
        "Accept-Encoding": "identity",
    }
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers.update(urllib3.util.make_headers(basic_auth=credentials))
    failure: Exception | None = None
    for address in addresses:
        pool = _pool(scheme, host, address, port, timeout)
        try:
            response = pool.urlopen(
                "GET",
                target,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
                release_conn=False,
            )
        except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError) as error:
            failure = error
            pool.close()
            continue
        except urllib3.exceptions.HTTPError as error:
            pool.close()
            raise FetchError(f"cannot fetch {url}: {_reason(error)}") from None
        return response, pool
    raise FetchError(f"cannot connect to {host}:{port}: {_reason(failure)}")


def _reason(error: Exception | None) -> str:
    """A short reason for a failed connection, without the pool's noise."""
    if error is None:
        return "no address"
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return "timed out"
    reason = getattr(error, "reason", None) or error
    cause = reason.__cause__ or reason.__context__
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    text = str(reason)
    return text.rpartition(": ")[2] or text


def _close(response: urllib3.BaseHTTPResponse, pool) -> None:
    with contextlib.suppress(Exception):
        response.release_conn()
    pool.close()


@contextlib.contextmanager
def fetch(
    url: str, *, connect_timeout: float = 10, read_timeout: float = 120, max_redirects: int = MAX_REDIRECTS
) -> Iterator[urllib3.BaseHTTPResponse]:
    """GET a user's URL, following up to `max_redirects` redirects, each hop checked and pinned.

    Yields the final 2xx response, streaming (`response.stream(size)`); URLRefused when a hop is
    a private or local address, FetchError when the fetch fails (the HTTP status, never the body).
    """
    timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
    current = requote_uri(url)
    hops = 0
    while True:
        try:
            response, pool = _request(current, timeout)
        except URLRefused as error:
            if hops == 0:
                raise
            raise URLRefused(f"{url} redirects to {current}: {error}") from None
        location = response.headers.get("Location")
        if response.status in REDIRECTS and location:
            _close(response, pool)
            hops += 1
            if hops > max_redirects:
                raise FetchError(f"{url} redirects more than {max_redirects} times")
            current = requote_uri(urljoin(current, location))
            continue
        break
    try:
        if response.status >= 400:
            raise FetchError(f"{current} answered HTTP {response.status}")
        try:
            yield response
        except urllib3.exceptions.HTTPError as error:
            raise FetchError(f"reading {current} failed: {_reason(error)}") from None
    finally:
        _close(response, pool)
