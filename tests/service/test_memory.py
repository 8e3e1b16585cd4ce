"""The writers' memory of leads (`service.memory`) on both backends: it spares live scoring from reading
leads again, and every score live scoring stores from it is the reference evaluator's, whatever the
changes: events, profile and account updates, calls, leads moving account, another process writing,
a savepoint rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from leadgate.scoring import score_leads
from leadgate.service import ingest, versions
from leadgate.service.live import rescore
from leadgate.service.memory import LeadMemory, Recall, recall_of
from leadgate.service.payloads import AccountIn, CallIn, LeadIn
from leadgate.service.store import Store, open_store, tables
from leadgate.service.store.reading import load_leads
from leadgate.service.workspace import Context, DefinitionCache, context_by_key, context_of, ensure_workspace
from service.support import EXAMPLE_TEXT, Databases

START = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
LEADS = ("L1", "L2", "L3", "L4", "L5")
ACCOUNTS = ("acme", "globex")


@dataclass
class Clock:
    at: datetime = START

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Setup:
    store: Store
    url: str
    clock: Clock
    cache: DefinitionCache

    def ctx(self, session: Any) -> Context:
        return context_of(session, ensure_workspace(session, "memory"), self.cache, self.clock)

    @property
    def memory(self) -> LeadMemory:
        """The writers' memory of this store (write sessions share it)."""
        found: LeadMemory = self.store.sessions.kw["info"]["leadgate_memory"]
        return found


def setup(url: str) -> Setup:
    store = open_store(url)
    clock = Clock()
    cache = DefinitionCache()
    with store.transaction() as session:
        row = ensure_workspace(session, "memory")
        versions.publish(session, row, EXAMPLE_TEXT, "test", "test", START)
    versions.activate(store, "memory", 1, "test", cache, clock)
    found = Setup(store, url, clock, cache)
    with store.transaction() as session:
        ctx = found.ctx(session)
        for n, account in enumerate(ACCOUNTS):
            ingest.upsert_account(session, ctx, AccountIn(account_id=account, domain=f"{account}.com",
                                                          fields={"employees": 300 + n, "industry": "software"}))  # fmt: skip
        for n, lead_id in enumerate(LEADS):
            account = ACCOUNTS[n % 2] if n < 4 else None
            ingest.upsert_lead(session, ctx, LeadIn(lead_id=lead_id, email=f"{lead_id.lower()}@x{n}.com",
                                                    account_id=account, fields={"seniority": "vp"}))  # fmt: skip
    return found


def event(
    n: int, lead_id: str, days_ago: float, url: str = "/pricing", when: datetime = START
) -> dict[str, Any]:
    return {
        "event_id": f"ev-{n}",
        "lead_id": lead_id,
        "type": "page_viewed",
        "time": (when - timedelta(days=days_ago)).isoformat(),
        "properties": {"url": url},
    }


def pk_of(store: Store, lead_id: str) -> int:
    with store.reading() as session:
        found = session.scalar(select(tables.Lead.id).where(tables.Lead.lead_id == lead_id))
    assert found is not None
    return found


def assert_stored_scores_are_the_references(s: Setup, touched: Any) -> None:
    """Every score stored at the clock's moment (the leads touched, and colleagues whose roll-ups
    moved) is the reference evaluator's at that moment, over what the store holds, with its account's
    roll-ups over its colleagues."""
    with s.store.reading() as session:
        ctx = s.ctx(session)
        assert ctx.active is not None
        definition, readers = ctx.active.definition, ctx.active.readers
        rows = session.execute(
            select(tables.Lead.lead_id, tables.Lead.id, tables.LeadScore).join(
                tables.LeadScore, tables.LeadScore.lead_pk == tables.Lead.id
            )
        ).all()
        now = {lead_id: (pk, stored) for lead_id, pk, stored in rows if stored.as_of == s.clock.at}
        assert set(touched) <= set(now), (touched, sorted(now))
        for lead_id, (pk, stored) in now.items():
            loaded = load_leads(session, definition, readers, [pk], stored.as_of, colleagues=True)
            results = score_leads(definition, loaded.leads.values(), loaded.accounts, loaded.events,
                                  loaded.calls, stored.as_of)  # fmt: skip
            want = next(r for r in results if r.lead_id == lead_id)
            document = dict(stored.result)
            document.pop("unfit_fields", None)
            assert document == want.as_dict(), lead_id
            assert (stored.score, stored.grade, stored.stage) == (want.score, want.grade, want.stage)


