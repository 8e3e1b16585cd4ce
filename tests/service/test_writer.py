"""Group commit, on both backends: writes queued together share one transaction and one re-score, a
refused write is rolled back alone, a failing one never fails the others, and the scores stored are the
ones a write alone would have given."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadgate.service import ingest
from leadgate.service.api.deps import Service
from leadgate.service.errors import InputError
from leadgate.service.live import rescore
from leadgate.service.payloads import AccountIn, LeadIn
from leadgate.service.store import tables
from leadgate.service.workspace import Context
from leadgate.service.writer import Done, Write, Written
from service.support import Workspace, iso, now


@pytest.fixture
def service(workspace: Workspace) -> Iterator[Service]:
    svc = Service(workspace.store)
    svc.writer.start()
    yield svc
    svc.writer.close()


@pytest.fixture
def acme(workspace: Workspace, service: Service) -> Workspace:
    """Two leads of one account (so an event of one re-scores both) and a lead of its own."""

    def setup(session: Session, ctx: Context) -> Done[None]:
        ingest.upsert_account(session, ctx, AccountIn(account_id="acme", domain="acme.com", name="Acme"))
        for lead_id, email in (("L-1", "pat@acme.com"), ("L-2", "sam@acme.com"), ("L-3", "kim@solo.org")):
            ingest.upsert_lead(session, ctx, LeadIn(lead_id=lead_id, email=email))
        return Done(None)

    service.writer.submit(workspace.pk, setup).result(timeout=60)
    return workspace


def events(*items: tuple[str, str, str]) -> Write[ingest.EventsOutcome]:
    """A write that stores these (event_id, lead_id, type) events, as `POST /v1/events` does."""
    payload = [
        {"event_id": e, "lead_id": lead, "type": kind, "time": iso(now()), "properties": {"url": "/pricing"}}
        for e, lead, kind in items
    ]

    def write(session: Session, ctx: Context) -> Done[ingest.EventsOutcome]:
        outcome = ingest.add_events(session, ctx, payload, atomic=True, live=False)
        return Done(outcome, dict.fromkeys(outcome.touched, outcome.cause))

    return write


def in_one_group(
    service: Service, workspace: Workspace, writes: list[Write[Any]], committed: int = 1
) -> list[Future[Any]]:
    """Submit `writes` while the writer is busy, so that it takes them together, as one group (which
    commits as `committed` transactions: more when the group fails and its writes are run alone)."""
    busy, release = threading.Event(), threading.Event()

    def hold(_session: Session, _ctx: Context) -> Done[None]:
        busy.set()
        release.wait(30)
        return Done(None)

    first = service.writer.submit(workspace.pk, hold)
    assert busy.wait(30)
    groups = service.writer.groups
    futures = [service.writer.submit(workspace.pk, w) for w in writes]
    release.set()
    first.result(timeout=60)
    for f in futures:
        f.exception(timeout=60)
    assert service.writer.groups == groups + 1 + committed, "the held write, then the others"
    return futures


def stored_events(workspace: Workspace) -> set[str]:
    with workspace.store.reading() as session:
        return set(
            session.scalars(select(tables.Event.event_id).where(tables.Event.workspace_pk == workspace.pk))
        )


def current_scores(workspace: Workspace) -> dict[str, tuple[float, str, str]]:
    with workspace.store.reading() as session:
        rows = session.execute(
            select(
                tables.Lead.lead_id, tables.LeadScore.score, tables.LeadScore.grade, tables.LeadScore.stage
            )
            .join(tables.LeadScore, tables.LeadScore.lead_pk == tables.Lead.id)
            .where(tables.Lead.workspace_pk == workspace.pk)
        )
        return {lead_id: (score, grade, stage) for lead_id, score, grade, stage in rows}


def test_writes_queued_together_commit_together_and_each_gets_its_own_answer(
    acme: Workspace, service: Service
) -> None:
    def refused(session: Session, ctx: Context) -> Done[None]:
        ingest.add_events(session, ctx, [{"event_id": "bad-1", "lead_id": "L-3", "type": "page_viewed"}])
        raise InputError("refused after it had written: its event must not stay")

    one, bad, two, three = in_one_group(
        service,
        acme,
        [
            events(("e-1", "L-1", "page_viewed")),
            refused,
            events(("e-2", "L-1", "form_submitted"), ("e-3", "L-3", "page_viewed")),
            events(("e-1", "L-2", "page_viewed")),  # the same event id again: a duplicate
        ],
    )
    with pytest.raises(InputError, match="refused after"):
        bad.result()
    assert stored_events(acme) == {"e-1", "e-2", "e-3"}

    first: Written[ingest.EventsOutcome] = one.result()
    assert first.value.accepted == 1
    by_lead = {c.lead_id: c for c in first.changes.values()}
    assert set(by_lead) == {"L-1", "L-2"}  # its lead, and its colleague (account roll-ups)
    # it answers with the scores committed: the group's, with the other writes' events in them
    assert {k: (c.new_score, c.new_grade, c.new_stage) for k, c in by_lead.items()} == {
        k: v for k, v in current_scores(acme).items() if k in by_lead
    }
    assert {c.lead_id for c in two.result().changes.values()} == {"L-1", "L-2", "L-3"}
    assert three.result().value.duplicates == 1

    # the group's scores are the ones a re-score of everything now gives (by the scores' own clock)
    group_scores = current_scores(acme)
    with acme.store.transaction() as session:
        ctx = service.workspace_context(session, acme.pk)
        keys = session.scalars(select(tables.Lead.id).where(tables.Lead.workspace_pk == acme.pk)).all()
        alone = rescore(session, ctx, keys, "check")
    # a later clock only decays: the ordering of grades and the stages cannot move in these seconds
    assert {c.lead_id: (c.new_grade, c.new_stage) for c in alone.values()} == {
        k: (g, s) for k, (_score, g, s) in group_scores.items()
    }
    for change in alone.values():
        assert change.new_score == pytest.approx(group_scores[change.lead_id][0], abs=0.05)


def test_a_second_refusal_in_a_group_is_rolled_back_alone(acme: Workspace, service: Service) -> None:
    """The group runs without savepoints; the first refusal rolls it back and the others run again,
    each in a savepoint, so the second refusal takes back only its own write."""

    def refused(event_id: str) -> Write[None]:
        def write(session: Session, ctx: Context) -> Done[None]:
            ingest.add_events(session, ctx, [{"event_id": event_id, "lead_id": "L-3", "type": "page_viewed"}])
            raise InputError(f"{event_id} refused after it had written")

        return write

    one, bad, two, worse, three = in_one_group(
        service,
        acme,
        [
            events(("r-1", "L-1", "page_viewed")),
            refused("bad-1"),
            events(("r-2", "L-3", "page_viewed")),
            refused("bad-2"),
            events(("r-3", "L-2", "page_viewed")),
        ],
    )
    for future, name in ((bad, "bad-1"), (worse, "bad-2")):
        with pytest.raises(InputError, match=f"{name} refused"):
            future.result()
    assert [f.result().value.accepted for f in (one, two, three)] == [1, 1, 1]
    assert stored_events(acme) == {"r-1", "r-2", "r-3"}
    assert {c.lead_id for c in three.result().changes.values()} >= {"L-2"}


def test_history_names_each_leads_own_cause(acme: Workspace, service: Service) -> None:
    in_one_group(
        service,
        acme,
        [events(("h-1", "L-1", "page_viewed")), events(("h-2", "L-3", "page_viewed"))],
    )
    with acme.store.reading() as session:
        causes = dict(
            session.execute(
                select(tables.Lead.lead_id, tables.ScoreChange.cause)
                .join(tables.ScoreChange, tables.ScoreChange.lead_pk == tables.Lead.id)
                .where(tables.Lead.workspace_pk == acme.pk, tables.ScoreChange.cause.like("event h-%"))
            ).all()
        )
    assert causes == {"L-1": "event h-1 (page_viewed)", "L-3": "event h-2 (page_viewed)"}


def test_a_write_that_fails_does_not_fail_the_others(acme: Workspace, service: Service) -> None:
    def broken(session: Session, ctx: Context) -> Done[None]:
        ingest.add_events(session, ctx, [{"event_id": "x-1", "lead_id": "L-3", "type": "page_viewed"}])
        raise RuntimeError("not a refusal: a fault")

    good, bad, other = in_one_group(
        service,
        acme,
        [events(("f-1", "L-1", "page_viewed")), broken, events(("f-2", "L-3", "page_viewed"))],
        committed=2,  # the group failed; each good write committed alone
    )
    with pytest.raises(RuntimeError, match="a fault"):
        bad.result()
    assert good.result().value.accepted == 1
    assert other.result().value.accepted == 1
    assert stored_events(acme) >= {"f-1", "f-2"}
    assert "x-1" not in stored_events(acme)


def test_closing_answers_every_write_queued(workspace: Workspace) -> None:
    svc = Service(workspace.store)
    svc.writer.start()
    futures = [svc.writer.submit(workspace.pk, events((f"c-{i}", "L-9", "page_viewed"))) for i in range(20)]
    svc.writer.close()
    assert all(f.done() for f in futures)
    assert sum(f.result().value.accepted for f in futures) == 20
    with pytest.raises(RuntimeError, match="not running"):
        svc.writer.submit(workspace.pk, events(("c-x", "L-9", "page_viewed")))


def test_the_writer_needs_to_be_started(workspace: Workspace) -> None:
    never: Callable[[Session, Context], Done[None]] = lambda _s, _c: Done(None)  # noqa: E731
    with pytest.raises(RuntimeError, match="not running"):
        Service(workspace.store).writer.submit(workspace.pk, never)
