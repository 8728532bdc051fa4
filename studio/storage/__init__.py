"""The filesystem layout of the artifact store: immutable, content-addressed snapshots.

This is the only package that knows where snapshots live. Component `code:` folders, environment
build contexts and data assets are stored as `ARTIFACTS_ROOT/snapshots/<digest[:2]>/<digest>/`,
where the digest is a sha256 over the sorted (relative path, executable bit, content sha256) of
every file, so the same tree always gets the same digest whatever its mtimes or walk order.
Stored files are read-only; folders only hold files (empty folders are not recorded).

Ignore files: in every folder of a snapshotted tree, `.amlignore` is used when present, otherwise
`.gitignore` (Azure ML's rule, applied per folder the way git applies nested ignore files: the
patterns of a subfolder's ignore file are relative to that subfolder and win over its parents').
`.git` and `__pycache__` are always left out; the ignore files themselves are kept.

Modules: `layout` (where snapshots live, limits, errors), `reading` (a stored snapshot's files),
`snapshotting` (storing a folder or a file), `archives` (storing an uploaded tar or zip),
`extraction` (the one safe archive extractor, also used for a container's results) and
`job_artifacts` (where a job's outputs, work folders and logs live).
"""
