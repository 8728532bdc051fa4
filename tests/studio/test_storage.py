"""Content-addressed snapshots: stable digests, ignore files, safe archives and size limits."""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from studio.storage import layout
from studio.storage.archives import snapshot_archive
from studio.storage.extraction import UnsafeArchiveError
from studio.storage.layout import (
    Snapshot,
    SnapshotTooLargeError,
    StorageError,
    snapshot_exists,
    snapshot_path,
)
from studio.storage.reading import (
    copy_snapshot_to,
    read_snapshot_file,
    snapshot_files,
    write_snapshot_archive,
)
from studio.storage.snapshotting import snapshot_file, snapshot_folder

MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def artifacts(settings, tmp_path: Path) -> Path:
    """An artifact store of the test's own under tmp_path."""
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    return settings.ARTIFACTS_ROOT


def _tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create the files under root (a script ending in .sh is made executable)."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)
        if relative.endswith(".sh"):
            path.chmod(0o755)
    return root


def _sample(root: Path) -> Path:
    """A small component folder with a subfolder and an executable script."""
    return _tree(
        root,
        {
            "main.py": "print('hello')\n",
            "run.sh": "#!/bin/sh\necho hi\n",
            "pkg/__init__.py": "",
            "pkg/util.py": "X = 1\n",
        },
    )


def _stored(artifacts: Path) -> list[Path]:
    """Every stored snapshot folder."""
    return sorted((artifacts / "snapshots").glob("??/*"))


def _scratch_is_empty(artifacts: Path) -> bool:
    """Whether no temporary copy or extraction was left behind."""
    scratch = artifacts / "snapshots" / ".tmp"
    return not scratch.exists() or not any(scratch.iterdir())


