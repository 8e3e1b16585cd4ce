"""Definition versions on both backends: published (API and CLI), numbered, immutable, refused when they
do not load, activated with every lead re-scored under the version recorded; compared in words."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadgate.service import versions
from leadgate.service.store import tables
from leadgate.service.workspace import DefinitionCache
from service.support import EXAMPLE_TEXT, Workspace, cli, iso, now, parse_time

# version 2: a pricing page view is worth more, a rule is gone, a rule is new, the A grade is higher
V2 = (
    EXAMPLE_TEXT.replace(
        "{id: pricing-page, event: page_viewed, when: \"url contains '/pricing'\", points: 10,",
        "{id: pricing-page, event: page_viewed, when: \"url contains '/pricing'\", points: 12,",
    )
    .replace(
        '    - {id: existing-customer, when: "account.is_customer", points: 5, description: "already a customer (expansion)"}\n',
        '    - {id: vp-title, when: "lead.title contains \'VP\'", points: 7, description: "a VP by title"}\n',
    )
    .replace("grades: {A: 55,", "grades: {A: 60,")
)
BROKEN = EXAMPLE_TEXT.replace('when: "account.employees < 50"', 'when: "account.employeez < 50"')
LEAD = {"lead_id": "L-1", "email": "pat@acme.com", "fields": {"seniority": "vp", "title": "VP Ops"},
        "account": {"account_id": "acme", "domain": "acme.com", "fields": {"employees": 300, "industry": "software"}}}  # fmt: skip


def publish(
    api: httpx.Client, source: str, note: str = "why", expect: int = 201, **more: Any
) -> dict[str, Any]:
    r = api.post("/v1/definitions", json={"source": source, "note": note, **more})
    assert r.status_code == expect, r.text
    return r.json()  # type: ignore[no-any-return]


def test_the_edits_make_a_definition_that_differs() -> None:
    assert "'/pricing'\", points: 12," in V2 and "vp-title" in V2 and "A: 60" in V2
    assert "existing-customer" not in V2
    assert BROKEN != EXAMPLE_TEXT


def test_versions_are_numbered_and_immutable(api: httpx.Client) -> None:
    published = publish(api, V2, note="pricing is worth more")
    assert "notes" not in published
    second = published["version"]
    published = publish(api, EXAMPLE_TEXT, note="back to the first")
    third = published["version"]
    assert published["notes"] == [
        f"version 3 is the same definition as version 1 (fingerprint {third['fingerprint']}): only its note differs"
    ]
    assert (second["number"], third["number"]) == (2, 3)
    assert (second["active"], third["active"]) == (False, False)
    assert second["note"] == "pricing is worth more"
    assert second["published_by"] == "admin token"
    listed = api.get("/v1/definitions").json()["versions"]
    assert [(v["number"], v["active"]) for v in listed] == [(1, True), (2, False), (3, False)]
    assert listed[0]["fingerprint"] == listed[2]["fingerprint"] != listed[1]["fingerprint"]
    assert api.get("/v1/definitions/1").json()["source"] == EXAMPLE_TEXT  # byte for byte
    assert api.get("/v1/definitions/2").json()["source"] == V2
    for method in ("PUT", "PATCH", "DELETE"):
        assert api.request(method, "/v1/definitions/1", json={"source": V2}).status_code == 405
    assert api.get("/v1/definitions/1").json()["source"] == EXAMPLE_TEXT
    assert api.get("/v1/definitions/9").status_code == 404


def test_a_definition_that_does_not_load_is_refused_with_line_and_column(
    workspace: Workspace, api: httpx.Client
) -> None:
    r = api.post("/v1/definitions", json={"source": BROKEN, "note": "typo"})
    assert r.status_code == 422
    assert r.json()["error"] == "the definition does not load"
    problem = r.json()["errors"][0]
    assert problem["line"] == EXAMPLE_TEXT[: EXAMPLE_TEXT.index("account.employees < 50")].count("\n") + 1
    assert problem["column"] >= 1
    assert "employeez" in problem["message"]
    assert "employees" in problem.get("hint", "")
    r = api.post("/v1/definitions", json={"source": "name: [unclosed", "note": "bad yaml"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["line"] == 1
    assert api.post("/v1/definitions", json={"source": EXAMPLE_TEXT, "note": "  "}).status_code == 422
    assert api.post("/v1/definitions", json={"source": EXAMPLE_TEXT}).status_code == 422
    assert workspace.count(tables.DefinitionVersion) == 1


def test_activating_rescores_every_lead_under_that_version(workspace: Workspace, api: httpx.Client) -> None:
    assert api.post("/v1/leads", json=LEAD).status_code == 201
    assert api.post("/v1/leads", json={"lead_id": "L-2", "email": "sam@acme.com"}).status_code == 201
    assert (
        api.post(
            "/v1/events",
            json={
                "event_id": "e-1",
                "lead_id": "L-1",
                "type": "page_viewed",
                "properties": {"url": "/pricing"},
            },
        ).status_code
        == 201
    )
    before = api.get("/v1/leads/L-1").json()["score"]
    assert "vp-title" not in {c["rule"] for c in before["trace"]}

    publish(api, V2, note="pricing is worth more")
    r = api.post("/v1/definitions/2/activate")
    assert r.status_code == 200, r.text
    assert r.json()["rescored"] == {"leads": 2, "changed": 1}  # L-2's score (fit 20 from the account) stays
    assert r.json()["version"]["active"] is True

    view = api.get("/v1/leads/L-1").json()
    after = view["score"]
    assert after["definition_version"] == 2
    assert {c["rule"]: c["points"] for c in after["trace"]}["vp-title"] == 7
    assert after["score"] == pytest.approx(before["score"] + 7 + before["engagement"] * 0.2, rel=1e-4)
    latest = view["history"]["score_changes"][0]
    assert (latest["cause"], latest["definition_version"]) == ("definition v2 activated", 2)
    assert latest["old_score"] == pytest.approx(before["score"], rel=1e-4)
    assert api.get("/v1/leads/L-2").json()["score"]["definition_version"] == 2
    listed = api.get("/v1/leads").json()["leads"]
    assert {lead["score"]["definition_version"] for lead in listed} == {2}
    assert [v["active"] for v in api.get("/v1/definitions").json()["versions"]] == [False, True]
    with workspace.store.reading() as session:
        row = session.get(tables.Workspace, workspace.pk)
        assert row is not None and row.active_definition_pk is not None
        assert session.get(tables.DefinitionVersion, row.active_definition_pk).number == 2  # type: ignore[union-attr]

    # and back: version 1 again, every score says so
    assert api.post("/v1/definitions/1/activate").json()["rescored"]["leads"] == 2
    assert api.get("/v1/leads/L-1").json()["score"]["definition_version"] == 1
    assert api.get("/v1/leads/L-1").json()["score"]["score"] == pytest.approx(before["score"], rel=1e-4)


def test_leads_sent_before_any_definition_are_scored_when_one_is_activated(
    new_workspace: Callable[..., Workspace],
) -> None:
    workspace = new_workspace(definition=None)
    api = workspace.client()
    made = api.post("/v1/leads", json=LEAD)
    assert made.status_code == 201
    assert made.json()["lead"]["score"] is None
    assert api.get("/v1/leads").json()["leads"][0]["score"] is None
    published = publish(api, EXAMPLE_TEXT, note="the first", activate=True)
    assert published["version"]["number"] == 1
    assert published["rescored"] == {"leads": 1, "changed": 1}
    score = api.get("/v1/leads/L-1").json()["score"]
    assert (score["definition_version"], score["fit"]) == (1, 50)


def test_the_api_compares_versions_in_words(api: httpx.Client) -> None:
    publish(api, V2)
    r = api.get("/v1/definitions/1/diff/2")
    assert r.status_code == 200
    texts = [c["text"] for c in r.json()["changes"]]
    assert any(t.startswith("added fit rule vp-title") for t in texts)
    assert any(t.startswith("removed fit rule existing-customer") for t in texts)
    assert any(t.startswith("changed engagement rule pricing-page: points 10") for t in texts)
    assert any(t.startswith("changed grade A") for t in texts)


@pytest.mark.slow
def test_the_cli_publishes_activates_and_compares(
    workspace: Workspace, api: httpx.Client, tmp_path: Path
) -> None:
    url, ws = workspace.store.url, ["--workspace", workspace.name]
    assert api.post("/v1/leads", json=LEAD).status_code == 201
    (tmp_path / "v2.yaml").write_text(V2, encoding="utf-8")
    published = cli(
        url,
        "definitions",
        "publish",
        str(tmp_path / "v2.yaml"),
        "--note",
        "pricing is worth more",
        "--by",
        "Dana",
        *ws,
    )
    assert published.returncode == 0, published.stderr
    assert "published version 2" in published.stderr
    version = api.get("/v1/definitions/2").json()["version"]
    assert (version["note"], version["published_by"], version["active"]) == (
        "pricing is worth more",
        "Dana",
        False,
    )

    with ThreadPoolExecutor(2) as pool:
        compared = pool.submit(cli, url, "definitions", "diff", "1", "2", *ws)
        activated = pool.submit(cli, url, "definitions", "activate", "2", *ws)
        compared, activated = compared.result(), activated.result()
    assert compared.returncode == 0, compared.stderr
    lines = compared.stdout.splitlines()
    assert any(line.startswith("added fit rule vp-title") for line in lines), compared.stdout
    assert any(line.startswith("removed fit rule existing-customer") for line in lines)
    assert any(line.startswith("changed engagement rule pricing-page: points 10") for line in lines)
    assert any(line.startswith("changed grade A") for line in lines)
    assert activated.returncode == 0, activated.stderr
    assert "version 2 is active; re-scored 1 leads" in activated.stderr
    assert api.get("/v1/leads/L-1").json()["score"]["definition_version"] == 2


def publish_with_the_cli(workspace: Workspace, file: Path, text: str, note: str) -> Any:
    """`leadgate definitions publish FILE` in process, on the workspace's store; the CliRunner result."""
    from typer.testing import CliRunner

    from leadgate.cli.app import app

    file.write_text(text, encoding="utf-8")
    args = ["definitions", "publish", str(file), "--note", note, "--workspace", workspace.name]
    return CliRunner().invoke(app, [*args, "--database-url", workspace.store.url])


