"""Exploring a table a step wrote (`GET /api/v1/jobs/<job>/steps/<step>/table/`): column statistics
checked against hand-computed values, missing cells, paging, the row cap, and refusals with a reason.
"""

from __future__ import annotations

import io
import math

import pytest

from runner.choices import JobStatus, StepStatus
from runner.models import PipelineJob, StepRun
from runner.table_stats import explore_table
from studio.roles import VIEWER, set_role
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/jobs/explore_job/steps/evaluate/table/"
TABLE = "x,name,score\n1,a,2.5\n2,b,\n3,a,NA\n4,,3.5\n10,a,4.0\n"


@pytest.fixture
def viewer_client(studio_home):
    folder = studio_home / "artifacts" / "explore"
    (folder / "nested").mkdir(parents=True)
    (folder / "data.csv").write_text(TABLE)
    (folder / "long.tsv").write_text("n\tsquare\n" + "".join(f"{n}\t{n * n}\n" for n in range(250)))
    (folder / "ragged.csv").write_text('a,b,c\n1,"x, y"\n2,z,3,extra\n')
    (folder / "metrics.json").write_text('{"accuracy": 1}\n')
    (folder / "binary.csv").write_bytes(b"a,b\n\x00\x01,2\n")
    (folder / "latin.csv").write_bytes("a\ncaf\xe9\n".encode("latin-1"))
    (folder / "empty.csv").write_text("")
    job = PipelineJob.objects.create(name="explore_job", spec={"steps": {}}, status=JobStatus.COMPLETED)
    StepRun.objects.create(
        job=job,
        name="evaluate",
        status=StepStatus.COMPLETED,
        outputs={"evaluation": {"path": str(folder), "type": "uri_folder"}},
    )
    viewer = factories.make_user("vera")
    set_role(viewer, VIEWER)  # reading a table is everyone's
    return factories.api_client(viewer)


def explore(client, path: str, **params):
    return client.get(URL, {"output": "evaluation", "path": path, **params})


def test_it_computes_column_statistics_by_hand(viewer_client):
    body = explore(viewer_client, "data.csv").json()
    assert body["columns"] == ["x", "name", "score"]
    assert body["scanned"] == 5 and body["complete"] is True
    x, name, score = body["stats"]

    # x: 1 2 3 4 10 -> mean 4, deviations -3 -2 -1 0 6, squares sum 50, sample variance 50/4
    assert (x["type"], x["count"], x["missing"], x["unique"]) == ("number", 5, 0, 5)
    assert x["mean"] == 4 and math.isclose(x["std"], math.sqrt(12.5))
    assert (x["min"], x["median"], x["max"]) == (1, 3, 10)
    # five distinct values -> five bins of width 1.8 from 1 to 10: 1,2 | 3,4 | - | - | 10
    assert x["histogram"]["counts"] == [2, 2, 0, 0, 1]
    assert [round(edge, 6) for edge in x["histogram"]["edges"]] == [1, 2.8, 4.6, 6.4, 8.2, 10]

    # name: an empty cell is missing; a: 3, b: 1
    assert (name["type"], name["count"], name["missing"], name["unique"]) == ("string", 4, 1, 2)
    assert name["top"] == [{"value": "a", "count": 3}, {"value": "b", "count": 1}] and name["other"] == 0

    # score: '' and NA are missing; 2.5 3.5 4 -> mean 10/3, variance (0.69444 + 0.02778 + 0.44444)/2
    assert (score["type"], score["count"], score["missing"]) == ("number", 3, 2)
    assert math.isclose(score["mean"], 10 / 3) and math.isclose(score["std"], math.sqrt(7 / 12))
    # three bins of width 0.5 from 2.5 to 4: 2.5 | - | 3.5, 4 (the last bin holds the maximum)
    assert score["median"] == 3.5 and score["histogram"]["counts"] == [1, 0, 2]


def test_it_pages_rows_and_can_skip_the_statistics(viewer_client):
    first = explore(viewer_client, "long.tsv", limit=50).json()
    assert first["rows"][0] == ["0", "0"] and len(first["rows"]) == 50 and first["scanned"] == 250
    last = explore(viewer_client, "long.tsv", offset=240, limit=50, stats=0).json()
    assert last["rows"] == [[str(n), str(n * n)] for n in range(240, 250)] and last["stats"] is None
    assert last["complete"] is True
    middle = explore(viewer_client, "long.tsv", offset=100, limit=10, stats=0).json()
    assert middle["rows"][0] == ["100", "10000"] and middle["scanned"] == 110
    assert middle["complete"] is False  # the read stopped after the page
    beyond = explore(viewer_client, "long.tsv", offset=1000, stats=0).json()
    assert beyond["rows"] == [] and beyond["scanned"] == 250


def test_ragged_rows_are_padded_and_quoted_delimiters_kept(viewer_client):
    body = explore(viewer_client, "ragged.csv").json()
    assert body["rows"] == [["1", "x, y", ""], ["2", "z", "3"]]
    assert body["stats"][2]["count"] == 1 and body["stats"][2]["missing"] == 1


def test_statistics_stop_at_the_row_cap_and_say_so():
    text = "v\n" + "".join(f"{n}\n" for n in range(1000))
    body = explore_table(io.BytesIO(text.encode()), max_rows=100)
    assert body["scanned"] == 100 and body["complete"] is False
    assert body["stats"][0]["count"] == 100 and body["stats"][0]["max"] == 99
    body = explore_table(io.BytesIO(text.encode()), max_bytes=50)
    assert body["complete"] is False and body["scanned"] < 1000


@pytest.mark.parametrize(
    ("path", "params", "field", "reason"),
    [
        ("metrics.json", {}, "path", "metrics.json is not a table"),
        ("binary.csv", {}, "path", "binary data"),
        ("latin.csv", {}, "path", "not UTF-8 text"),
        ("empty.csv", {}, "path", "no header line"),
        ("data.csv", {"limit": 0}, "limit", "limit must be a whole number from 1 to 200"),
        ("data.csv", {"limit": 201}, "limit", "from 1 to 200"),
        ("data.csv", {"offset": -1}, "offset", "offset must be a whole number"),
        ("data.csv", {"offset": "x"}, "offset", "offset must be a whole number"),
        ("data.csv", {"stats": "yes"}, "stats", "stats must be 0 or 1"),
    ],
)
def test_it_refuses_what_it_cannot_explore_with_a_reason(viewer_client, path, params, field, reason):
    response = explore(viewer_client, path, **params)
    assert response.status_code == 400, response.content
    assert reason in response.json()["detail"] and list(response.json()["errors"]) == [field]


def test_paths_stay_inside_the_output(viewer_client):
    for path in ("../secret.csv", "/etc/passwd", "missing.csv", "nested"):
        assert explore(viewer_client, path).status_code == 404, path
    assert viewer_client.get(URL, {"output": "evaluation"}).status_code == 400
    assert viewer_client.get(URL, {"output": "nope", "path": "data.csv"}).status_code == 404


def test_it_needs_a_sign_in(viewer_client):
    response = factories.api_client().get(URL, {"output": "evaluation", "path": "data.csv"})
    assert response.status_code in (401, 403)
