"""Live scoring: re-score the leads a change touched, in the caller's transaction, and record what moved.

When the definition has account roll-ups, a change to one lead can change its colleagues' scores, so
every lead of the touched leads' accounts is read and the roll-ups computed over all of them (exactly as
the batch engines do). The touched leads are re-scored; a colleague is re-scored when the roll-ups its
stored score read (those some rule reads: `rollups_read`, kept with the score) differ from the new ones,
or its score is from another version or does not say (scores stored by a definition's activation).
Otherwise its score would come out the same but for the time it is as of, and it is left as it is
(engagement fading with time is what a nightly `leadgate definitions rescore` is for).
Each re-scored lead's current score is replaced. A row in `score_changes` records old → new score,
grade and stage with the cause and the definition version, for every lead the change was about, and
for any other lead whose grade or stage moved (a colleague's score drifting with decay is not news);
a row in `stage_changes` records every change of the recommended stage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from leadgate.scoring.engagement import EngagementResult, last_positive_at, score_engagement
from leadgate.scoring.evaluate import finish, lead_context
from leadgate.scoring.result import LeadScore
from leadgate.scoring.rollups import Member, compute_rollups, rollups_read
from leadgate.service.memory import recall_of
from leadgate.service.store import tables
from leadgate.service.store.statements import (
    RESCORE_COLUMNS,
    SCORE_COLUMNS,
    run_many,
    stored_json,
    stored_time,
)
from leadgate.service.workspace import Context

_scores = cast(Table, tables.LeadScore.__table__)
_history = cast(Table, tables.ScoreChange.__table__)
_stages = cast(Table, tables.StageChange.__table__)
_OLD = select(
    _scores.c.lead_pk, _scores.c.score, _scores.c.grade, _scores.c.stage, _scores.c.definition_pk
).where(_scores.c.lead_pk.in_(bindparam("keys", expanding=True)))


@dataclass(frozen=True)
class Change:
    """One lead's re-score: what it was (None when first scored) and what it is now."""

    lead_id: str
    old_score: float | None
    new_score: float
    old_grade: str | None
    new_grade: str
    old_stage: str | None
    new_stage: str
    definition_version: int
    account_id: str | None = field(default=None, compare=False)  # not in the answer: whose roll-ups

    @property
    def old_and_new(self) -> tuple[float | None, float, str | None, str, str | None, str]:
        """Old and new score, grade and stage (a history row's columns in `HISTORY_COLUMNS` order)."""
        return (
            self.old_score,
            self.new_score,
            self.old_grade,
            self.new_grade,
            self.old_stage,
            self.new_stage,
        )

    @property
    def moved(self) -> bool:
        return (self.old_score, self.old_grade, self.old_stage) != (
            self.new_score,
            self.new_grade,
            self.new_stage,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "old_score": self.old_score,
            "new_score": self.new_score,
            "old_grade": self.old_grade,
            "new_grade": self.new_grade,
            "old_stage": self.old_stage,
            "new_stage": self.new_stage,
            "definition_version": self.definition_version,
        }


def rescore(session: Session, ctx: Context, lead_pks: Collection[int], cause: str) -> dict[int, Change]:
    """Re-score these leads (and their accounts' leads, for roll-ups); the changes by lead key."""
    return rescore_each(session, ctx, dict.fromkeys(lead_pks, cause))


def rescore_each(session: Session, ctx: Context, causes: Mapping[int, str]) -> dict[int, Change]:
    """Re-score these leads, each for its own cause (several writes committed together), and those of
    their accounts' leads whose roll-ups moved (see the module's text); a colleague's cause is
    "account roll-ups (<the cause of a lead of its account>)". The leads come from the writers'
    memory (`service.memory`), read from the store when it does not hold them."""
    active = ctx.active
    if active is None or not causes:
        return {}
    recall = recall_of(session)
    if recall is None:
        raise RuntimeError("live scoring runs in a write transaction (Store.transaction)")
    definition = active.definition
    now = ctx.clock()
    read = rollups_read(definition)
    states, accounts = recall.states(active, causes, colleagues=bool(read))
    # what the roll-ups rules read need of each lead: engagement points, or only its latest event
    # worth points (`engaged_contacts`); a colleague's engagement is scored only when it is re-scored
    totals = any(r.measure == "engagement" for r in definition.rollups if r.id in read)
    engaged = any(r.measure == "engaged_contacts" for r in definition.rollups if r.id in read)
    contexts: dict[int, dict[str, Any]] = {}
    engagements: dict[int, EngagementResult] = {}
    members: dict[int, list[Member]] = defaultdict(list)
    for pk, state in states.items():
        account = accounts.get(state.account_pk) if state.account_pk is not None else None
        contexts[pk] = lead_context(
            definition, state.lead, account.account if account else None, now, state.memo
        )
        if pk in causes or totals:
            engagements[pk] = score_engagement(definition, (), now, state.matches)
        if account is not None and read:
            found = engagements.get(pk)
            members[account.pk].append(
                Member(contexts[pk], found.total, found.last_positive_at)
                if found is not None
                else Member(
                    contexts[pk], 0.0, last_positive_at(definition, now, state.matches) if engaged else None
                )
            )
    rollups = {pk: compute_rollups(definition, group, now, read) for pk, group in members.items()}
    by_account = {states[pk].account_pk: cause for pk, cause in causes.items() if pk in states}
    results: list[tuple[int, LeadScore]] = []
    used: dict[int, dict[str, Any]] = {}
    every: dict[int, str] = {}
    for pk, state in states.items():
        theirs = rollups.get(state.account_pk, {}) if state.account_pk is not None else {}
        values = {k: theirs.get(k) for k in read}
        # a lead the change touched, or one whose score used other roll-ups (or another version, or none
        # is stored): the others' scores would come out as they are
        if pk not in causes and state.used == (active.pk, values):
            continue
        used[pk] = values
        every[pk] = (
            causes[pk] if pk in causes else f"account roll-ups ({by_account.get(state.account_pk, '')})"
        )
        engagement = engagements.get(pk) or score_engagement(definition, (), now, state.matches)
        result = finish(
            definition,
            state.lead,
            contexts[pk],
            engagement,
            theirs,
            state.calls,
            now,
            state.matches,
            state.memo,
        )
        results.append((pk, result))
    unfit: dict[int, list[str]] = {}
    current: dict[int, Stored] = {}
    for pk, _result in results:
        state = states[pk]
        left_out = (
            [*accounts[state.account_pk].unfit, *state.unfit] if state.account_pk is not None else state.unfit
        )
        if left_out:
            unfit[pk] = list(left_out)
        if state.score is not None and state.used is not None:
            current[pk] = (*state.score, state.used[0])
    pk_of = {result.lead_id: pk for pk, result in results}
    return record(session, ctx, [r for _, r in results], pk_of, every, causes, unfit, current, used)


