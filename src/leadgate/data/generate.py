"""Synthetic, reproducible lead data in the formats of docs/data.md (`leadgate generate`).

Leads are drawn in chunks of CHUNK_LEADS, each chunk from its own random stream (seed, chunk number),
and written as they are drawn, so memory stays bounded and the files depend only on the arguments.
Who the leads are: population.py; what they do: behaviour.py; calls and deals: sales.py.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson

from leadgate.data.behaviour import draw_events
from leadgate.data.population import draw_population
from leadgate.data.sales import draw_calls, draw_deals
from leadgate.data.timing import iso

GENERATOR_VERSION = "1"
DEFAULT_END = datetime(2026, 9, 30, tzinfo=UTC)
CHUNK_LEADS = 10_000
ACCOUNT_COLUMNS = ("account_id", "domain", "name", "industry", "employees", "annual_revenue", "country",
                   "technologies", "is_customer")  # fmt: skip
LEAD_COLUMNS = ("lead_id", "email", "account_id", "created_at", "first_name", "last_name", "title", "seniority",
                "department", "country", "source", "interests")  # fmt: skip
ANSWER_COLUMNS = ("call_id", "lead_id", "called_at", "outcome", "criterion", "answer")
OUTCOME_COLUMNS = ("lead_id", "outcome", "closed_at", "revenue")
FILES = ("accounts.csv", "leads.csv", "events.jsonl", "answers.csv", "outcomes.csv")


@dataclass(frozen=True)
class GenerateSummary:
    out_dir: Path
    accounts: int
    leads: int
    events: int
    calls: int  # call attempts (distinct call_id)
    answers: int  # rows of answers.csv: one per unreached call, one per answer (or one) per reached call
    won: int
    lost: int
    open: int
    end: datetime  # as_of the data is "current" to


def generate(
    out_dir: Path,
    leads: int,
    seed: int = 0,
    end: datetime = DEFAULT_END,
    events_per_lead: float = 25.0,
    progress: Callable[[int], None] | None = None,
) -> GenerateSummary:
    """Write accounts.csv, leads.csv, events.jsonl, answers.csv, outcomes.csv and manifest.json."""
    if leads < 0:
        raise ValueError(f"leads must be >= 0, got {leads}")
    if not events_per_lead >= 0:
        raise ValueError(f"events_per_lead must be >= 0, got {events_per_lead}")
    end = end.replace(tzinfo=UTC) if end.tzinfo is None else end.astimezone(UTC)
    end_s = int(end.timestamp())
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(("accounts", "leads", "events", "calls", "answers", "won", "lost", "open"), 0)
    with ExitStack() as stack:
        accounts_csv, leads_csv, answers_csv, outcomes_csv = (
            csv.writer(stack.enter_context((out_dir / name).open("w", encoding="utf-8", newline="")),
                       lineterminator="\n")
            for name in ("accounts.csv", "leads.csv", "answers.csv", "outcomes.csv")
        )  # fmt: skip
        events_jsonl = stack.enter_context((out_dir / "events.jsonl").open("wb"))
        for writer, header in ((accounts_csv, ACCOUNT_COLUMNS), (leads_csv, LEAD_COLUMNS),
                               (answers_csv, ANSWER_COLUMNS), (outcomes_csv, OUTCOME_COLUMNS)):  # fmt: skip
            writer.writerow(header)
        for chunk, start in enumerate(range(0, leads, CHUNK_LEADS)):
            n = min(CHUNK_LEADS, leads - start)
            rng = np.random.default_rng([seed, chunk] if seed >= 0 else [-seed, chunk, 1])
            pop = draw_population(rng, n, start + 1, counts["accounts"] + 1, end_s)
            events = draw_events(rng, pop, end_s, events_per_lead)
            calls = draw_calls(rng, pop, events, end_s, events_per_lead)
            deals = draw_deals(rng, pop, events, calls, end_s)
            lead_ids = pop.leads.ids
            accounts_csv.writerows(pop.accounts.rows())
            leads_csv.writerows(pop.leads.rows(pop.accounts, iso(pop.leads.created)))
            events_jsonl.write(events.jsonl(counts["events"] + 1, lead_ids))
            answer_rows = calls.rows(counts["calls"] + 1, lead_ids)
            answers_csv.writerows(answer_rows)
            outcomes_csv.writerows(deals.rows(lead_ids))
            counts["accounts"] += len(pop.accounts.industry)
            counts["leads"] += n
            counts["events"] += len(events.time)
            counts["calls"] += len(calls.time)
            counts["answers"] += len(answer_rows)
            for code, name in enumerate(("open", "won", "lost")):
                counts[name] += int((deals.outcome == code).sum())
            if progress is not None:
                progress(start + n)
    manifest = {
        "generator": "leadgate.data.generate",
        "version": GENERATOR_VERSION,
        "seed": seed,
        "leads": leads,
        "events_per_lead": float(events_per_lead),
        "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "counts": counts,
        "files": list(FILES),
    }
    (out_dir / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return GenerateSummary(out_dir=out_dir, end=end, **counts)
