"""The writer in a process of its own (`LEADGATE_WRITER=process`, the server's default), on both
backends: writes are answered after they commit, with the same answers as in one process; refusals
keep their problems; a child that dies fails only the writes waiting on it and is started again;
closing answers every write sent. Every API test runs through it too (the test server's default)."""

from __future__ import annotations

import gc
import os
import signal
import socket
import weakref
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from leadgate.errors import UsageError
from leadgate.service import ingest
from leadgate.service.api import create_app
from leadgate.service.api.deps import Service
from leadgate.service.errors import Conflict, InputError, Unavailable
from leadgate.service.store import tables
from leadgate.service.writer_process import Collector, WriterProcess
from service.support import Workspace, iso, make_workspace, now, start_server, stop_server
from service.writer_support import AnswerUnpicklable, Refuse, Sleep


@pytest.fixture
def writer(workspace: Workspace) -> Iterator[WriterProcess]:
    svc = Service(workspace.store, writer_mode="process")
    assert isinstance(svc.writer, WriterProcess)
    svc.writer.start()
    yield svc.writer
    svc.writer.close()


def event(event_id: str, lead_id: str = "L-1") -> dict[str, str]:
    return {"event_id": event_id, "lead_id": lead_id, "type": "page_viewed", "time": iso(now())}


def stored(workspace: Workspace) -> set[str]:
    with workspace.store.reading() as session:
        return set(
            session.scalars(select(tables.Event.event_id).where(tables.Event.workspace_pk == workspace.pk))
        )


def test_a_write_is_answered_after_it_commits(workspace: Workspace, writer: WriterProcess) -> None:
    written = writer.submit(workspace.pk, ingest.AddEvents([event("p-1"), event("p-2")])).result(60)
    assert written.value.accepted == 2
    assert written.value.leads_created == 1
    (change,) = written.changes.values()
    assert (change.lead_id, change.old_score, change.definition_version) == ("L-1", None, 1)
    assert stored(workspace) == {"p-1", "p-2"}
    assert writer.writes >= 1 and writer.groups >= 1
    again = writer.submit(workspace.pk, ingest.AddEvents([event("p-1")])).result(60)
    assert (again.value.accepted, again.value.duplicates) == (0, 1)


def test_refusals_keep_their_problems(workspace: Workspace, writer: WriterProcess) -> None:
    bad = writer.submit(workspace.pk, ingest.AddEvents([event("r-1"), {"lead_id": "L-1"}], atomic=True))
    with pytest.raises(InputError) as refused:
        bad.result(60)
    paths = {p.path for p in refused.value.problems}
    assert any(path and path.startswith("events.1.") for path in paths), paths
    with pytest.raises(Conflict, match="not this one"):
        writer.submit(workspace.pk, Refuse("not this one")).result(60)
    assert stored(workspace) == set()


def test_an_answer_that_does_not_pickle_is_an_error(workspace: Workspace, writer: WriterProcess) -> None:
    with pytest.raises(RuntimeError, match=r"committed, but the answer does not pickle: .*lambda"):
        writer.submit(workspace.pk, AnswerUnpicklable()).result(60)
    assert writer.submit(workspace.pk, ingest.AddEvents([event("u-1")])).result(60).value.accepted == 1


def test_a_child_that_dies_fails_only_the_writes_waiting(workspace: Workspace, writer: WriterProcess) -> None:
    waiting = writer.submit(workspace.pk, Sleep(30))
    process = writer._process
    assert process is not None and process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    with pytest.raises(Unavailable, match="ended before it answered"):
        waiting.result(60)
    written = writer.submit(workspace.pk, ingest.AddEvents([event("d-1")])).result(60)  # a new child
    assert written.value.accepted == 1
    assert writer._process is not None and writer._process.pid != process.pid


def test_closing_answers_every_write_sent(workspace: Workspace) -> None:
    writer = WriterProcess(workspace.store.url)
    writer.start()
    futures = [writer.submit(workspace.pk, ingest.AddEvents([event(f"c-{i}", "L-9")])) for i in range(20)]
    writer.close()
    assert all(f.done() for f in futures)
    assert sum(f.result().value.accepted for f in futures) == 20
    with pytest.raises(RuntimeError, match="not running"):
        writer.submit(workspace.pk, ingest.AddEvents([event("c-x", "L-9")]))


def test_a_store_that_does_not_open_fails_at_start() -> None:
    writer = WriterProcess("postgresql://postgres@127.0.0.1:1/nowhere")
    with pytest.raises(Exception, match=r"127\.0\.0\.1.*1"):
        writer.start()


def test_the_writer_setting_is_checked() -> None:
    with pytest.raises(UsageError, match="LEADGATE_WRITER must be process or thread; got 'fork'"):
        create_app("sqlite:///unused.db", writer="fork")


def test_a_server_can_keep_its_writer_in_process(workspace: Workspace, tmp_path: Path) -> None:
    server = start_server(workspace.store.url, tmp_path / "thread.log", LEADGATE_WRITER="thread")
    try:
        ws = make_workspace(workspace.store, server)
        answer = httpx.post(
            f"{server.url}/v1/events",
            json=event("t-1", "L-7"),
            headers={"Authorization": f"Bearer {ws.secrets['write']}"},
            timeout=60,
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["changes"][0]["lead_id"] == "L-7"
        assert stored(ws) == {"t-1"}
    finally:
        stop_server(server)


def test_the_child_outlives_signals_to_the_group_and_ends_with_the_server(workspace: Workspace) -> None:
    writer = WriterProcess(workspace.store.url)
    writer.start()
    process, pipe = writer._process, writer._pipe
    assert process is not None and pipe is not None
    os.kill(process.pid, signal.SIGTERM)  # as a service manager stopping the group: the server decides
    os.kill(process.pid, signal.SIGINT)
    assert writer.submit(workspace.pk, ingest.AddEvents([event("s-1", "L-8")])).result(60).value.accepted == 1
    assert process.poll() is None
    end = socket.socket(fileno=pipe.fileno())
    end.shutdown(socket.SHUT_RDWR)  # as if the server were gone: the child sees the end of the pipe
    end.detach()
    assert process.wait(timeout=60) == 0
    writer.close()


def test_the_writers_collector_freezes_what_survives_a_group_and_now_and_then_collects_it_all() -> None:
    thresholds = gc.get_threshold()
    collector = Collector(every=3600)
    try:

        class Node:
            other: Node

        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: only the collector frees it
        alive = weakref.ref(a)
        collector.after_group()  # alive after the group: frozen
        assert gc.get_freeze_count() > 0
        del a, b
        collector.after_group()  # the young generations only: the frozen cycle stays
        assert alive() is not None
        collector.every = 0
        collector.after_group()  # everything unfrozen and collected, then frozen again
        assert alive() is None
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
