"""Build Studio's offline Python base image from a Debian rootfs, without any registry.

Image registries are not reachable from where Studio runs, so the base image is made
with ``debootstrap`` from the Debian mirror apt already uses and imported into the
local Docker engine.  The result is minimal Debian with python3 (``python`` too, via
python-is-python3), venv and pip, a non-root user ``studio`` (STUDIO_STEP_UID/GID, home
/home/studio) as the default user, and optionally an extra CA bundle trusted by
pip/requests/curl (needed behind a TLS-inspecting proxy).

Note: Debian bookworm's pip refuses installs into the system interpreter (PEP 668,
"externally-managed-environment").  That is left as is on purpose: environment builds
on top of this image create a venv (``python3 -m venv``) and install into it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from runner.executors.docker import image_exists, import_rootfs, inspect_image, run_once
from studio.errors import StudioError

DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP_PACKAGES = "python3,python-is-python3,python3-venv,python3-pip,ca-certificates"
STUDIO_HOME = "/home/studio"
CONTAINER_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
EXTRA_CA_PATH = "usr/local/share/ca-certificates/studio-build-ca.crt"


class BaseImageError(StudioError):
    """Raised when the base image cannot be built or does not work (500: the server's own image)."""

    status = 500


def _uris_from_deb822(text: str) -> list[str]:
    """Return the URIs of enabled binary stanzas in a deb822 .sources file."""
    uris: list[str] = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        if "deb" not in fields.get("types", "deb").split():
            continue
        uris.extend(fields.get("uris", "").split())
    return uris


def _uris_from_one_line(text: str) -> list[str]:
    """Return the URIs of 'deb' lines in a one-line-style sources.list."""
    uris: list[str] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):
            # Options like [arch=amd64 signed-by=...] may span several words.
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if words:
            uris.append(words[0])
    return uris


def debian_mirror(apt_dir: Path = Path("/etc/apt")) -> str:
    """Return the Debian mirror to bootstrap from: $STUDIO_DEBIAN_MIRROR, apt's config, or deb.debian.org."""
    override = os.environ.get("STUDIO_DEBIAN_MIRROR", "").strip()
    if override:
        return override.rstrip("/")
    # Same order apt reads them in: sources.list first, then sources.list.d alphabetically.
    candidates: list[str] = []
    main_list = apt_dir / "sources.list"
    if main_list.is_file():
        candidates += _uris_from_one_line(main_list.read_text(errors="replace"))
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            if path.suffix == ".sources":
                candidates += _uris_from_deb822(path.read_text(errors="replace"))
            elif path.suffix == ".list":
                candidates += _uris_from_one_line(path.read_text(errors="replace"))
    for uri in candidates:
        # The security archive only carries updates, so debootstrap cannot start from it.
        if uri.startswith(("http://", "https://")) and "security" not in uri:
            return uri.rstrip("/")
    return DEFAULT_MIRROR


def _mounts_below(path: Path) -> list[str]:
    """Return mount points at or below path, deepest first."""
    root = os.path.realpath(path)
    found: list[str] = []
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        fields = line.split()
        if len(fields) < 2:
            continue
        # /proc/self/mounts escapes spaces and the like as octal (\040).
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])
        if point == root or point.startswith(root + os.sep):
            found.append(point)
    return sorted(found, key=len, reverse=True)


def _remove_workdir(workdir: Path, log: Callable[[str], None]) -> None:
    """Delete the build dir, first detaching anything a failed debootstrap left mounted in it."""
    for point in _mounts_below(workdir):
        # rmtree through a live /proc or /dev bind mount would hit the host's files.
        subprocess.run(["umount", "-l", point], check=False)
    left = _mounts_below(workdir)
    if left:
        log(f"WARNING: not deleting {workdir}: still mounted: {', '.join(left)}")
        return
    shutil.rmtree(workdir, ignore_errors=True)


def _run_streaming(command: list[str], log: Callable[[str], None]) -> None:
    """Run command, passing each output line to log; BaseImageError with the tail on failure."""
    tail: deque[str] = deque(maxlen=20)
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        bufsize=1,
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            if line:
                tail.append(line)
                log(line)
        code = proc.wait()
    if code != 0:
        raise BaseImageError(f"{command[0]} exited with {code}; last output:\n" + "\n".join(tail))


