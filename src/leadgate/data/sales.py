"""What sales does with the generated leads: qualification calls, their answers, and won/lost deals.

The win probability of a deal is a logistic model over known factors (`WIN_MODEL`), documented in
docs/data.md ("Generated data"), so that a definition or a learner can be checked against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from leadgate.data.behaviour import NEVER, Events
from leadgate.data.population import (
    ACCOUNT,
    COMPETITOR,
    COUNTRIES,
    CRM_TECHNOLOGIES,
    EMBARGOED_COUNTRIES,
    INDUSTRIES,
    SAMPLE_INDUSTRIES,
    SENIORITIES,
    STUDENT,
    TARGET_INDUSTRIES,
    TECHNOLOGIES,
    Flags,
    Ints,
    Population,
    categorical,
)
from leadgate.data.timing import DAY, Seconds, iso

CRITERIA = {
    "budget": ("confirmed", "planned", "none"),
    "authority": ("decision_maker", "influencer", "none"),
    "need": ("urgent", "clear", "unclear", "none"),
    "timeline": ("this_quarter", "this_year", "later", "none"),
    "next_step": ("agreed", "not_agreed"),
    "sample_requested": ("yes", "no"),
}
CALL_OUTCOMES = ("reached", "voicemail", "no_answer")
# answer weights: [not in market, in market]
BUDGET = np.array([[0.06, 0.24, 0.70], [0.50, 0.35, 0.15]])
NEED = np.array([[0.03, 0.20, 0.42, 0.35], [0.30, 0.45, 0.18, 0.07]])
TIMELINE = np.array([[0.03, 0.15, 0.42, 0.40], [0.45, 0.38, 0.12, 0.05]])
NEXT_STEP = np.array([[0.18, 0.82], [0.65, 0.35]])
AUTHORITY = np.array([[0.90, 0.10, 0.0], [0.75, 0.25, 0.0], [0.25, 0.65, 0.10], [0.10, 0.70, 0.20],
                      [0.03, 0.42, 0.55], [0.0, 0.0, 1.0]])  # by seniority  # fmt: skip
ANSWER_RATE = 0.85  # each criterion is answered in a reached call with this probability
FIRST_CALL_DELAY, CALL_GAP = 1.0 * DAY, 2.5 * DAY  # means of exponential delays

# (factor, coefficient, when it holds): z = the sum of the coefficients of the factors that hold,
# P(won | the deal closed) = 1 / (1 + exp(-z)). Documented in docs/data.md, "Generated data".
WIN_MODEL = (
    ("intercept", -3.8, "always"),
    ("icp_size", 1.0, "the account has 200-5000 employees"),
    ("small", -0.8, "the account has fewer than 50 employees"),
    ("target_industry", 0.8, "the account's industry is software, fintech or healthcare"),
    ("decision_maker", 0.6, "the lead's seniority is c_level or vp"),
    ("existing_customer", 0.8, "the account's is_customer is true"),
    ("crm_stack", 0.4, "the account's technologies include salesforce or hubspot"),
    ("committee", 0.4, "3 or more leads in leads.csv have the lead's account_id"),
    ("pricing_views", 0.6, "3 or more page_viewed events of /pricing before the reached call"),
    ("demo_request", 0.9, "a form_submitted contact_sales or demo_request before the reached call"),
    ("budget_confirmed", 1.2, "the reached call answered budget = confirmed"),
    ("timeline_this_quarter", 0.7, "the reached call answered timeline = this_quarter"),
    ("in_market", 0.8, "the lead is in market: its account is and it takes part (hidden: not in the files)"),
)


def activity_threshold(events_per_lead: float) -> int:
    """A lead with this many events gets a call even without raising a hand."""
    return max(5, math.ceil(2.5 * events_per_lead))


@dataclass(frozen=True)
class Calls:
    lead: Ints  # per attempt, sorted by lead then time
    time: Seconds
    outcome: Ints
    answers: Ints  # (attempts, criteria): index of the answer, -1 when not answered or not reached

    def rows(self, first_no: int, lead_ids: list[str]) -> list[list[str]]:
        names = list(CRITERIA)
        rows: list[list[str]] = []
        lead = np.array(lead_ids, dtype=object)[self.lead].tolist()
        for no, (lid, at, outcome, answers) in enumerate(
            zip(lead, iso(self.time), self.outcome.tolist(), self.answers.tolist(), strict=True),
            start=first_no,
        ):
            call = [f"C{no:08d}", lid, at, CALL_OUTCOMES[outcome]]
            given = [[*call, c, CRITERIA[c][a]] for c, a in zip(names, answers, strict=True) if a >= 0]
            rows.extend(given or [[*call, "", ""]])
        return rows


@dataclass(frozen=True)
class Deals:
    outcome: Ints  # 0 open, 1 won, 2 lost
    closed: Seconds
    revenue: Ints

    def rows(self, lead_ids: list[str]) -> list[list[str]]:
        closed = iso(np.where(self.outcome > 0, self.closed, 0))
        names = ("open", "won", "lost")
        return [
            [lid, names[o], at if o else "", str(r) if o == 1 else ""]
            for lid, o, at, r in zip(
                lead_ids, self.outcome.tolist(), closed, self.revenue.tolist(), strict=True
            )
        ]


def draw_calls(
    rng: np.random.Generator, pop: Population, events: Events, end: int, events_per_lead: float
) -> Calls:
    leads, n = pop.leads, len(pop.leads.kind)
    busy = events.nth_time(n, activity_threshold(events_per_lead))
    busy = np.where(busy < NEVER, np.maximum(busy, leads.created), NEVER)  # not before the lead is known
    trigger = np.where(events.keys.hand_raise < NEVER, events.keys.hand_raise, busy)
    called = np.flatnonzero(trigger < end)
    reach = np.select(
        [leads.in_market, leads.kind == COMPETITOR, leads.kind == STUDENT], [0.40, 0.30, 0.25], 0.20
    )
    first_reach = rng.geometric(reach[called])
    give_up = 1 + rng.binomial(7, 0.45, len(called))
    attempts = np.minimum(first_reach, give_up)
    lead = np.repeat(called, attempts)
    m = len(lead)
    gaps = np.maximum(rng.exponential(CALL_GAP, m), 3600.0).astype(np.int64)
    firsts = np.cumsum(attempts) - attempts
    gaps[firsts] = trigger[called] + rng.exponential(FIRST_CALL_DELAY, len(called)).astype(np.int64) + 600
    cumulative = np.cumsum(gaps)
    time = cumulative - np.repeat(cumulative[firsts] - gaps[firsts], attempts)
    last = np.zeros(m, dtype=bool)
    last[firsts + attempts - 1] = True
    reached = last & np.repeat(first_reach <= give_up, attempts)
    outcome = np.where(reached, 0, np.where(rng.random(m) < 0.4, 1, 2))
    keep = time <= end
    lead, time, outcome = lead[keep], time[keep], outcome[keep]
    return Calls(lead, time, outcome, _answers(rng, pop, events, lead, time, outcome == 0))


def _answers(rng: np.random.Generator, pop: Population, events: Events, lead: Ints, time: Seconds,
             reached: Flags) -> Ints:  # fmt: skip
    leads, m = pop.leads, len(lead)
    market = leads.in_market[lead].astype(np.int64)
    budget = np.where(leads.kind[lead] == STUDENT, 2, categorical(rng, BUDGET[market]))
    sample_said = events.keys.sample[lead] < time
    sample = np.where(sample_said | (rng.random(m) < np.where(market == 1, 0.08, 0.02)), 0, 1)
    answers = np.stack([budget, categorical(rng, AUTHORITY[leads.seniority[lead]]), categorical(rng, NEED[market]),
                        categorical(rng, TIMELINE[market]), categorical(rng, NEXT_STEP[market]), sample], axis=1)  # fmt: skip
    asked = (rng.random(answers.shape) < ANSWER_RATE) & reached[:, None]
    return np.where(asked, answers, -1)


def win_factors(pop: Population, events: Events, calls: Calls) -> tuple[Ints, Seconds, np.ndarray]:
    """Leads with a reached call, when it was, and their WIN_MODEL factors (one column per factor)."""
    leads, accounts, n = pop.leads, pop.accounts, len(pop.leads.kind)
    reached_rows = np.flatnonzero(calls.outcome == 0)
    lead = calls.lead[reached_rows]
    at = np.full(n, NEVER)
    at[lead] = calls.time[reached_rows]
    answers = calls.answers[reached_rows]
    account = np.maximum(leads.account[lead], 0)
    employees = accounts.employees[account]
    crm = sum(1 << TECHNOLOGIES.index(t) for t in CRM_TECHNOLOGIES)
    factors = np.stack([
        np.ones(len(lead), dtype=bool),
        (employees >= 200) & (employees <= 5000),
        employees < 50,
        np.isin(accounts.industry[account], [INDUSTRIES.index(i) for i in TARGET_INDUSTRIES]),
        leads.seniority[lead] <= SENIORITIES.index("vp"),
        accounts.is_customer[account],
        (accounts.technologies[account] & crm) > 0,
        accounts.committee[account] >= 3,
        events.pricing_views_before(n, at)[lead] >= 3,
        events.keys.demo_request[lead] < at[lead],
        answers[:, 0] == 0,
        answers[:, 3] == 0,
        leads.in_market[lead],
    ], axis=1)  # fmt: skip
    return lead, at[lead], factors


def draw_deals(rng: np.random.Generator, pop: Population, events: Events, calls: Calls, end: int) -> Deals:
    leads, accounts, n = pop.leads, pop.accounts, len(pop.leads.kind)
    lead, reached_at, factors = win_factors(pop, events, calls)
    account = np.maximum(leads.account[lead], 0)
    z = factors.astype(np.float64) @ np.array([c for _, c, _ in WIN_MODEL])
    embargoed = np.isin(accounts.country[account], [COUNTRIES.index(c) for c in EMBARGOED_COUNTRIES])
    can_win = (leads.kind[lead] == ACCOUNT) & ~embargoed
    won = can_win & (rng.random(len(lead)) < 1.0 / (1.0 + np.exp(-z)))
    industry = accounts.industry[account]
    slow = np.isin(industry, [INDUSTRIES.index(i) for i in SAMPLE_INDUSTRIES])
    cycle = rng.gamma(2.0, 15.0 * DAY, len(lead)) * np.where(slow, 2.5, 1.0)
    cycle *= np.where(industry == INDUSTRIES.index("government"), 1.8, 1.0)
    cycle *= np.where(accounts.employees[account] > 1000, 1.5, 1.0)
    closed_at = reached_at + np.maximum(cycle, 3 * DAY).astype(np.int64)
    employees = accounts.employees[account].astype(np.float64)
    revenue = 1500.0 * employees**0.6 * np.exp(rng.normal(0.0, 0.35, len(lead)))
    revenue *= np.where(factors[:, 3], 1.2, 1.0) * np.where(accounts.is_customer[account], 0.6, 1.0)
    outcome = np.zeros(n, dtype=np.int64)
    outcome[lead] = np.where(closed_at <= end, np.where(won, 1, 2), 0)
    closed = np.zeros(n, dtype=np.int64)
    closed[lead] = closed_at
    money = np.zeros(n, dtype=np.int64)
    money[lead] = (np.round(revenue / 100.0) * 100).astype(np.int64)
    return Deals(outcome, closed, money)
