"""The official Segment client (segment-analytics-python) pointed at a running leadgate, on both
backends: identify, group, track and page arrive as the lead, its account and its scored events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import segment.analytics as analytics
from segment.analytics.request import APIError
from sqlalchemy import select

from leadgate.service import segment as spec
from leadgate.service.errors import InputError
from leadgate.service.store import tables
from service.support import Workspace

SETTINGS = ("write_key", "host", "sync_mode", "on_error", "gzip", "default_client")


@pytest.fixture
def segment(workspace: Workspace) -> Iterator[list[Any]]:
    """The module-level client, configured for this workspace's write key; the errors it reports."""
    saved = {name: getattr(analytics, name) for name in SETTINGS}
    errors: list[Any] = []
    analytics.write_key = workspace.secrets["write"]
    analytics.host = workspace.server.url
    analytics.sync_mode = True  # each call posts at once (and raises when the server refuses it)
    analytics.on_error = lambda error, batch: errors.append((error, batch))
    analytics.gzip = False
    analytics.default_client = None  # the client is made on the first call, with the settings above
    yield errors
    for name, value in saved.items():
        setattr(analytics, name, value)


def test_identify_group_track_and_page_make_a_scored_lead(workspace: Workspace, segment: list[Any]) -> None:
    traits = {
        "email": "Pat@Acme.com",
        "firstName": "Pat",
        "jobTitle": "VP Engineering",
        "seniority": "vp",
        "department": "engineering",
    }
    analytics.identify("u-1", traits)
    analytics.group(
        "u-1",
        "acme",
        {"name": "Acme Inc", "website": "https://www.acme.com", "industry": "software", "employees": 300},
    )
    analytics.track("u-1", "Form Submitted", {"form": "demo_request"})
    analytics.page("u-1", "Product", "Pricing", {"url": "https://vendor.example/pricing", "path": "/pricing"})
    assert segment == []

    r = workspace.client("admin").get("/v1/leads/u-1")
    assert r.status_code == 200, r.text
    lead = r.json()
    assert lead["email"] == "pat@acme.com"
    assert lead["fields"] == {
        "first_name": "Pat",
        "job_title": "VP Engineering",
        "seniority": "vp",
        "department": "engineering",
    }
    assert lead["account"] == {
        "account_id": "acme",
        "domain": "acme.com",
        "name": "Acme Inc",
        "fields": {"industry": "software", "employees": 300},
    }
    assert workspace.count(tables.Event, type="form_submitted") == 1
    assert workspace.count(tables.Event, type="page_viewed") == 1
    assert workspace.count(tables.Event) == 2
    assert workspace.count(tables.Lead) == 1

    score = lead["score"]
    points = {c["rule"]: c["points"] for c in score["trace"]}
    assert score["persona"] == "decision_maker"
    assert score["fit"] == 55  # icp-size 20, target-industry 15, decision-maker 15, buying-department 5
    assert score["grade"] == "A"
    assert points["demo-request"] == pytest.approx(30, abs=0.01)
    assert points["pricing-page"] == pytest.approx(10, abs=0.01)
    assert (score["stage"], score["fast_track"]) == ("MQL", "demo-request-trigger")
    assert score["score"] == pytest.approx(sum(points.values()), abs=1e-9)


def test_a_resent_message_is_stored_once(workspace: Workspace, segment: list[Any]) -> None:
    for _ in range(2):
        analytics.track("u-2", "Email Clicked", {"campaign": "spring"}, message_id="m-1")
    assert segment == []
    assert workspace.count(tables.Event, event_id="m-1", type="email_clicked") == 1


def test_an_anonymous_visitor_who_identifies_is_one_lead(workspace: Workspace, segment: list[Any]) -> None:
    analytics.page(anonymous_id="visitor-9", properties={"url": "https://vendor.example/pricing"})
    analytics.track(anonymous_id="visitor-9", event="Content Downloaded", properties={"asset_type": "ebook"})
    analytics.identify("u-9", {"email": "kim@globex.io", "seniority": "manager"}, anonymous_id="visitor-9")
    assert segment == []

    admin = workspace.client("admin")
    lead = admin.get("/v1/leads/u-9").json()
    assert (lead["email"], lead["anonymous_id"]) == ("kim@globex.io", "visitor-9")
    points = {c["rule"]: c for c in lead["score"]["trace"]}
    assert points["pricing-page"]["events"] == 1
    assert points["content"]["events"] == 1
    assert lead["score"]["persona"] == "influencer"
    assert admin.get("/v1/leads").json()["total"] == 1
    assert admin.get("/v1/leads/anon:visitor-9").status_code == 404
    assert workspace.count(tables.Lead) == 1


