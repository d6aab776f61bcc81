"""The side-by-side benchmark against django-helpdesk (bench/helpdesk_peer.py): the parts that need no peer.

Installing and serving the peer is the benchmark's own run, by hand; these check what it decides:
who goes first, the ratio against the target, the peer's project and the table it prints.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import helpdesk_peer
from district_http import Endpoint


def test_each_peer_goes_first_as_often_as_the_other_for_every_client_and_every_round():
    for client in range(8):
        firsts = [helpdesk_peer.pair_order(client, iteration)[0] for iteration in range(30)]
        assert firsts.count(0) == firsts.count(1) == 15
    for iteration in range(30):
        firsts = [helpdesk_peer.pair_order(client, iteration)[0] for client in range(8)]
        assert firsts.count(0) == firsts.count(1) == 4
    assert {helpdesk_peer.pair_order(0, 0), helpdesk_peer.pair_order(0, 1)} == {(0, 1), (1, 0)}


def test_a_third_of_the_peers_p50_meets_the_target_and_a_little_more_does_not():
    assert helpdesk_peer.comparison(10.0, 30.0) == {
        "ratio": 0.333,
        "target_ratio": 0.333,
        "met": True,
        "times_faster": 3.0,
    }
    slower = helpdesk_peer.comparison(10.5, 30.0)
    assert slower["ratio"] == 0.35
    assert slower["met"] is False
    assert helpdesk_peer.comparison(40.0, 20.0)["times_faster"] == 0.5


def test_the_peers_database_comes_from_its_url_and_a_name_that_is_not_a_plain_identifier_is_refused():
    assert helpdesk_peer.peer_database("postgres://postgres@127.0.0.1:5432/helpdesk_peer") == {
        "name": "helpdesk_peer",
        "user": "postgres",
        "host": "127.0.0.1",
        "port": "5432",
    }
    assert helpdesk_peer.peer_database("postgresql://bench@db/peer_2")["port"] == "5432"
    for bad in ("postgres://postgres@127.0.0.1/Peer; DROP", "sqlite:///peer.db", "postgres://h/"):
        with pytest.raises(SystemExit, match="--peer-database"):
            helpdesk_peer.peer_database(bad)


def test_every_requirement_of_the_peer_is_pinned_and_the_pins_are_what_tells_a_venv_to_reuse():
    lines = helpdesk_peer.requirements_text().splitlines()
    assert len(lines) == len(helpdesk_peer.PEER_REQUIREMENTS)
    assert all("==" in line for line in lines)
    assert any(line.startswith("django-helpdesk==") for line in lines)


def test_the_peers_project_turns_its_api_on_with_token_auth_our_counting_headers_and_our_pool(tmp_path):
    database = helpdesk_peer.peer_database("postgres://postgres@127.0.0.1:5432/helpdesk_peer")
    project = helpdesk_peer.write_peer_project(tmp_path, database=database, conn_max_age=60)
    settings = runpy.run_path(str(project / "peer" / "settings.py"))
    assert settings["HELPDESK_ACTIVATE_API_ENDPOINT"] is True
    assert settings["REST_FRAMEWORK"]["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "rest_framework.authentication.TokenAuthentication"
    ]
    assert settings["DATABASES"]["default"]["NAME"] == "helpdesk_peer"
    assert settings["DATABASES"]["default"]["CONN_MAX_AGE"] == 60
    assert settings["MIDDLEWARE"][0] == "peer.querycount.QueryCountMiddleware"
    copied = (project / "peer" / "querycount.py").read_text()
    assert "X-Query-Count" in copied
    assert "grassroots" not in copied.split('"""', 2)[2]  # it needs nothing but Django in the peer's venv
    assert (project / "prepare.py").exists()
    assert (project / "peer" / "urls.py").exists()


def _timed(label: str, values: list[float]) -> Endpoint:
    endpoint = Endpoint(label, "api", "someone", "/x/", method="POST")
    for level in (1, 8):
        endpoint.timings[level] = list(values)
        endpoint.cpu[level] = [v / 2 for v in values]
        endpoint.sql[level] = [v / 4 for v in values]
    return endpoint


def test_the_table_gives_each_peer_at_each_concurrency_then_the_ratio_and_its_verdict():
    ours = _timed("ours", [10.0, 11.0, 12.0])
    theirs = _timed("theirs", [30.0, 33.0, 36.0])
    queries = [{1: [13, 13, 60], 8: [13, 14]}, {1: [19, 19, 19], 8: [19, 20]}]
    rows = helpdesk_peer.report_rows([ours, theirs], queries, [1, 8])
    assert rows[2] == "| ours | 1 | 13 (60) | 5.5 | 2.8 | 11.0 | 12.0 | 12.0 | 3 |"
    assert rows[3].startswith("| theirs | 1 | 19 (19) | 16.5 | 8.2 | 33.0 |")
    assert rows[4].startswith("| ours | 8 | 13.5 (14) |")
    assert rows[-2] == "c=1: grassroots p50 / helpdesk p50 = 0.333 (target ≤ 0.333: met)"
    slow = _timed("ours", [20.0, 22.0, 24.0])
    assert helpdesk_peer.report_rows([slow, theirs], queries, [1, 8])[-1].endswith("NOT met)")
