"""The writers' memory of leads: what live scoring reads of a lead, kept between transactions.

Live scoring re-scores a lead at every change, and when a rule reads an account roll-up it reads every
lead of the account too. Reading them afresh each time (the lead and its account, its calls, its
events typed and sorted to the rules, its stored score) costs more than scoring them. So the sessions
that write keep a `LeadMemory` (one per open `Store`): a lead's `LeadState` is read from the store
once, then kept, and each transaction applies its own changes to the states it holds.

It is exact, not a cache that may be stale:
- every write transaction adds one to the store's revision (`Store.transaction`), and write
  transactions commit one at a time. The memory knows the revision its states are true at. A
  transaction that begins at any other revision than the next (something else wrote meanwhile: another
  process, a command, a transaction that did not tell the memory) sets the memory aside, reads what it
  needs from the store, and leaves only that behind;
- within a transaction, whatever changes a lead tells the transaction's `Recall`: events stored
  (`add_events`) are added to the lead's state; a lead, account or call changed (`forget`) is read
  again from the store when next needed; a score stored (`scored`) is noted. A savepoint rolled back
  makes the transaction forget what it learned so far (it reads it again). What a transaction learned
  is kept when it commits, and dropped when it rolls back;
- least recently used leads are dropped past `max_events` events held.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from threading import Lock
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from leadgate.records import Account, Event, Lead
from leadgate.scoring.matches import Matches
from leadgate.service.store import tables

if TYPE_CHECKING:
    from leadgate.service.workspace import ActiveDefinition
from leadgate.service.store.reading import (
    FAR_FUTURE,
    LEAD_COLUMNS,
    LEAD_JOINS,
    calls_column,
    read_events,
    records_of,
)


@dataclass(frozen=True, slots=True)
class AccountState:
    pk: int
    definition_pk: int  # fields are typed by this version's vocabulary
    account: Account
    unfit: tuple[str, ...]  # its fields left out (not of the vocabulary's type), as account.<name>
    members: frozenset[int] | None  # its leads' keys; None: not read yet


@dataclass(frozen=True, slots=True)
class LeadState:
    """A lead as live scoring reads it, true at the memory's revision."""

    pk: int
    workspace_pk: int
    definition_pk: int  # fields typed and events sorted by this version
    lead: Lead
    keys: tuple[tuple[str, str], ...]  # (lead_id | email | anonymous_id, value)
    account_pk: int | None
    unfit: tuple[str, ...]  # its fields left out, as lead.<name>
    calls: tuple[Any, ...]  # every call, whatever its time (scoring takes those up to as_of)
    matches: Matches  # every event of a declared type, sorted to the rules
    score: tuple[float, str, str] | None  # the stored (score, grade, stage)
    used: tuple[int, dict[str, Any] | None] | None  # the stored score's version key and roll-ups
    # scoring's memo (see `leadgate.scoring.evaluate.finish`)
    memo: dict[Any, Any] = field(default_factory=dict, compare=False)


