"""REST view exploring a table a step wrote: column statistics and pages of rows (`runner.table_stats`).

`GET /api/v1/jobs/<job>/steps/<step>/table/?output=NAME&path=FILE[&offset=0&limit=50&stats=1]`,
for `.csv` and `.tsv` files of the step's outputs (paths as the outputs list names them). Anything
else is a 400 that says why; the file is streamed, and statistics stop at the first
`MAX_STAT_ROWS` rows (`complete: false` then).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from runner.api.jobs import JobViewSet, _open_real
from runner.table_stats import MAX_PAGE_ROWS, MAX_STAT_BYTES, MAX_STAT_ROWS, TableError, explore_table

DELIMITERS = {".csv": ",", ".tsv": "\t"}


def _refuse(field: str, message: str) -> Response:
    return Response({"detail": message, "errors": {field: [message]}}, status=400)


def _whole_number(raw: str, *, default: int, low: int, high: int | None = None) -> int | None:
    try:
        value = int(raw) if raw != "" else default
    except ValueError:
        return None
    if value < low or (high is not None and value > high):
        return None
    return value


@extend_schema(
    operation_id="v1_jobs_steps_table",
    parameters=[
        OpenApiParameter("output", str, required=True, description="The output's name"),
        OpenApiParameter("path", str, required=True, description="A .csv or .tsv file of it"),
        OpenApiParameter("offset", int, description="First row of the page (0-based, after the header)"),
        OpenApiParameter("limit", int, description=f"Rows in the page, 1-{MAX_PAGE_ROWS} (50)"),
        OpenApiParameter("stats", int, description="1 (default): add column statistics; 0: rows only"),
    ],
    responses={200: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
def step_output_table(request, name: str, step: str):
    """A page of a table's rows and, unless `stats=0`, each column's statistics (count, missing,
    unique; mean, std, min, median, max and a histogram for numbers; top values for strings)."""
    params = request.query_params
    output, relative = params.get("output", ""), params.get("path", "")
    if not output or not relative:
        return _refuse("path", "say which file: ?output=NAME&path=FILE")
    offset = _whole_number(params.get("offset", ""), default=0, low=0)
    if offset is None:
        return _refuse("offset", "offset must be a whole number, 0 or more")
    limit = _whole_number(params.get("limit", ""), default=50, low=1, high=MAX_PAGE_ROWS)
    if limit is None:
        return _refuse("limit", f"limit must be a whole number from 1 to {MAX_PAGE_ROWS}")
    if params.get("stats", "1") not in ("0", "1"):
        return _refuse("stats", "stats must be 0 or 1")
    viewset = JobViewSet()
    target = viewset._output_file(viewset._step(name, step), output, relative)
    delimiter = DELIMITERS.get(target.suffix.lower())
    if delimiter is None:
        return _refuse(
            "path", f"{target.name} is not a table: only .csv and .tsv files can be explored; download it"
        )
    with _open_real(target) as handle:
        try:
            body = explore_table(
                handle, delimiter=delimiter, offset=offset, limit=limit, with_stats=params.get("stats") != "0"
            )
        except TableError as error:
            return _refuse("path", f"{target.name} cannot be explored: {error}")
    return Response(
        {
            "output": output,
            "path": relative,
            "size": target.stat().st_size,
            "limit": limit,
            "stats_max_rows": MAX_STAT_ROWS,
            "stats_max_bytes": MAX_STAT_BYTES,
            **body,
        }
    )