def test_the_memory_keeps_leads_between_transactions(url: str) -> None:
    s = setup(url)
    pk = pk_of(s.store, "L1")
    with s.store.transaction() as session:
        ingest.add_events(session, s.ctx(session), [event(1, "L1", 1), event(2, "L1", 3)])
    memory = s.memory
    assert memory.lead(pk) is not None and memory.lead(pk).matches.count == 2  # type: ignore[union-attr]
    reads: list[Any] = []
    real = Recall._read

    def counted(self: Recall, *args: Any) -> Any:
        reads.append(args)
        return real(self, *args)

    Recall._read = counted  # type: ignore[method-assign]
    try:
        s.clock.at += timedelta(minutes=5)
        with s.store.transaction() as session:
            ingest.add_events(session, s.ctx(session), [event(3, "L1", 0)])
    finally:
        Recall._read = real  # type: ignore[method-assign]
    assert reads == []  # the lead, its account and its colleagues came from the memory
    assert memory.lead(pk).matches.count == 3  # type: ignore[union-attr]
    assert_stored_scores_are_the_references(s, ["L1"])
    s.store.close()


def test_an_event_id_twice_in_a_batch_is_remembered_once(url: str) -> None:
    s = setup(url)
    pk = pk_of(s.store, "L1")
    with s.store.transaction() as session:  # the lead is in the memory now
        ingest.add_events(session, s.ctx(session), [event(1, "L1", 1)])
    with s.store.transaction() as session:
        outcome = ingest.add_events(session, s.ctx(session), [event(2, "L1", 2), event(2, "L1", 2)])
    assert (outcome.accepted, outcome.duplicates) == (1, 1)
    assert s.memory.lead(pk).matches.count == 2  # type: ignore[union-attr]  # as the store holds
    assert_stored_scores_are_the_references(s, ["L1"])
    s.store.close()


def test_a_write_by_another_process_sets_the_memory_aside(url: str) -> None:
    s = setup(url)
    with s.store.transaction() as session:
        ingest.add_events(session, s.ctx(session), [event(1, "L1", 1)])
    memory = s.memory
    cleared = memory.cleared
    other = open_store(url)  # another server process: its own memory
    s.clock.at += timedelta(minutes=1)
    with other.transaction() as session:
        ingest.add_events(session, s.ctx(session), [event(2, "L1", 0.5), event(3, "L2", 0.5)])
    s.clock.at += timedelta(minutes=1)
    with s.store.transaction() as session:
        changes = rescore(session, s.ctx(session), {pk_of(s.store, "L1")}, "test")
    assert memory.cleared == cleared + 1
    assert memory.lead(pk_of(s.store, "L1")).matches.count == 2  # type: ignore[union-attr]
    assert next(iter(changes.values())).new_score > 0
    assert_stored_scores_are_the_references(s, ["L1"])
    other.close()
    s.store.close()


def test_what_a_savepoint_rolled_back_had_changed_is_read_again(url: str) -> None:
    s = setup(url)
    with s.store.transaction() as session:
        ingest.add_events(session, s.ctx(session), [event(1, "L1", 1)])
    s.clock.at += timedelta(minutes=1)
    with s.store.transaction() as session:
        ctx = s.ctx(session)
        ingest.add_events(session, ctx, [event(2, "L1", 0.2)], live=False)
        with pytest.raises(RuntimeError), session.begin_nested():
            ingest.add_events(session, ctx, [event(3, "L1", 0.1), event(4, "L1", 0.1)], live=False)
            raise RuntimeError("this write is refused")
        rescore(session, ctx, {pk_of(s.store, "L1")}, "test")
    memory = s.memory
    assert memory.lead(pk_of(s.store, "L1")).matches.count == 2  # type: ignore[union-attr]
    assert_stored_scores_are_the_references(s, ["L1"])
    s.store.close()


def test_a_rolled_back_transaction_leaves_the_memory_true(url: str) -> None:
    s = setup(url)
    with s.store.transaction() as session:
        ingest.add_events(session, s.ctx(session), [event(1, "L1", 1)])
    with pytest.raises(RuntimeError), s.store.transaction() as session:
        ingest.add_events(session, s.ctx(session), [event(2, "L1", 0.5), event(3, "L3", 0.5)])
        raise RuntimeError("the request fails after the re-score")
    memory = s.memory
    found = memory.lead(pk_of(s.store, "L1"))
    assert found is None or found.matches.count == 1
    s.clock.at += timedelta(minutes=1)
    with s.store.transaction() as session:
        ingest.add_events(session, s.ctx(session), [event(4, "L1", 0.1)])
    assert memory.lead(pk_of(s.store, "L1")).matches.count == 2  # type: ignore[union-attr]
    assert_stored_scores_are_the_references(s, ["L1"])
    s.store.close()