class LeadMemory:
    """See the module's text. Shared by the threads of a process that write (one at a time)."""

    def __init__(self, max_events: int = 500_000) -> None:
        self.max_events = max_events
        self.revision: int | None = None  # the states are true at this revision
        self._leads: OrderedDict[int, LeadState] = OrderedDict()
        self._accounts: dict[int, AccountState] = {}
        self._keys: dict[tuple[int, str, str], int] = {}  # (workspace key, kind, value) -> lead key
        self._settings: dict[int, Any] = {}  # workspace key -> its settings row (`workspace.context_by_key`)
        self._size = 0  # events held
        self._lock = Lock()
        self.cleared = 0  # how many times it was set aside (for tests and the benchmark)

    def __len__(self) -> int:
        return len(self._leads)

    def recall(self, session: Session) -> Recall:
        """The transaction's view (one per session: see `recall_of`)."""
        revision = session.info.get("leadgate_revision")
        with self._lock:
            known = revision is not None and self.revision is not None and self.revision == revision - 1
        return Recall(self, session, revision, known)

    def lead(self, pk: int) -> LeadState | None:
        return self._leads.get(pk)

    def account(self, pk: int) -> AccountState | None:
        return self._accounts.get(pk)

    def key(self, workspace_pk: int, kind: str, value: str) -> int | None:
        return self._keys.get((workspace_pk, kind, value))

    def settings(self, workspace_pk: int) -> Any:
        return self._settings.get(workspace_pk)

    def keep(self, recall: Recall) -> None:
        """What a committed transaction learned."""
        if recall.revision is None:
            return
        with self._lock:
            if self.revision is not None and self.revision >= recall.revision:
                return  # a later transaction's memory is here already (answers may come late)
            if not recall.known or self.revision != recall.revision - 1:
                self._clear()
            for pk in recall.forgotten_leads:
                self._drop(pk)
            for pk in recall.forgotten_accounts:
                self._accounts.pop(pk, None)
            for state in recall.leads.values():
                self._put(state)
            self._accounts.update(recall.accounts)
            for pk in recall.forgotten_workspaces:
                self._settings.pop(pk, None)
            self._settings.update(recall.settings_read)
            for pk in recall.used:
                if pk in self._leads:
                    self._leads.move_to_end(pk)
            while self._size > self.max_events and self._leads:
                self._drop(next(iter(self._leads)))
            self.revision = recall.revision

    def forget_all(self, recall: Recall) -> None:
        """A transaction rolled back: what it changed is read again (the rest stays true)."""
        with self._lock:
            for pk in (*recall.forgotten_leads, *recall.leads):
                self._drop(pk)
            for pk in (*recall.forgotten_accounts, *recall.accounts):
                self._accounts.pop(pk, None)
            for pk in (*recall.forgotten_workspaces, *recall.settings_read):
                self._settings.pop(pk, None)

    def _clear(self) -> None:
        if self._leads or self._accounts:
            self.cleared += 1
        self._leads.clear()
        self._accounts.clear()
        self._keys.clear()
        self._settings.clear()
        self._size = 0

    def _put(self, state: LeadState) -> None:
        self._drop(state.pk)
        self._leads[state.pk] = state
        self._size += state.matches.count
        for kind, value in state.keys:
            self._keys[(state.workspace_pk, kind, value)] = state.pk

    def _drop(self, pk: int) -> None:
        old = self._leads.pop(pk, None)
        if old is None:
            return
        self._size -= old.matches.count
        for kind, value in old.keys:
            if self._keys.get((old.workspace_pk, kind, value)) == pk:
                del self._keys[(old.workspace_pk, kind, value)]


