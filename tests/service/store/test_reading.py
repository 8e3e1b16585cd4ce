"""Reading leads for scoring, and the writers' memory that spares live scoring from re-reading them.

Write transactions commit one at a time on both backends, each adding one to the store's revision, so
the memory knows when something else wrote. A re-score must equal one that reads everything afresh.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from leadgate.service import ingest, versions
from leadgate.service.live import rescore
from leadgate.service.memory import recall_of
from leadgate.service.payloads import CallIn, LeadIn
from leadgate.service.store import Store, open_store, tables
from leadgate.service.store.reading import load_leads
from leadgate.service.workspace import Context, DefinitionCache, context_of, ensure_workspace
from service.support import EXAMPLE_TEXT, Databases

NOW = datetime(2026, 10, 1, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def setup(url: str) -> tuple[Store, Context, int]:
    store = open_store(url)
    with store.transaction() as session:
        row = ensure_workspace(session, "reading")
        versions.publish(session, row, EXAMPLE_TEXT, "test", "test", NOW)
    cache = DefinitionCache()
    versions.activate(store, "reading", 1, "test", cache, clock)
    with store.transaction() as session:
        ctx = context_of(session, ensure_workspace(session, "reading"), cache, clock)
        ingest.upsert_lead(
            session, ctx, LeadIn(lead_id="L1", email="ann@acme.com", fields={"seniority": "vp"})
        )
        pk = session.scalar(select(tables.Lead.id).where(tables.Lead.lead_id == "L1"))
    assert pk is not None
    return store, ctx, pk


def page_views(first: int, count: int) -> list[dict[str, object]]:
    return [
        {
            "event_id": f"e{first + i}",
            "lead_id": "L1",
            "type": "page_viewed",
            "time": (NOW - timedelta(hours=first + i)).isoformat(),
            "properties": {"url": "/pricing" if i % 3 == 0 else "/blog/x"},
        }
        for i in range(count)
    ]


def fresh_score(store: Store, ctx: Context, pk: int) -> float:
    """How many of the lead's events a read without the cache finds (reading sessions have none)."""
    assert ctx.active is not None
    with store.reading() as session:
        assert "leadgate_memory" not in session.info
        loaded = load_leads(session, ctx.active.definition, ctx.active.readers, [pk], NOW)
    return len(loaded.events.get("L1", []))


def test_write_transactions_have_the_memory_and_readers_do_not(url: str) -> None:
    store = open_store(url)
    with store.transaction() as session:
        assert session.info.get("leadgate_memory") is not None
    with store.reading() as session:
        assert session.info.get("leadgate_memory") is None
    store.close()


def test_write_transactions_on_postgresql_commit_one_at_a_time(tmp_path: Path) -> None:
    """The advisory lock that orders write transactions (the memory's premise): a second writer
    waits until the first commits; a reader does not wait. (SQLite's own write lock does this there.)"""
    databases = Databases(tmp_path)
    store = open_store(databases.new("postgresql"))
    entered, release = threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with store.transaction() as session:
            session.execute(select(1))
            entered.set()
            release.wait(30)
            order.append("first commits")

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(30)
    with store.reading() as session:
        assert session.execute(select(1)).scalar() == 1  # readers never wait
    second = threading.Thread(target=lambda: _write_and_note(store, order))
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the second writer must wait for the first"
    release.set()
    thread.join(30)
    second.join(30)
    assert order == ["first commits", "second writes"]
    store.close()
    databases.drop_all()


def _write_and_note(store: Store, order: list[str]) -> None:
    with store.transaction() as session:
        session.execute(select(1))
        order.append("second writes")


def test_rescoring_from_the_memory_equals_reading_afresh(url: str) -> None:
    store, ctx, pk = setup(url)
    scores = []
    for batch in range(4):
        with store.transaction() as session:
            ingest.add_events(session, ctx, page_views(batch * 10, 10))
        with store.transaction() as session:
            changes = rescore(session, ctx, {pk}, "test")
        scores.append(changes[pk].new_score)
        assert fresh_score(store, ctx, pk) == (batch + 1) * 10
    # the same re-score from a store with an empty memory
    other = open_store(url)
    with other.transaction() as session:
        assert rescore(session, ctx, {pk}, "test")[pk].new_score == scores[-1]
    store.close()
    other.close()