def test_least_recently_used_leads_are_dropped_past_the_limit(url: str) -> None:
    s = setup(url)
    memory = s.memory
    memory.max_events = 3
    for n, lead_id in enumerate(LEADS):
        s.clock.at += timedelta(minutes=1)
        with s.store.transaction() as session:
            ingest.add_events(session, s.ctx(session), [event(n, lead_id, 1)])
    assert sum(state.matches.count for state in (memory.lead(pk_of(s.store, i)) for i in LEADS) if state) <= 3
    assert memory.lead(pk_of(s.store, "L5")) is not None  # the latest used
    s.store.close()


def test_an_older_transactions_memory_never_replaces_a_newer_one() -> None:
    """Answers may come late: a transaction's memory is kept only over the one it began from."""
    memory = LeadMemory()

    class Ended:
        def __init__(self, revision: int, known: bool = True) -> None:
            self.revision, self.known = revision, known
            self.leads: dict[int, Any] = {}
            self.accounts: dict[int, Any] = {}
            self.forgotten_leads: set[int] = set()
            self.forgotten_accounts: set[int] = set()
            self.used: set[int] = set()
            self.settings_read: dict[int, Any] = {}
            self.forgotten_workspaces: set[int] = set()

    memory.keep(Ended(7, known=False))  # type: ignore[arg-type]
    assert memory.revision == 7
    memory.keep(Ended(9))  # type: ignore[arg-type]  # 8 committed and kept nothing: set aside
    assert memory.revision == 9
    memory.keep(Ended(8))  # type: ignore[arg-type]  # late
    assert memory.revision == 9


# -- any sequence of changes ----------------------------------------------------------------------

changes = st.lists(
    st.one_of(
        st.tuples(st.just("events"), st.lists(st.tuples(st.sampled_from(LEADS), st.floats(0, 60),
                  st.sampled_from(["/pricing", "/blog/a", "/careers", "/product"])), min_size=1, max_size=4)),
        st.tuples(st.just("lead"), st.sampled_from(LEADS), st.sampled_from(["vp", "manager", "student"])),
        st.tuples(st.just("move"), st.sampled_from(LEADS), st.sampled_from([*ACCOUNTS, None])),
        st.tuples(st.just("account"), st.sampled_from(ACCOUNTS), st.sampled_from([20, 300, 6000])),
        st.tuples(st.just("call"), st.sampled_from(LEADS), st.sampled_from(["confirmed", "none"])),
        st.tuples(st.just("elsewhere"), st.sampled_from(LEADS)),
        st.tuples(st.just("refused"), st.sampled_from(LEADS)),
    ),
    min_size=1,
    max_size=8,
)  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=changes)
def test_live_scores_from_the_memory_are_the_references_whatever_the_changes(
    backend: str, tmp_path: Path, steps: list[tuple[Any, ...]]
) -> None:
    databases = Databases(tmp_path)
    url = databases.new(backend)  # a store of its own for each example
    s = setup(url)
    other = open_store(url)  # another process, for the changes made elsewhere
    serial = iter(range(10**6))
    try:
        for step in steps:
            s.clock.at += timedelta(minutes=7)
            touched = _apply(s, other, step, serial)
            assert_stored_scores_are_the_references(s, touched)
    finally:
        other.close()
        s.store.close()
        databases.drop_all()