class Recall:
    """One write transaction's view of the memory: the states it read or changed, on top of the
    memory's (when those are true at the revision it began from: `known`)."""

    def __init__(self, memory: LeadMemory, session: Session, revision: int | None, known: bool) -> None:
        self.memory = memory
        self.session = session
        self.revision = revision
        self.known = known
        self.leads: dict[int, LeadState] = {}  # read or changed in this transaction
        self.accounts: dict[int, AccountState] = {}
        self.forgotten_leads: set[int] = set()
        self.forgotten_accounts: set[int] = set()
        self.used: set[int] = set()  # memory's states this transaction read (kept the longest)
        self.settings_read: dict[int, Any] = {}  # workspaces' settings rows read in this transaction
        self.forgotten_workspaces: set[int] = set()

    # -- reading -------------------------------------------------------------------------------

    def lead(self, pk: int, definition_pk: int) -> LeadState | None:
        state = self.leads.get(pk)
        if state is None and self.known and pk not in self.forgotten_leads:
            state = self.memory.lead(pk)
            if state is not None:
                self.used.add(pk)
        return state if state is not None and state.definition_pk == definition_pk else None

    def account(self, pk: int, definition_pk: int) -> AccountState | None:
        state = self.accounts.get(pk)
        if state is None and self.known and pk not in self.forgotten_accounts:
            state = self.memory.account(pk)
        return state if state is not None and state.definition_pk == definition_pk else None

    def key(self, workspace_pk: int, kind: str, value: str) -> int | None:
        """The lead a key names, when the memory holds it (else: ask the store)."""
        if not self.known:
            return None
        pk = self.memory.key(workspace_pk, kind, value)
        if pk is None or pk in self.forgotten_leads:
            return None
        return pk

    def settings(self, workspace_pk: int) -> Any:
        """The workspace's settings row (`workspace.context_by_key`), when known (else: ask the store)."""
        found = self.settings_read.get(workspace_pk)
        if found is None and self.known and workspace_pk not in self.forgotten_workspaces:
            found = self.memory.settings(workspace_pk)
        return found

    def read_settings(self, workspace_pk: int, row: Any) -> None:
        self.settings_read[workspace_pk] = row

    def forget_workspace(self, workspace_pk: int) -> None:
        """The workspace's settings (or its active version) changed."""
        self.settings_read.pop(workspace_pk, None)
        self.forgotten_workspaces.add(workspace_pk)

    def states(
        self, active: ActiveDefinition, pks: Iterable[int], colleagues: bool
    ) -> tuple[dict[int, LeadState], dict[int, AccountState]]:
        """These leads (with `colleagues`, and every lead of their accounts) and their accounts, read
        from the store when the memory does not hold them."""
        definition_pk = active.pk
        leads: dict[int, LeadState] = {}
        missing: list[int] = []
        for pk in pks:
            state = self.lead(pk, definition_pk)
            if state is None:
                missing.append(pk)
            else:
                leads[pk] = state
        if missing:
            leads.update(self._read(active, missing, ()))
        accounts: dict[int, AccountState] = {}
        unknown: dict[int, None] = {}  # the accounts to read, each once
        for state in list(leads.values()):
            if state.account_pk is None or state.account_pk in accounts or state.account_pk in unknown:
                continue
            account = self.account(state.account_pk, definition_pk)
            if account is None or (colleagues and account.members is None):
                unknown[state.account_pk] = None
            else:
                accounts[account.pk] = account
        if unknown:  # read with all its leads (the recall holds them; they are returned as colleagues)
            read = self._read(active, (), unknown)
            leads.update(read if colleagues else {pk: read[pk] for pk in leads if pk in read})
        for pk in unknown:
            found = self.account(pk, definition_pk)
            assert found is not None, "an account read with its leads"
            accounts[pk] = found
        if colleagues:
            held: dict[int, LeadState] = {}  # the colleagues this transaction or the memory holds
            missing = []
            for account in accounts.values():
                for m in account.members or ():
                    if m not in leads:
                        found_lead = self.lead(m, definition_pk)
                        if found_lead is None:
                            missing.append(m)
                        else:
                            held[m] = found_lead
            if missing:
                read = self._read(active, missing, ())
                assert all(m in read for m in missing)
                leads.update(read)
            leads.update(held)  # after those read (the order the leads are scored and stored in)
        return leads, accounts

    def _read(
        self, active: ActiveDefinition, pks: Collection[int], accounts: Collection[int]
    ) -> dict[int, LeadState]:
        """Read leads by key, and every lead of these accounts, into this transaction's states."""
        connection = self.session.connection()
        dialect = connection.dialect.name
        rows: list[Any] = []
        if pks:
            rows += connection.execute(_by_keys(dialect), {"keys": sorted(pks), "as_of": FAR_FUTURE}).all()
        if accounts:
            rows += connection.execute(
                _by_accounts(dialect), {"accounts": sorted(accounts), "as_of": FAR_FUTURE}
            ).all()
        rows = list({row[0]: row for row in rows}.values())  # a lead asked for and in an account read
        definition = active.definition
        readers = active.readers
        read = records_of(rows, readers)
        kinds = list(definition.event_types)
        events = read_events(self.session, readers, sorted(read), kinds, FAR_FUTURE) if kinds else {}
        members: dict[int, set[int]] = {pk: set() for pk in accounts}
        out: dict[int, LeadState] = {}
        for row in rows:
            # LEAD_COLUMNS (lead key 0, lead_id 1, email 2, account key 5, score 10 to roll-ups 14), then
            # the workspace's key 15, anonymous_id 16 and the calls
            pk, account_pk = row[0], row[5]
            record = read[pk]
            if account_pk is not None:
                members.setdefault(account_pk, set()).add(pk)
                if account_pk not in self.accounts or account_pk in accounts:
                    assert record.account is not None
                    self.accounts[account_pk] = AccountState(
                        account_pk, active.pk, record.account, record.account_unfit, None
                    )
            keys = (("lead_id", row[1]), ("email", row[2]), ("anonymous_id", row[16]))
            scored = row[10] is not None
            state = LeadState(
                pk=pk,
                workspace_pk=row[15],
                definition_pk=active.pk,
                lead=record.lead,
                keys=tuple((kind, value) for kind, value in keys if value is not None),
                account_pk=account_pk,
                unfit=record.lead_unfit,
                calls=record.calls,
                matches=Matches.of(definition, (e for _, e in events.get(pk, ()))),
                score=(row[10], row[11], row[12]) if scored else None,
                used=(row[13], row[14]) if scored else None,
            )
            self.leads[pk] = out[pk] = state
            self.forgotten_leads.discard(pk)
        for pk in accounts:
            account = self.accounts.get(pk)
            if account is not None:
                self.accounts[pk] = replace(account, members=frozenset(members[pk]))
                self.forgotten_accounts.discard(pk)
        return out

    # -- what the transaction changes ----------------------------------------------------------

    def add_events(self, active: ActiveDefinition, events: Mapping[int, list[Event]]) -> None:
        """Events stored for these leads (by key), in the order they were stored, of the types the
        definition declares. A lead the memory does not hold is read from the store, which has them,
        when it is needed. (Scoring's memo carries over: nothing it holds reads the events.)"""
        for pk, added in events.items():
            state = self.lead(pk, active.pk)
            if state is not None:
                matches = state.matches.plus(active.definition, added)
                self.leads[pk] = _changed(state, matches, state.score, state.used)

    def scored(self, pk: int, definition_pk: int, score: tuple[float, str, str], rollups: Any) -> None:
        """A score was stored for this lead."""
        state = self.lead(pk, definition_pk)
        if state is not None:
            self.leads[pk] = _changed(state, state.matches, score, (definition_pk, rollups))

    def forget(self, leads: Iterable[int] = (), accounts: Iterable[int | None] = ()) -> None:
        """These leads or accounts changed (their rows, their calls): read them again when needed."""
        for pk in leads:
            self.leads.pop(pk, None)
            self.forgotten_leads.add(pk)
        for account_pk in accounts:
            if account_pk is not None:
                self.accounts.pop(account_pk, None)
                self.forgotten_accounts.add(account_pk)

    def forget_changed(self) -> None:
        """A savepoint was rolled back: what this transaction changed or read since it began may be
        undone, so it is read again when needed."""
        self.forget(list(self.leads), list(self.accounts))
        for pk in list(self.settings_read):
            self.forget_workspace(pk)


