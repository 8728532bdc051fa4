"""Job verbs: `studio job create|show|list|stream|cancel|rerun|download`, like `az ml job`.

`create --file pipeline.yml` reads the pipeline locally, applies `--set PATH=VALUE` overrides,
registers the local components it names (as `studio component create` would) and uploads its
local data as snapshots, then submits the rewritten document as JSON: the server only ever sees
registered references (`azureml:NAME:VERSION`, `studio://snapshots/…`), never local paths.

Modules: `api` (paths, statuses, name rules), `problems`, `overrides` (`--set`), `discovery`
(local components and data), `uploads`, `show`, `streaming`, `submit` (create, cancel, rerun) and
`download`; `cli/job_verbs.py` adds the verbs to the `studio` parser.
"""