def test_a_rolled_back_event_is_not_remembered(url: str) -> None:
    store, ctx, pk = setup(url)
    with store.transaction() as session:
        ingest.add_events(session, ctx, page_views(0, 5))
    before = None
    with store.transaction() as session:
        before = rescore(session, ctx, {pk}, "test")[pk].new_score
    with pytest.raises(RuntimeError), store.transaction() as session:
        ingest.add_events(session, ctx, page_views(100, 5))  # re-scores inside, then fails
        raise RuntimeError("the request fails after the re-score")
    with store.transaction() as session:
        assert rescore(session, ctx, {pk}, "test")[pk].new_score == before
    assert fresh_score(store, ctx, pk) == 5
    store.close()


def test_events_written_by_another_process_are_seen(url: str) -> None:
    store, ctx, pk = setup(url)
    with store.transaction() as session:
        ingest.add_events(session, ctx, page_views(0, 5))
    with store.transaction() as session:
        first = rescore(session, ctx, {pk}, "test")[pk].new_score
    writer = open_store(url)  # another server process: its own memory
    with writer.transaction() as session:
        ingest.add_events(session, ctx, page_views(50, 6))
    with store.transaction() as session:
        second = rescore(session, ctx, {pk}, "test")[pk].new_score
    with writer.transaction() as session:
        third = rescore(session, ctx, {pk}, "test")[pk].new_score
    assert second > first
    assert second == third
    store.close()
    writer.close()


def test_leads_read_at_different_times_each_get_exactly_their_new_events(url: str) -> None:
    """Each lead the memory holds gets exactly its new events: none twice, none missed."""
    store, ctx, pk = setup(url)
    assert ctx.active is not None
    with store.transaction() as session:
        ingest.upsert_lead(session, ctx, LeadIn(lead_id="L2", email="bo@acme.com"))
        other = session.scalar(select(tables.Lead.id).where(tables.Lead.lead_id == "L2"))
    assert other is not None

    def events_of(lead_id: str, first: int, count: int) -> list[dict[str, object]]:
        return [
            {**e, "lead_id": lead_id, "event_id": f"{lead_id}-{e['event_id']}"}
            for e in page_views(first, count)
        ]

    def cached_counts() -> dict[str, int]:
        assert ctx.active is not None
        with store.transaction() as session:
            recall = recall_of(session)
            assert recall is not None
            states, _ = recall.states(ctx.active, [pk, other], colleagues=False)
        return {state.lead.lead_id: state.matches.count for state in states.values()}

    with store.transaction() as session:
        ingest.add_events(session, ctx, events_of("L1", 0, 5))  # L1 read: from here on
    with store.transaction() as session:
        ingest.add_events(session, ctx, events_of("L2", 10, 4))  # L2 read later: a later last row
    with store.transaction() as session:
        ingest.add_events(session, ctx, events_of("L1", 20, 3) + events_of("L2", 30, 2), live=False)
    assert cached_counts() == {"L1": 8, "L2": 6}
    with store.transaction() as session:
        ingest.add_events(session, ctx, events_of("L2", 40, 1), live=False)
    assert cached_counts() == {"L1": 8, "L2": 7}
    store.close()


def test_calls_come_with_their_lead_at_their_own_time_in_any_session_time_zone(url: str) -> None:
    store, ctx, pk = setup(url)
    assert ctx.active is not None
    called = NOW - timedelta(days=2, hours=3)
    with store.transaction() as session:
        ingest.add_call(session, ctx, "L1", CallIn(call_id="c1", called_at=called, outcome="reached",
                                                   answers={"budget": "confirmed"}))  # fmt: skip
        ingest.add_call(
            session, ctx, "L1", CallIn(call_id="c2", called_at=NOW + timedelta(days=1), outcome="voicemail")
        )  # fmt: skip  (after as_of)
    with store.transaction() as session:
        if url.startswith("postgresql"):  # JSON renders times in the session's zone
            session.execute(text("SET TIME ZONE 'America/New_York'"))
        loaded = load_leads(session, ctx.active.definition, ctx.active.readers, [pk], NOW)
    assert [(c.call_id, c.called_at, c.outcome, dict(c.answers)) for c in loaded.calls["L1"]] == [
        ("c1", called, "reached", {"budget": "confirmed"})
    ]
    assert loaded.calls["L1"][0].called_at.utcoffset() == timedelta(0)
    store.close()