def _changed(
    state: LeadState,
    matches: Matches,
    score: tuple[float, str, str] | None,
    used: tuple[int, dict[str, Any] | None] | None,
) -> LeadState:
    """The state with other events or another stored score; scoring's memo carries over (nothing it
    holds reads either)."""
    return replace(state, matches=matches, score=score, used=used)


@dataclass(frozen=True)
class _Queries:
    by_keys: Any
    by_accounts: Any


_queries: dict[str, _Queries] = {}


def _statements(dialect: str) -> _Queries:
    found = _queries.get(dialect)
    if found is None:
        lead = tables.Lead.__table__
        columns = (*LEAD_COLUMNS, lead.c.workspace_pk, lead.c.anonymous_id, calls_column(dialect))
        base = select(*columns).select_from(LEAD_JOINS)
        found = _queries[dialect] = _Queries(
            base.where(lead.c.id.in_(bindparam("keys", expanding=True))),
            base.where(lead.c.account_pk.in_(bindparam("accounts", expanding=True))),
        )
    return found


def _by_keys(dialect: str) -> Any:
    return _statements(dialect).by_keys


def _by_accounts(dialect: str) -> Any:
    return _statements(dialect).by_accounts


def recall_of(session: Session) -> Recall | None:
    """The transaction's view of its store's memory (None: a session that does not write)."""
    found: Recall | None = session.info.get("leadgate_recall")
    if found is None:
        memory: LeadMemory | None = session.info.get("leadgate_memory")
        if memory is None:
            return None
        found = session.info["leadgate_recall"] = memory.recall(session)
    return found


def kept(session: Session) -> None:
    """After a commit: the memory keeps what the transaction learned."""
    recall: Recall | None = session.info.pop("leadgate_recall", None)
    if recall is not None:
        recall.memory.keep(recall)


def rolled_back(session: Session, previous_transaction: Any = None) -> None:
    """After a rollback: of the whole transaction (the memory forgets what it changed), or of a
    savepoint (the transaction reads again what it learned)."""
    recall: Recall | None = session.info.get("leadgate_recall")
    if recall is None:
        return
    if previous_transaction is not None and getattr(previous_transaction, "nested", False):
        recall.forget_changed()
        return
    session.info.pop("leadgate_recall", None)
    recall.memory.forget_all(recall)