def _tar_bytes(members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w") -> bytes:
    """A tar archive (mode "w" or "w:gz") holding exactly the given members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for info, data in members:
            if data is None:
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _member(
    name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "", mode: int = 0o644
) -> tarfile.TarInfo:
    """A tar header of the given type."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = mode
    return info


def _zip_bytes(members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    """A zip archive holding exactly the given members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def _zip_symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    """A zip member that unzip would create as a symbolic link."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    """Write an archive file next to the test's trees."""
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- Digests and storage ------------------------------------------------------------------------


def test_it_gives_the_same_digest_and_one_stored_copy_for_the_same_tree(tmp_path, artifacts):
    """Snapshotting the same tree twice (or a copy of it) stores it once."""
    first = snapshot_folder(_sample(tmp_path / "a"))
    second = snapshot_folder(tmp_path / "a")
    third = snapshot_folder(_sample(tmp_path / "b"))
    assert first == second == third
    assert first.kind == "folder" and first.file_count == 4
    assert first.size_bytes == sum(size for _, size in snapshot_files(first.digest))
    assert _stored(artifacts) == [first.path]
    assert first.path == artifacts / "snapshots" / first.digest[:2] / first.digest
    assert snapshot_exists(first.digest)
    assert _scratch_is_empty(artifacts)


@pytest.mark.parametrize("change", ["content", "rename", "exec bit", "new file", "removed file"])
def test_it_changes_the_digest_when_the_tree_changes(tmp_path, change):
    """Content, names, executable bits and the set of files all count."""
    root = _sample(tmp_path / "tree")
    before = snapshot_folder(root).digest
    if change == "content":
        (root / "pkg" / "util.py").write_text("X = 2\n")
    elif change == "rename":
        (root / "pkg" / "util.py").rename(root / "pkg" / "utils.py")
    elif change == "exec bit":
        (root / "main.py").chmod(0o755)
    elif change == "new file":
        (root / "README.md").write_text("")
    else:
        (root / "pkg" / "__init__.py").unlink()
    assert snapshot_folder(root).digest != before


def test_it_gives_the_same_digest_whatever_the_mtimes(tmp_path):
    """Touching files does not change the digest."""
    root = _sample(tmp_path / "tree")
    before = snapshot_folder(root).digest
    for path in root.rglob("*"):
        os.utime(path, (1_000_000, 1_000_000))
    assert snapshot_folder(root).digest == before


def test_it_stores_files_read_only(tmp_path):
    """Stored files are 0o444, executables 0o555."""
    snapshot = snapshot_folder(_sample(tmp_path / "tree"))
    assert stat.S_IMODE((snapshot.path / "main.py").stat().st_mode) == 0o444
    assert stat.S_IMODE((snapshot.path / "run.sh").stat().st_mode) == 0o555
    assert stat.S_IMODE((snapshot.path / "pkg" / "util.py").stat().st_mode) == 0o444


def test_it_lets_two_threads_snapshot_the_same_tree_at_once(tmp_path, artifacts):
    """Concurrent snapshots of one tree both succeed with the same digest and one stored copy."""
    root = _tree(tmp_path / "tree", {f"f{index}.txt": f"{index}\n" * 1000 for index in range(50)})
    barrier = threading.Barrier(2)
    results: list[Snapshot] = []
    errors: list[BaseException] = []

    def work() -> None:
        """Snapshot the tree once the other thread is ready too."""
        barrier.wait()
        try:
            results.append(snapshot_folder(root))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 2 and results[0] == results[1]
    assert _stored(artifacts) == [results[0].path]
    assert len(snapshot_files(results[0].digest)) == 50
    assert _scratch_is_empty(artifacts)


def test_it_snapshots_a_single_file_under_its_name(tmp_path):
    """A file snapshot is a folder holding that one file; its digest covers name and content."""
    source = _tree(tmp_path, {"data.csv": "a,b\n1,2\n"}) / "data.csv"
    snapshot = snapshot_file(source)
    assert snapshot.kind == "file" and snapshot.file_count == 1 and snapshot.size_bytes == 8
    assert snapshot_files(snapshot.digest) == [("data.csv", 8)]
    assert read_snapshot_file(snapshot.digest, "data.csv") == b"a,b\n1,2\n"
    renamed = snapshot_file(source, name="train.csv")
    assert renamed.digest != snapshot.digest
    assert snapshot_files(renamed.digest) == [("train.csv", 8)]
    with pytest.raises(StorageError, match="bad/name"):
        snapshot_file(source, name="bad/name")
    with pytest.raises(SnapshotTooLargeError, match="4 bytes"):
        snapshot_file(source, max_bytes=4)


def test_it_rejects_malformed_digests():
    """Only 64 lowercase hex characters name a snapshot."""
    for digest in ["", "abc", "g" * 64, "A" * 64, "../" + "a" * 61]:
        with pytest.raises(StorageError):
            snapshot_path(digest)
    assert not snapshot_exists("0" * 64)
    with pytest.raises(StorageError, match="0" * 64):
        snapshot_files("0" * 64)


# --- Ignore files and what is always left out ---------------------------------------------------


def test_it_excludes_amlignore_patterns_and_prefers_amlignore_over_gitignore(tmp_path):
    """With both files present only .amlignore applies; the ignore files themselves are kept."""
    root = _tree(
        tmp_path / "tree",
        {
            ".amlignore": "*.log\ndata/\n",
            ".gitignore": "main.py\n",
            "main.py": "",
            "run.log": "",
            "data/big.bin": "x",
            "keep/data.txt": "",
        },
    )
    files = [path for path, _ in snapshot_files(snapshot_folder(root).digest)]
    assert files == [".amlignore", ".gitignore", "keep/data.txt", "main.py"]


def test_it_uses_gitignore_when_there_is_no_amlignore(tmp_path):
    """.gitignore applies, with negation and nested ignore files relative to their folder."""
    root = _tree(
        tmp_path / "tree",
        {
            ".gitignore": "*.log\n!keep.log\n/build/\n",
            "main.py": "",
            "debug.log": "",
            "keep.log": "",
            "build/out.o": "",
            "src/build/kept.txt": "",
            "src/.gitignore": "secret.txt\n",
            "src/secret.txt": "",
            "src/app.log": "",
            "other/secret.txt": "",
        },
    )
    files = [path for path, _ in snapshot_files(snapshot_folder(root).digest)]
    assert files == [
        ".gitignore",
        "keep.log",
        "main.py",
        "other/secret.txt",
        "src/.gitignore",
        "src/build/kept.txt",
    ]


def test_it_always_excludes_git_and_pycache(tmp_path):
    """.git and __pycache__ never reach a snapshot, at any depth."""
    root = _tree(
        tmp_path / "tree",
        {
            "main.py": "",
            ".git/config": "",
            "__pycache__/main.cpython-311.pyc": "",
            "pkg/__pycache__/x.pyc": "",
            "pkg/mod.py": "",
        },
    )
    files = [path for path, _ in snapshot_files(snapshot_folder(root).digest)]
    assert files == ["main.py", "pkg/mod.py"]


# --- Symbolic links in folders -------------------------------------------------------------------


def test_it_refuses_a_symlink_pointing_outside_the_folder(tmp_path, artifacts):
    """A link leaving the folder raises StorageError naming it; nothing is stored."""
    root = _sample(tmp_path / "tree")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "pkg" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(StorageError, match="pkg/leak.txt"):
        snapshot_folder(root)
    assert _stored(artifacts) == []


def test_it_stores_symlinks_inside_the_folder_as_regular_files(tmp_path):
    """A link to a file or folder inside the tree is stored as what it points to."""
    root = _sample(tmp_path / "tree")
    (root / "alias.py").symlink_to("main.py")
    (root / "lib").symlink_to("pkg", target_is_directory=True)
    snapshot = snapshot_folder(root)
    files = [path for path, _ in snapshot_files(snapshot.digest)]
    assert "alias.py" in files and "lib/util.py" in files
    assert not (snapshot.path / "alias.py").is_symlink()
    assert read_snapshot_file(snapshot.digest, "alias.py") == b"print('hello')\n"


def test_it_refuses_a_symlink_loop(tmp_path):
    """A link to one of its own parent folders raises StorageError naming it."""
    root = _sample(tmp_path / "tree")
    (root / "pkg" / "loop").symlink_to("..", target_is_directory=True)
    with pytest.raises(StorageError, match="pkg/loop"):
        snapshot_folder(root)


# --- Limits -------------------------------------------------------------------------------------


def test_it_refuses_a_folder_with_too_many_files_or_bytes(tmp_path, settings):
    """The limits come from the arguments, else from settings; messages name limit and size."""
    root = _tree(tmp_path / "tree", {f"f{index}.txt": "x" * 100 for index in range(5)})
    with pytest.raises(SnapshotTooLargeError, match="limit of 4 files"):
        snapshot_folder(root, max_files=4)
    with pytest.raises(SnapshotTooLargeError, match=r"limit of 450 bytes \(reached 500 bytes\)"):
        snapshot_folder(root, max_bytes=450)
    settings.STUDIO_MAX_SNAPSHOT_FILES = 3
    with pytest.raises(SnapshotTooLargeError, match="limit of 3 files"):
        snapshot_folder(root)
    assert snapshot_folder(root, max_files=5, max_bytes=500).file_count == 5


@pytest.fixture
def written_before_cleanup(monkeypatch) -> list[int]:
    """Bytes found in each folder that shutil.rmtree removes, recorded just before it does."""
    sizes: list[int] = []
    original = shutil.rmtree

    def measuring_rmtree(path, *args, **kwargs):
        """Record how much was written under `path`, then remove it."""
        sizes.append(sum(item.stat().st_size for item in Path(path).rglob("*") if item.is_file()))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", measuring_rmtree)
    return sizes


def test_it_stops_a_zip_bomb_before_writing_past_the_limit(tmp_path, artifacts, written_before_cleanup):
    """A few KB of zip expanding to 16 MiB fails with a 1 MiB limit, having written at most 1 MiB."""
    bomb = _zip_bytes([("zeros.bin", bytes(16 * MiB))])
    assert len(bomb) < 64 * 1024
    with pytest.raises(SnapshotTooLargeError, match="zeros.bin") as raised:
        snapshot_archive(_write(tmp_path, "bomb.zip", bomb), max_bytes=MiB)
    assert f"limit of {MiB} bytes" in str(raised.value)
    assert max(written_before_cleanup) <= MiB
    assert _stored(artifacts) == [] and _scratch_is_empty(artifacts)


def test_it_counts_bytes_across_members_while_extracting(tmp_path, artifacts, written_before_cleanup):
    """Many members each under the limit fail once their total passes it, with at most the limit written."""
    members = [(f"part{index:02}.bin", bytes(MiB)) for index in range(32)]
    for data in (_zip_bytes(members), _tar_bytes([(_member(n), d) for n, d in members], "w:gz")):
        written_before_cleanup.clear()
        with pytest.raises(SnapshotTooLargeError, match="part03.bin"):
            snapshot_archive(io.BytesIO(data), max_bytes=3 * MiB + 10)
        assert max(written_before_cleanup) <= 3 * MiB + 10
    assert _stored(artifacts) == [] and _scratch_is_empty(artifacts)


def test_it_stops_a_tar_gz_bomb(tmp_path, written_before_cleanup):
    """A tar.gz member larger than the limit fails before any of it is written."""
    bomb = _tar_bytes([(_member("zeros.bin"), bytes(16 * MiB))], "w:gz")
    assert len(bomb) < 64 * 1024
    with pytest.raises(SnapshotTooLargeError, match="zeros.bin"):
        snapshot_archive(_write(tmp_path, "bomb.tgz", bomb), max_bytes=MiB)
    assert max(written_before_cleanup) <= MiB


def test_it_bounds_the_decompressed_tar_stream(tmp_path):
    """Headers count too: a tar.gz whose pax header expands to 32 MiB stops near the limit."""
    info = _member("small.txt")
    info.pax_headers = {"comment": "x" * (32 * MiB)}
    bomb = _tar_bytes([(info, b"hi")], "w:gz")
    assert len(bomb) < 256 * 1024
    with pytest.raises(SnapshotTooLargeError, match="unpacks to more than"):
        snapshot_archive(io.BytesIO(bomb), max_bytes=MiB, max_files=10)


def test_it_refuses_an_archive_with_too_many_files(tmp_path):
    """Both tar and zip archives stop at the file limit."""
    members = [(f"f{index}.txt", b"x") for index in range(11)]
    with pytest.raises(SnapshotTooLargeError, match="limit of 10 files"):
        snapshot_archive(io.BytesIO(_zip_bytes(members)), max_files=10)
    with pytest.raises(SnapshotTooLargeError, match="limit of 10 files"):
        snapshot_archive(io.BytesIO(_tar_bytes([(_member(n), d) for n, d in members])), max_files=10)


# --- Unsafe archives ----------------------------------------------------------------------------

# The extraction root is tmp_path/artifacts/snapshots/.tmp/extract-*/tree: five levels below it.
UP_TO_TMP = "../../../../../"


def _unsafe_tars(tmp_path: Path) -> dict[str, tuple[str, list[tuple[tarfile.TarInfo, bytes | None]]]]:
    """Archives that try to write outside their root, by the member that must be named."""
    outside = str(tmp_path / "outside")
    return {
        "dotdot": ("../evil", [(_member("ok.txt"), b"ok"), (_member("../evil"), b"x")]),
        "dotdot to tmp": (f"{UP_TO_TMP}outside/evil", [(_member(f"{UP_TO_TMP}outside/evil"), b"x")]),
        "absolute": ("/etc/passwd", [(_member("/etc/passwd"), b"root::0:0::/:/bin/sh\n")]),
        "absolute to tmp": (f"{outside}/evil", [(_member(f"{outside}/evil"), b"x")]),
        "symlink to /etc": ("etc", [(_member("etc", tarfile.SYMTYPE, "/etc"), None)]),
        "symlink then write": (
            "etc",
            [(_member("etc", tarfile.SYMTYPE, outside), None), (_member("etc/evil"), b"x")],
        ),
        "relative symlink out": ("up", [(_member("up", tarfile.SYMTYPE, UP_TO_TMP + "outside"), None)]),
        "symlink chain": (
            "escape",
            [
                (_member("sub/up", tarfile.SYMTYPE, ".."), None),
                (_member("escape", tarfile.SYMTYPE, "sub/up/.."), None),
            ],
        ),
        "symlink chain completed later": (
            "x",
            [
                (_member("x", tarfile.SYMTYPE, "y/.."), None),
                (_member("sub/up", tarfile.SYMTYPE, ".."), None),
                (_member("y", tarfile.SYMTYPE, "sub/up"), None),
            ],
        ),
        "write through inner symlink": (
            "lib/evil",
            [
                (_member("pkg/", tarfile.DIRTYPE, mode=0o755), None),
                (_member("lib", tarfile.SYMTYPE, "pkg"), None),
                (_member("lib/evil"), b"x"),
            ],
        ),
        "hardlink to /etc/passwd": ("stolen", [(_member("stolen", tarfile.LNKTYPE, "/etc/passwd"), None)]),
        "hardlink up": ("stolen", [(_member("stolen", tarfile.LNKTYPE, UP_TO_TMP + "outside/secret"), None)]),
        "fifo": ("pipe", [(_member("pipe", tarfile.FIFOTYPE), None)]),
        "device": ("null", [(_member("null", tarfile.CHRTYPE), None)]),
    }


@pytest.mark.parametrize(
    "case",
    [
        "dotdot",
        "dotdot to tmp",
        "absolute",
        "absolute to tmp",
        "symlink to /etc",
        "symlink then write",
        "relative symlink out",
        "symlink chain",
        "symlink chain completed later",
        "write through inner symlink",
        "hardlink to /etc/passwd",
        "hardlink up",
        "fifo",
        "device",
    ],
)
@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_it_refuses_unsafe_tar_members(tmp_path, artifacts, case, mode):
    """Each escape attempt raises UnsafeArchiveError naming the member; nothing lands outside."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("secret")
    name, members = _unsafe_tars(tmp_path)[case]
    archive = _write(tmp_path, "archive.tar", _tar_bytes(members, mode))
    with pytest.raises(UnsafeArchiveError) as raised:
        snapshot_archive(archive)
    assert name in str(raised.value)
    assert sorted(os.listdir(tmp_path / "outside")) == ["secret"]
    assert sorted(os.listdir(tmp_path)) == ["archive.tar", "artifacts", "outside"]
    assert _stored(artifacts) == [] and _scratch_is_empty(artifacts)


@pytest.mark.parametrize(
    ("name", "member"),
    [
        ("../evil", ("../evil", b"x")),
        ("/tmp/evil", ("/tmp/evil", b"x")),
        ("..\\evil", ("..\\evil", b"x")),
        ("etc", _zip_symlink("etc", "/etc")),
        ("up", _zip_symlink("up", "../../outside")),
    ],
)
def test_it_refuses_unsafe_zip_members(tmp_path, artifacts, name, member):
    """Zip members escaping by name or as symbolic links raise UnsafeArchiveError naming them."""
    member_name = member[0] if isinstance(member[0], str) else member[0].filename
    info = zipfile.ZipInfo(member_name) if isinstance(member[0], str) else member[0]
    data = _zip_bytes([("ok.txt", b"ok"), (info, member[1])])
    with pytest.raises(UnsafeArchiveError) as raised:
        snapshot_archive(io.BytesIO(data))
    assert name.replace("\\", "/") in str(raised.value)
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil").exists()
    assert _stored(artifacts) == [] and _scratch_is_empty(artifacts)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("evil\nname.txt", "control character"),
        ("\x1b[2Jevil.txt", "control character"),
        ("tab\there.txt", "control character"),
        ("..\\..\\evil", "backslash"),
        ("dir\\file.txt", "backslash"),
    ],
)
def test_it_refuses_tar_member_names_with_control_characters_or_backslashes(artifacts, name, says):
    """Such a name lands as one odd file on Linux, but breaks listings, logs and Windows downloads."""
    with pytest.raises(UnsafeArchiveError, match=says):
        snapshot_archive(io.BytesIO(_tar_bytes([(_member("ok.txt"), b"ok"), (_member(name), b"x")])))
    assert _stored(artifacts) == [] and _scratch_is_empty(artifacts)


def test_it_refuses_a_zip_member_name_with_a_nul_zipfile_would_cut(artifacts):
    """zipfile reads `evil\\0.txt` as `evil`: the archive is refused, not stored under a cut name."""
    data = _zip_bytes([("evilX.txt", b"x")]).replace(b"evilX.txt", b"evil\0.txt")
    with pytest.raises(UnsafeArchiveError, match="NUL in a member name"):
        snapshot_archive(io.BytesIO(data))
    assert _stored(artifacts) == [] and _scratch_is_empty(artifacts)


def test_it_refuses_what_is_not_an_archive(tmp_path):
    """Random bytes and empty input raise StorageError, whatever the file is called."""
    with pytest.raises(StorageError, match="not a readable"):
        snapshot_archive(_write(tmp_path, "data.zip", b"hello, this is not an archive" * 40))
    with pytest.raises(StorageError, match="empty"):
        snapshot_archive(io.BytesIO(b""))


# --- Archives of good trees ---------------------------------------------------------------------


def _archive_of(root: Path, kind: str) -> bytes:
    """A tar, tar.gz or zip of every file and folder under root, the way people make them."""
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                archive.write(path, path.relative_to(root).as_posix())
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz" if kind == "tar.gz" else "w") as archive:
            archive.add(root, arcname=".")
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "zip"])
def test_it_gives_an_archive_the_digest_of_its_folder(tmp_path, kind):
    """tar, tar.gz and zip of a tree give the folder's digest; detection ignores the file name."""
    root = _sample(tmp_path / "tree")
    _tree(root, {".gitignore": "*.log\n", "debug.log": "noise", "data/rows.csv": "1\n"})
    expected = snapshot_folder(root)
    archive = _write(tmp_path, "upload.bin", _archive_of(root, kind))
    snapshot = snapshot_archive(archive)
    assert snapshot == expected
    assert stat.S_IMODE((snapshot.path / "run.sh").stat().st_mode) == 0o555


def test_it_keeps_a_single_top_level_folder(tmp_path):
    """An archive whose files sit in one folder keeps that folder in the snapshot."""
    data = _tar_bytes([(_member("project/main.py"), b"print(1)\n")], "w:gz")
    snapshot = snapshot_archive(io.BytesIO(data))
    assert snapshot_files(snapshot.digest) == [("project/main.py", 9)]


def test_it_extracts_safe_links_and_duplicate_members(tmp_path):
    """Links inside the archive become regular files; a later member of the same name wins."""
    members = [
        (_member("pkg/", tarfile.DIRTYPE, mode=0o755), None),
        (_member("pkg/a.txt"), b"old"),
        (_member("pkg/a.txt"), b"new"),
        (_member("alias.txt", tarfile.SYMTYPE, "pkg/a.txt"), None),
        (_member("copy.txt", tarfile.LNKTYPE, "pkg/a.txt"), None),
    ]
    snapshot = snapshot_archive(io.BytesIO(_tar_bytes(members)))
    assert snapshot_files(snapshot.digest) == [("alias.txt", 3), ("copy.txt", 3), ("pkg/a.txt", 3)]
    assert read_snapshot_file(snapshot.digest, "alias.txt") == b"new"


def test_it_reads_an_unseekable_stream(tmp_path):
    """An upload stream that cannot seek is spooled first."""

    class Unseekable(io.RawIOBase):
        """A stream that only reads forward."""

        def __init__(self, data: bytes) -> None:
            """Serve `data`."""
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            """It can be read."""
            return True

        def seekable(self) -> bool:
            """It cannot seek."""
            return False

        def readinto(self, buffer) -> int:
            """Read the next bytes."""
            return self._inner.readinto(buffer)

    root = _sample(tmp_path / "tree")
    snapshot = snapshot_archive(Unseekable(_archive_of(root, "zip")))
    assert snapshot.digest == snapshot_folder(root).digest


def test_it_round_trips_through_write_snapshot_archive(tmp_path):
    """The tar.gz of a snapshot unpacks to the same digest, and is byte-for-byte reproducible."""
    snapshot = snapshot_folder(_sample(tmp_path / "tree"))
    first, second = io.BytesIO(), io.BytesIO()
    write_snapshot_archive(snapshot.digest, first)
    write_snapshot_archive(snapshot.digest, second)
    assert first.getvalue() == second.getvalue()
    with tarfile.open(fileobj=io.BytesIO(first.getvalue()), mode="r:gz") as archive:
        names = archive.getnames()
        assert {member.mtime for member in archive.getmembers()} == {0}
    assert names == sorted(names) == ["main.py", "pkg/__init__.py", "pkg/util.py", "run.sh"]
    first.seek(0)
    assert snapshot_archive(first) == snapshot


# --- Reading and materialising ------------------------------------------------------------------


def test_it_reads_snapshot_files_and_refuses_paths_outside(tmp_path):
    """read_snapshot_file returns content and refuses `..`, absolute and missing paths by name."""
    snapshot = snapshot_folder(_sample(tmp_path / "tree"))
    assert read_snapshot_file(snapshot.digest, "pkg/util.py") == b"X = 1\n"
    assert read_snapshot_file(snapshot.digest, "./pkg/util.py") == b"X = 1\n"
    for bad in ["../x", "pkg/../../x", "/etc/passwd"]:
        with pytest.raises(StorageError, match=bad.replace(".", r"\.")):
            read_snapshot_file(snapshot.digest, bad)
    with pytest.raises(StorageError, match="pkg/missing.py"):
        read_snapshot_file(snapshot.digest, "pkg/missing.py")
    with pytest.raises(StorageError, match="pkg"):
        read_snapshot_file(snapshot.digest, "pkg")
    with pytest.raises(StorageError, match="main.py.*limit"):
        read_snapshot_file(snapshot.digest, "main.py", max_bytes=3)


def test_it_copies_a_snapshot_out_as_writable_files(tmp_path):
    """copy_snapshot_to creates the destination and keeps executable bits."""
    snapshot = snapshot_folder(_sample(tmp_path / "tree"))
    destination = tmp_path / "work" / "code"
    copy_snapshot_to(snapshot.digest, destination)
    assert sorted(p.relative_to(destination).as_posix() for p in destination.rglob("*") if p.is_file()) == [
        "main.py",
        "pkg/__init__.py",
        "pkg/util.py",
        "run.sh",
    ]
    assert stat.S_IMODE((destination / "run.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((destination / "main.py").stat().st_mode) == 0o644
    (destination / "main.py").write_text("edited")
    assert read_snapshot_file(snapshot.digest, "main.py") == b"print('hello')\n"
    assert snapshot_folder(destination).digest != snapshot.digest


def test_it_reads_the_store_location_at_call_time(tmp_path, settings):
    """Changing ARTIFACTS_ROOT moves where snapshots are made and found."""
    root = _sample(tmp_path / "tree")
    settings.ARTIFACTS_ROOT = tmp_path / "elsewhere"
    snapshot = snapshot_folder(root)
    assert snapshot.path.is_relative_to(tmp_path / "elsewhere")
    assert layout.snapshot_path(snapshot.digest) == snapshot.path