def _apply(s: Setup, other: Store, step: tuple[Any, ...], serial: Iterator[int]) -> list[str]:
    kind = step[0]
    store = other if kind == "elsewhere" else s.store
    with store.transaction() as session:
        ctx = s.ctx(session)
        if kind == "events":
            ingest.add_events(session, ctx, [event(next(serial), lead_id, days, page, s.clock.at)
                                             for lead_id, days, page in step[1]])  # fmt: skip
            return sorted({lead_id for lead_id, _, _ in step[1]})
        if kind == "lead":
            ingest.upsert_lead(session, ctx, LeadIn(lead_id=step[1], fields={"seniority": step[2]}))
        elif kind == "move":
            ingest.upsert_lead(
                session, ctx, LeadIn.model_validate({"lead_id": step[1], "account_id": step[2]})
            )
        elif kind == "account":
            ingest.upsert_account(session, ctx, AccountIn(account_id=step[1], fields={"employees": step[2]}))
            return [lead for lead in LEADS if _account_of(session, lead) == step[1]]
        elif kind == "call":
            ingest.add_call(session, ctx, step[1], CallIn(call_id=f"c{next(serial)}", called_at=s.clock.at,
                                                          outcome="reached", answers={"budget": step[2]}))  # fmt: skip
        elif kind == "elsewhere":
            ingest.add_events(session, ctx, [event(next(serial), step[1], 0.5, "/pricing", s.clock.at)])
        else:  # a write refused in a savepoint, then another one stored
            with pytest.raises(RuntimeError), session.begin_nested():
                ingest.add_events(session, ctx, [event(next(serial), step[1], 0.2, "/pricing", s.clock.at)])
                raise RuntimeError("refused")
            ingest.add_events(session, ctx, [event(next(serial), step[1], 0.3, "/blog/x", s.clock.at)])
        return [step[1]]


def _account_of(session: Any, lead_id: str) -> str | None:
    account = session.scalar(
        select(tables.Account.account_id)
        .join(tables.Lead, tables.Lead.account_pk == tables.Account.id)
        .where(tables.Lead.lead_id == lead_id)
    )
    return str(account) if account is not None else None


def test_recall_of_a_reading_session_is_none(url: str) -> None:
    s = setup(url)
    with s.store.reading() as session:
        assert recall_of(session) is None
    s.store.close()


def test_a_change_to_a_lead_its_account_or_its_calls_is_read_again(url: str) -> None:
    s = setup(url)
    with s.store.transaction() as session:  # the memory holds L1, L3 (acme) and their account
        ingest.add_events(session, s.ctx(session), [event(1, "L1", 1), event(2, "L3", 2)])
    before = {lead: _stored(s, lead) for lead in ("L1", "L3")}
    for n, change in enumerate(("account", "lead", "call")):
        s.clock.at += timedelta(minutes=1)
        with s.store.transaction() as session:
            ctx = s.ctx(session)
            if change == "account":  # under 50 employees: the fit rules change for both
                ingest.upsert_account(session, ctx, AccountIn(account_id="acme", fields={"employees": 20}))
            elif change == "lead":
                ingest.upsert_lead(session, ctx, LeadIn(lead_id="L1", fields={"seniority": "manager"}))
            else:
                ingest.add_call(session, ctx, "L1", CallIn(call_id=f"c{n}", called_at=s.clock.at,
                                                           outcome="reached", answers={"budget": "confirmed"}))  # fmt: skip
        assert_stored_scores_are_the_references(s, ["L1", "L3"] if change == "account" else ["L1"])
    after = {lead: _stored(s, lead) for lead in ("L1", "L3")}
    assert after["L1"][1] != before["L1"][1] and after["L3"][1] != before["L3"][1]  # fit moved
    s.store.close()


def _stored(s: Setup, lead_id: str) -> tuple[float, float]:
    with s.store.reading() as session:
        row = session.get(tables.LeadScore, pk_of(s.store, lead_id))
        assert row is not None
        return row.score, row.fit


def test_a_workspaces_settings_are_remembered_until_they_change(url: str) -> None:
    """The writer reads its workspace's settings and active version from the memory too."""
    s = setup(url)
    with s.store.reading() as session:
        workspace_pk = ensure_workspace(session, "memory").id

    def settings() -> tuple[int | None, str]:
        with s.store.transaction() as session:
            ctx = context_by_key(session, workspace_pk, s.cache, s.clock)
            ingest.add_events(session, ctx, [event(next(serial), "L1", 1)])
        memory = s.memory
        assert memory.settings(workspace_pk) is not None  # kept for the next transaction
        return (ctx.active.number if ctx.active else None), ctx.unknown_leads

    serial = iter(range(1000))
    assert settings() == (1, "create")
    assert settings() == (1, "create")  # from the memory
    with s.store.transaction() as session:  # a new version, activated in this process
        versions.publish(session, ensure_workspace(session, "memory"), EXAMPLE_TEXT, "again", "test", START)
    assert settings() == (1, "create")  # the memory is true again after the publishing
    versions.activate(s.store, "memory", 2, "test", s.cache, s.clock)
    assert settings() == (2, "create")
    other = open_store(url)  # a setting changed by another process (`leadgate workspace set`)
    with other.transaction() as session:
        ensure_workspace(session, "memory").unknown_leads = "reject"
    other.close()
    assert settings() == (2, "reject")
    s.store.close()
