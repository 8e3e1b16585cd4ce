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

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from leadgate.records import Lead
from leadgate.scoring import score_leads
from leadgate.scoring.result import LeadScore
from leadgate.scoring.rollups import rollups_read
from leadgate.service.store import tables
from leadgate.service.store.reading import load_leads
from leadgate.service.workspace import Context

_scores = cast(Table, tables.LeadScore.__table__)
_history = cast(Table, tables.ScoreChange.__table__)
_stages = cast(Table, tables.StageChange.__table__)
_OLD = select(_scores.c.lead_pk, _scores.c.score, _scores.c.grade, _scores.c.stage).where(
    _scores.c.lead_pk.in_(bindparam("keys", expanding=True))
)
_REPLACE = (  # every column but the key, from `_score_values`
    update(_scores)
    .where(_scores.c.lead_pk == bindparam("key_"))
    .values({c.name: bindparam(c.name) for c in _scores.columns if c.name != "lead_pk"})
)


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
    "account roll-ups (<the cause of a lead of its account>)"."""
    active = ctx.active
    if active is None or not causes:
        return {}
    definition = active.definition
    now = ctx.clock()
    loaded = load_leads(
        session, definition, active.readers, causes, now, active.pk, colleagues=bool(definition.rollups)
    )
    pk_of = {lead.lead_id: pk for pk, lead in loaded.leads.items()}
    read = rollups_read(definition)
    used: dict[int, dict[str, Any]] = {}

    def moved(lead: Lead, rollups: Mapping[str, float]) -> bool:
        """Whether to score this lead: a lead the change touched, or one whose score used other roll-ups
        (or another version, or none is stored): the others' scores would come out as they are."""
        pk = pk_of[lead.lead_id]
        values = {k: rollups.get(k) for k in read}
        if pk in causes or loaded.used.get(pk) != (active.pk, values):
            used[pk] = values
            return True
        return False

    results = list(
        score_leads(
            definition,
            loaded.leads.values(),
            loaded.accounts,
            loaded.events,
            loaded.calls,
            now,
            loaded.matches,
            keep=moved,
        )
    )
    by_account = {loaded.leads[pk].account_id: c for pk, c in causes.items() if pk in loaded.leads}
    every = {
        pk: causes[pk]
        if pk in causes
        else f"account roll-ups ({by_account.get(loaded.leads[pk].account_id, '')})"
        for pk in used
    }
    return record(session, ctx, results, pk_of, every, causes, loaded.unfit, loaded.current, used)


def record(
    session: Session,
    ctx: Context,
    results: Iterable[LeadScore],
    pk_of: Mapping[str, int],
    causes: Mapping[int, str],
    about: Collection[int],
    unfit: Mapping[int, list[str]] | None = None,
    current: Mapping[int, tuple[float, str, str]] | None = None,
    rollups: Mapping[int, dict[str, Any]] | None = None,
) -> dict[int, Change]:
    """Store new scores as the leads' current ones, with history rows for what moved (see above).
    `causes`: why, for every lead; `about`: the leads the change was about (the others are colleagues);
    `current`: the stored (score, grade, stage) by lead key, when the caller has read them; `rollups`:
    the roll-ups each score read (see `rollups_read`), when known."""
    active = ctx.active
    assert active is not None
    results = list(results)
    now = results[0].as_of if results else ctx.clock()
    connection = session.connection()
    if current is None:
        keys = sorted(pk_of[r.lead_id] for r in results)
        current = {
            row.lead_pk: (row.score, row.grade, row.stage) for row in connection.execute(_OLD, {"keys": keys})
        }
    changes: dict[int, Change] = {}
    new: list[dict[str, Any]] = []
    replaced: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    stages: list[dict[str, Any]] = []
    for result in results:
        pk = pk_of[result.lead_id]
        before = current.get(pk)
        old_score, old_grade, old_stage = before if before is not None else (None, None, None)
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
        why = causes[pk]
        values = _score_values(
            result, ctx.workspace_pk, active.pk, (unfit or {}).get(pk), (rollups or {}).get(pk)
        )
        if before is None:
            values["lead_pk"] = pk
            new.append(values)
        else:
            values["key_"] = pk
            replaced.append(values)
        if change.moved and (
            pk in about or (change.old_grade, change.old_stage) != (result.grade, result.stage)
        ):
            history.append(
                {
                    "workspace_pk": ctx.workspace_pk,
                    "lead_pk": pk,
                    "definition_pk": active.pk,
                    "at": now,
                    "cause": why[:200],
                    "old_score": change.old_score,
                    "new_score": change.new_score,
                    "old_grade": change.old_grade,
                    "new_grade": change.new_grade,
                    "old_stage": change.old_stage,
                    "new_stage": change.new_stage,
                }
            )
        if change.old_stage != change.new_stage:
            stages.append(
                {
                    "workspace_pk": ctx.workspace_pk,
                    "lead_pk": pk,
                    "definition_pk": active.pk,
                    "at": now,
                    "from_stage": change.old_stage,
                    "to_stage": change.new_stage,
                    "cause": why[:200],
                    "reasons": list(result.reasons),
                }
            )
    if new:
        connection.execute(insert(_scores), new)
    if replaced:
        connection.execute(_REPLACE, replaced)  # by primary key, as one executemany
    if history:
        connection.execute(insert(_history), history)
    if stages:
        connection.execute(insert(_stages), stages)
    return changes


def _score_values(
    result: LeadScore,
    workspace_pk: int,
    definition_pk: int,
    unfit: list[str] | None,
    rollups: dict[str, Any] | None,
) -> dict[str, Any]:
    document = result.as_dict()
    if unfit:
        document["unfit_fields"] = unfit
    return {
        "workspace_pk": workspace_pk,
        "definition_pk": definition_pk,
        "as_of": result.as_of,
        "score": result.score,
        "fit": result.fit,
        "grade": result.grade,
        "engagement": result.engagement,
        "criteria": result.criteria,
        "criteria_passed": result.criteria_passed,
        "persona": result.persona,
        "disqualified": result.disqualified,
        "fast_track": result.fast_track,
        "stage": result.stage,
        "result": document,
        "rollups": rollups,
    }