def _add_studio_user(rootfs: Path) -> None:
    """Add user and group 'studio' (STUDIO_STEP_UID:STUDIO_STEP_GID) by editing the account files."""
    uid, gid = settings.STUDIO_STEP_UID, settings.STUDIO_STEP_GID
    passwd = rootfs / "etc/passwd"
    if any(line.startswith("studio:") for line in passwd.read_text().splitlines()):
        return
    days = int(time.time() // 86400)
    entries = {
        "etc/passwd": f"studio:x:{uid}:{gid}:Studio:{STUDIO_HOME}:/bin/bash\n",
        "etc/group": f"studio:x:{gid}:\n",
        # '!' locks password login; the account is only ever entered via `docker run --user`.
        "etc/shadow": f"studio:!:{days}:0:99999:7:::\n",
        "etc/gshadow": "studio:!::\n",
    }
    for name, entry in entries.items():
        path = rootfs / name
        if name == "etc/gshadow" and not path.exists():
            continue
        text = path.read_text()
        if text and not text.endswith("\n"):
            text += "\n"
        path.write_text(text + entry)
    home = rootfs / STUDIO_HOME.lstrip("/")
    home.mkdir(parents=True, exist_ok=True)
    skel = rootfs / "etc/skel"
    if skel.is_dir():
        for item in skel.iterdir():
            if item.is_file():
                shutil.copy2(item, home / item.name)
                os.chown(home / item.name, uid, gid)
    os.chown(home, uid, gid)
    home.chmod(0o755)


def _slim_rootfs(rootfs: Path) -> None:
    """Drop apt caches and package lists, and empty /dev, /proc, /sys (the engine provides them)."""
    for pattern in (
        "var/cache/apt/*.bin",
        "var/cache/apt/archives/*.deb",
        "var/cache/apt/archives/partial/*",
        "var/lib/apt/lists/*",
        "dev/*",
        "proc/*",
        "sys/*",
    ):
        for path in rootfs.glob(pattern):
            if path.name in ("lock", "partial"):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def _trust_ca_bundle(rootfs: Path, ca_bundle: Path) -> None:
    """Make pip, requests and curl inside the image trust the certificates in ca_bundle."""
    pem = ca_bundle.read_text()
    extra = rootfs / EXTRA_CA_PATH
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_text(pem)
    # Appending directly (instead of running update-ca-certificates in a chroot) keeps this root-only.
    bundle = rootfs / CONTAINER_CA_BUNDLE.lstrip("/")
    existing = bundle.read_text() if bundle.exists() else ""
    if existing and not existing.endswith("\n"):
        existing += "\n"
    bundle.write_text(existing + pem + ("" if pem.endswith("\n") else "\n"))


def _image_changes(with_ca: bool) -> list[str]:
    """Return the Dockerfile-style instructions applied on import."""
    changes = [
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        "ENV PYTHONUNBUFFERED=1",
    ]
    if with_ca:
        changes += [
            f"ENV PIP_CERT={CONTAINER_CA_BUNDLE}",
            f"ENV REQUESTS_CA_BUNDLE={CONTAINER_CA_BUNDLE}",
            f"ENV SSL_CERT_FILE={CONTAINER_CA_BUNDLE}",
        ]
    changes += [
        f"USER {settings.STUDIO_STEP_UID}:{settings.STUDIO_STEP_GID}",
        f"WORKDIR {STUDIO_HOME}",
        'CMD ["python3"]',
        "LABEL studio.base=1",
    ]
    return changes


def bootstrap_base_image(
    tag: str,
    *,
    ca_bundle: str | None = None,
    mirror: str | None = None,
    suite: str = "bookworm",
    log: Callable[[str], None] = print,
    force: bool = False,
    base_url: str | None = None,
) -> bool:
    """Build and import the base image as tag; False when it already existed and nothing was done."""
    if not force and image_exists(tag, base_url=base_url):
        log(f"base image {tag} already exists; not rebuilding")
        return False
    if os.geteuid() != 0:
        raise BaseImageError(
            "building the base image needs root (debootstrap creates device nodes and "
            "root-owned files): run it as root, e.g. `sudo python manage.py ...`"
        )
    if shutil.which("debootstrap") is None:
        raise BaseImageError("debootstrap not found: apt-get install debootstrap")
    ca_path = Path(ca_bundle) if ca_bundle else None
    if ca_path is not None and not ca_path.is_file():
        raise BaseImageError(f"CA bundle {ca_path} does not exist or is not a file")
    mirror = mirror or debian_mirror()

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="studio-base-image-"))
    try:
        rootfs = workdir / "rootfs"
        log(f"debootstrap {suite} from {mirror} into {rootfs} (takes a minute or two)")
        _run_streaming(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={DEBOOTSTRAP_PACKAGES}",
                suite,
                str(rootfs),
                mirror,
            ],
            log,
        )
        # debootstrap unmounts on success, but never tar a live /proc or /sys.
        for point in _mounts_below(rootfs):
            subprocess.run(["umount", "-l", point], check=True)
        _add_studio_user(rootfs)
        _slim_rootfs(rootfs)
        if ca_path is not None:
            _trust_ca_bundle(rootfs, ca_path)

        tarball = workdir / "rootfs.tar"
        log(f"packing {rootfs} into {tarball}")
        packed = subprocess.run(
            ["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tarball), "."],
            capture_output=True,
            text=True,
        )
        if packed.returncode != 0:
            raise BaseImageError(f"tar failed ({packed.returncode}): {packed.stderr.strip()}")

        log(f"importing {tarball} as {tag}")
        image_id = import_rootfs(
            str(tarball), tag, changes=_image_changes(ca_path is not None), base_url=base_url
        )
    finally:
        _remove_workdir(workdir, log)

    size = int(inspect_image(tag, base_url=base_url).get("Size") or 0)
    log(
        f"built base image {tag} ({image_id[:19]}), {size / 1e6:.0f} MB, "
        f"in {time.monotonic() - started:.0f} s"
    )
    return True


def verify_base_image(tag: str, base_url: str | None = None) -> str:
    """Run python3 in the image as the studio user and return the version it prints."""
    code, output = run_once(tag, ["python3", "-c", "import sys; print(sys.version)"], base_url=base_url)
    if code != 0:
        raise BaseImageError(f"python3 failed in {tag} (exit {code}): {output.strip()}")
    return output.strip()