def test_the_cli_refuses_a_definition_that_does_not_load(workspace: Workspace, tmp_path: Path) -> None:
    broken = publish_with_the_cli(workspace, tmp_path / "broken.yaml", BROKEN, "typo")
    line = EXAMPLE_TEXT[: EXAMPLE_TEXT.index("account.employees < 50")].count("\n") + 1
    assert broken.exit_code == 3, broken.output
    assert f"broken.yaml:{line}:" in "".join(broken.output.split()), broken.output  # the file, named
    assert "employeez" in broken.output
    assert workspace.count(tables.DefinitionVersion) == 1


def test_the_cli_says_when_a_version_repeats_an_earlier_one(workspace: Workspace, tmp_path: Path) -> None:
    again = publish_with_the_cli(workspace, tmp_path / "same.yaml", EXAMPLE_TEXT, "again")
    assert again.exit_code == 0, again.output
    assert "note: version 2 is the same definition as version 1" in " ".join(again.output.split())


@pytest.mark.slow
def test_every_lead_is_rescored_as_of_now_and_a_fading_score_is_not_news(
    workspace: Workspace, api: httpx.Client
) -> None:
    assert api.post("/v1/leads", json=LEAD).status_code == 201
    assert api.post("/v1/leads", json={"lead_id": "L-2", "email": "sam@acme.com"}).status_code == 201
    event = {"event_id": "e-1", "lead_id": "L-1", "type": "page_viewed", "time": iso(now() - timedelta(days=9)),
             "properties": {"url": "/pricing"}}  # fmt: skip
    assert api.post("/v1/events", json=event).status_code == 201
    before = {i: api.get(f"/v1/leads/{i}").json() for i in ("L-1", "L-2")}

    r = api.post("/v1/definitions/rescore")
    assert r.status_code == 200, r.text
    assert r.json()["rescored"]["leads"] == 2 and r.json()["rescored"]["newer"] == 0
    for lead_id, was in before.items():
        view = api.get(f"/v1/leads/{lead_id}").json()
        assert parse_time(view["score"]["as_of"]) > parse_time(was["score"]["as_of"])
        assert view["score"]["definition_version"] == 1
        # the score fades a little (or not at all, on the points grid): no history row for that
        assert view["history"]["score_changes"] == was["history"]["score_changes"]

    # the CLI does the same
    done = cli(workspace.store.url, "definitions", "rescore", "--workspace", workspace.name)
    assert done.returncode == 0, done.stderr
    assert "re-scored 2 leads" in done.stderr

    # only an admin may (it is the activation's permission)
    assert workspace.client("marketing").post("/v1/definitions/rescore").status_code == 403


def test_a_lead_rescored_live_meanwhile_keeps_its_newer_score(
    workspace: Workspace, api: httpx.Client
) -> None:
    assert api.post("/v1/leads", json=LEAD).status_code == 201
    stored = api.get("/v1/leads/L-1").json()["score"]
    an_hour_ago = now() - timedelta(hours=1)  # a re-score whose scores are older than the live one
    done = versions.rescore_active(workspace.store, workspace.name, DefinitionCache(), lambda: an_hour_ago)
    assert (done.leads, done.newer, done.changed) == (1, 1, 0)
    assert api.get("/v1/leads/L-1").json()["score"] == stored


def test_a_rescore_needs_an_active_version(new_workspace: Callable[..., Workspace]) -> None:
    workspace = new_workspace(definition=None)
    r = workspace.client().post("/v1/definitions/rescore")
    assert r.status_code == 404
    assert "no definition version is active" in r.text