def record(
    session: Session,
    ctx: Context,
    results: Iterable[LeadScore],
    pk_of: Mapping[str, int],
    causes: Mapping[int, str],
    about: Collection[int],
    unfit: Mapping[int, list[str]] | None = None,
    current: Mapping[int, Stored] | None = None,
    rollups: Mapping[int, dict[str, Any]] | None = None,
) -> dict[int, Change]:
    """Store new scores as the leads' current ones, with history rows for what moved (see above).
    `causes`: why, for every lead; `about`: the leads the change was about (the others are colleagues);
    `current`: the stored (score, grade, stage, version key) by lead key, when the caller has read
    them; `rollups`:
    the roll-ups each score read (see `rollups_read`), when known."""
    active = ctx.active
    assert active is not None
    results = list(results)
    now = results[0].as_of if results else ctx.clock()
    connection = session.connection()
    if current is None:
        keys = sorted(pk_of[r.lead_id] for r in results)
        current = {
            row.lead_pk: (row.score, row.grade, row.stage, row.definition_pk)
            for row in connection.execute(_OLD, {"keys": keys})
        }
    changes: dict[int, Change] = {}
    dialect = connection.dialect.name
    at = stored_time(dialect, now)
    times: dict[datetime, datetime | str] = {}
    new: list[tuple[Any, ...]] = []
    replaced: list[tuple[Any, ...]] = []
    rescored: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    stages: list[tuple[Any, ...]] = []
    recall = recall_of(session)
    workspace_pk, definition_pk = ctx.workspace_pk, active.pk
    for result in results:
        pk = pk_of[result.lead_id]
        before = current.get(pk)
        old_score, old_grade, old_stage, old_version = (
            before if before is not None else (None, None, None, None)
        )
        change = Change(
            result.lead_id,
            old_score,
            result.score,
            old_grade,
            result.grade,
            old_stage,
            result.stage,
            active.number,
            result.account_id,
        )
        changes[pk] = change
        why = causes[pk][:200]
        used = (rollups or {}).get(pk)
        as_of = times.get(result.as_of)
        if as_of is None:  # the results of one re-score share their moment
            as_of = times[result.as_of] = stored_time(dialect, result.as_of)
        values = _score_values(as_of, result, workspace_pk, definition_pk, (unfit or {}).get(pk), used)
        if before is None:
            new.append((*values, pk))
        elif (old_version, old_grade, old_stage) == (definition_pk, result.grade, result.stage):
            # the columns the other indexes cover are as they were: they are not written
            rescored.append((*(values[i] for i in _RESCORED), pk))
        else:
            replaced.append((*values, pk))
        if change.moved and (pk in about or (old_grade, old_stage) != (result.grade, result.stage)):
            history.append((workspace_pk, pk, definition_pk, at, why, *change.old_and_new))
        if old_stage != result.stage:
            reasons = stored_json(list(result.reasons))
            stages.append((workspace_pk, pk, definition_pk, at, old_stage, result.stage, why, reasons))
        if recall is not None:
            recall.scored(pk, definition_pk, (result.score, result.grade, result.stage), used)
    run_many(connection, "new scores", new)
    run_many(connection, "scores", replaced)  # by the lead's key, as one executemany
    run_many(connection, "rescores", rescored)
    run_many(connection, "history", history)
    run_many(connection, "stages", stages)
    return changes


Stored = tuple[float, str, str, int]  # a stored score's (score, grade, stage, version key)
_RESCORED = tuple(SCORE_COLUMNS.index(c) for c in RESCORE_COLUMNS)


def _score_values(
    as_of: datetime | str,
    result: LeadScore,
    workspace_pk: int,
    definition_pk: int,
    unfit: list[str] | None,
    rollups: dict[str, Any] | None,
) -> tuple[Any, ...]:
    """A `lead_scores` row but its key, in stored form (`as_of` so already), in
    `statements.SCORE_COLUMNS`' order."""
    document = result.as_json(unfit_fields=unfit) if unfit else result.as_json()
    return (
        workspace_pk,
        definition_pk,
        as_of,
        result.score,
        result.fit,
        result.grade,
        result.engagement,
        result.criteria,
        result.criteria_passed,
        result.persona,
        result.disqualified,
        result.fast_track,
        result.stage,
        document.decode(),
        stored_json(rollups),
    )