def test_gzip_bodies_from_the_client(workspace: Workspace, segment: list[Any]) -> None:
    analytics.gzip = True
    analytics.track("u-3", "Webinar Attended", {"webinar": "w-1", "minutes": 45})
    assert segment == []
    score = workspace.client("admin").get("/v1/leads/u-3").json()["score"]
    assert {c["rule"] for c in score["trace"]} == {"webinar"}


def test_a_wrong_write_key_or_a_bad_message_is_refused(workspace: Workspace, segment: list[Any]) -> None:
    with pytest.raises(APIError) as refused:
        analytics.track("u-4", "Form Submitted", {"form": "fax"})
    assert refused.value.status == 422
    assert "properties.form" in refused.value.message

    analytics.write_key = "wk_not-a-key"
    analytics.default_client = None
    with pytest.raises(APIError) as unknown:
        analytics.track("u-4", "Page Viewed")
    assert unknown.value.status == 401
    assert workspace.count(tables.Event) == 0


def test_the_single_message_endpoints_and_a_batch_with_a_bad_message(workspace: Workspace) -> None:
    """What other SDKs and CDPs call: /v1/identify, /v1/group, /v1/page, /v1/alias; /v1/batch by index."""
    write = workspace.client(None, auth=(workspace.secrets["write"], ""))
    calls = [
        ("/v1/identify", {"userId": "u-5", "traits": {"email": "lee@initech.com", "seniority": "director"}}),
        (
            "/v1/group",
            {"userId": "u-5", "groupId": "initech", "traits": {"domain": "initech.com", "employees": 1000}},
        ),
        (
            "/v1/page",
            {
                "userId": "u-5",
                "name": "Pricing",
                "context": {"page": {"url": "https://vendor.example/pricing"}},
            },
        ),
        ("/v1/alias", {"userId": "u-5", "previousId": "visitor-5"}),
    ]
    for path, message in calls:
        r = write.post(path, json=message)
        assert r.status_code == 200, (path, r.text)
        assert r.json()["success"] is True
    r = write.post("/v1/track", json={"userId": "u-5"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "event"

    batch = [
        {"type": "track", "userId": "u-5", "event": "Email Opened", "messageId": "b-1"},
        {"type": "track", "event": "Email Opened", "messageId": "b-2"},  # whose?
        {"type": "shout", "userId": "u-5"},
        {"type": "track", "userId": "u-5", "event": "Email Opened", "messageId": "b-1"},
    ]
    r = write.post("/v1/batch", json={"batch": batch})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"]) == (1, 1)
    assert [(item["index"], item["errors"][0]["field"]) for item in body["rejected"]] == [
        (1, "userId"),
        (2, "type"),
    ]

    lead = workspace.client("admin").get("/v1/leads/u-5").json()
    assert lead["account"]["account_id"] == "initech"
    assert lead["score"]["persona"] == "influencer"
    assert "pricing-page" in {c["rule"] for c in lead["score"]["trace"]}
    with_page = workspace.count(tables.Event, type="page_viewed")
    assert (with_page, workspace.count(tables.Event, type="email_opened")) == (1, 1)


# -- when an event happened: Segment's timestamps ---------------------------------------------------

RECEIVED = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_a_given_timestamp_is_taken_as_it_is() -> None:
    message = {"timestamp": "2026-12-01T09:00:00Z", "originalTimestamp": "2026-12-06T11:00:00Z",
               "sentAt": "2026-12-06T13:00:00Z"}  # fmt: skip
    assert spec.event_time(message, RECEIVED) == "2026-12-01T09:00:00Z"


def test_the_original_timestamp_is_corrected_for_the_clients_clock() -> None:
    """The client's clock is an hour fast: the call was made 90 s before it was sent."""
    message = {"originalTimestamp": "2026-12-06T12:58:30Z", "sentAt": "2026-12-06T13:00:00Z"}
    assert spec.event_time(message, RECEIVED) == RECEIVED - timedelta(seconds=90)
    # the batch's sentAt stands in for the message's; the message's own wins
    assert spec.event_time(
        {"originalTimestamp": "2026-12-06T12:58:30Z"}, RECEIVED, "2026-12-06T13:00:00Z"
    ) == (RECEIVED - timedelta(seconds=90))
    assert spec.event_time(message, RECEIVED, "2026-12-06T12:59:00Z") == RECEIVED - timedelta(seconds=90)


def test_without_sent_at_or_a_receipt_the_original_timestamp_is_as_given() -> None:
    assert spec.event_time({"originalTimestamp": "2026-12-06T10:00:00Z"}, RECEIVED) == "2026-12-06T10:00:00Z"
    message = {"originalTimestamp": "2026-12-06T10:00:00Z", "sentAt": "2026-12-06T10:00:05Z"}
    assert spec.event_time(message, None) == "2026-12-06T10:00:00Z"
    assert spec.event_time({}, RECEIVED) is None  # the writer takes when it received the event


def test_a_bad_sent_at_or_original_timestamp_names_its_field() -> None:
    with pytest.raises(InputError) as bad:
        spec.translate({"type": "track", "userId": "u", "event": "X", "originalTimestamp": "2026-12-06T10:00:00Z",
                        "sentAt": "yesterday"}, received=RECEIVED)  # fmt: skip
    assert bad.value.problems[0].path == "sentAt"
    with pytest.raises(InputError) as bad:
        spec.translate({"type": "track", "userId": "u", "event": "X", "originalTimestamp": "soon",
                        "sentAt": "2026-12-06T10:00:00Z"}, received=RECEIVED)  # fmt: skip
    assert bad.value.problems[0].path == "originalTimestamp"


def _stored_times(workspace: Workspace) -> dict[str, datetime]:
    with workspace.store.reading() as session:
        rows = session.execute(
            select(tables.Event.event_id, tables.Event.time).where(tables.Event.workspace_pk == workspace.pk)
        ).all()
    return {event_id: t if t.tzinfo else t.replace(tzinfo=UTC) for event_id, t in rows}


def test_a_client_with_a_fast_clock_through_the_batch_endpoint(workspace: Workspace) -> None:
    """As RudderStack's SDKs send: originalTimestamp and sentAt from the device's clock, an hour fast;
    the events are stored at the server's time of the call."""
    write = workspace.client(None, auth=(workspace.secrets["write"], ""))
    fast = datetime.now(UTC) + timedelta(hours=1)
    batch = [
        {"type": "track", "userId": "u-7", "event": "Email Opened", "messageId": "own-sent-at",
         "originalTimestamp": (fast - timedelta(minutes=5)).isoformat(), "sentAt": fast.isoformat()},
        {"type": "track", "userId": "u-7", "event": "Email Opened", "messageId": "batch-sent-at",
         "originalTimestamp": (fast - timedelta(minutes=10)).isoformat()},
        {"type": "track", "userId": "u-7", "event": "Email Opened", "messageId": "given",
         "timestamp": "2026-11-30T08:00:00Z", "originalTimestamp": fast.isoformat()},
    ]  # fmt: skip
    before = datetime.now(UTC)
    r = write.post("/v1/batch", json={"batch": batch, "sentAt": fast.isoformat()})
    after = datetime.now(UTC)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 3
    times = _stored_times(workspace)
    for event_id, ago in (("own-sent-at", timedelta(minutes=5)), ("batch-sent-at", timedelta(minutes=10))):
        assert before - ago - timedelta(seconds=1) <= times[event_id] <= after - ago + timedelta(seconds=1), (
            event_id,
            times[event_id],
        )
    assert times["given"] == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

    r = write.post("/v1/batch", json={"batch": batch[:1], "sentAt": "not a time"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "sentAt"
    assert workspace.count(tables.Event) == 3


def test_a_bad_timestamp_is_named_as_the_message_names_it() -> None:
    for field in ("timestamp", "originalTimestamp"):
        with pytest.raises(InputError) as bad:
            spec.translate(
                {"type": "track", "userId": "u", "event": "X", field: "last tuesday"}, received=RECEIVED
            )
        assert [p.path for p in bad.value.problems] == [field]
    with pytest.raises(InputError) as bad:
        spec.translate({"type": "track", "userId": "u" * 201, "event": "X"})
    assert [p.path for p in bad.value.problems] == ["userId"]
