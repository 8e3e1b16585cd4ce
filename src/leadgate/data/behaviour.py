"""What the generated leads do: their events ("digital body language").

Three kinds of activity make up a lead's events:
- anonymous history: page views up to 30 days before the lead was created;
- research: reading the blog, the docs, the careers page, opening emails; starts when the lead is created
  and fades (exponential, a mean of 20-120 days per lead);
- buying (in-market leads only): pricing, product, case-study and integration pages, datasheets, webinars,
  videos; starts when the account went in market (or the lead came in, if later) and is concentrated in
  the following three weeks.
On top, single key actions: a hand-raise form (contact_sales, demo_request, trial_signup), a sample
request, an unsubscribe, and the lead's source (a webinar registration, a trade-show badge scan).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import orjson
from numpy.typing import NDArray

from leadgate.data.population import (
    ACCOUNT,
    COMPETITOR,
    FREE_MAIL,
    INDUSTRIES,
    SAMPLE_INDUSTRIES,
    SOURCES,
    STUDENT,
    Flags,
    Ints,
    Population,
    categorical,
    choose,
)
from leadgate.data.timing import DAY, Seconds, decaying_after, iso, uniform_between

EVENT_TYPES = ("page_viewed", "email_opened", "email_clicked", "content_downloaded", "webinar_registered",
               "webinar_attended", "form_submitted", "video_watched", "trade_show_visit", "sample_requested",
               "email_unsubscribed")  # fmt: skip
PAGE, OPENED, CLICKED, DOWNLOAD, REGISTERED, ATTENDED, FORM, VIDEO, SHOW, SAMPLE, UNSUBSCRIBED = range(11)
SITE = "https://www.leadgate-demo.com"
SECTIONS = (("/",), ("/pricing",), ("/product/scoring", "/product/routing", "/product/sla", "/product/analytics"),
            ("/docs/getting-started", "/docs/definitions", "/docs/api", "/docs/scoring-rules"),
            ("/blog/what-is-an-mql", "/blog/bant-is-not-dead", "/blog/lead-scoring-decay", "/blog/buying-committees",
             "/blog/sales-marketing-sla", "/blog/intent-data", "/blog/our-offsite"),
            ("/case-studies/northwind", "/case-studies/globex", "/case-studies/initech"), ("/careers",),
            ("/integrations/salesforce", "/integrations/hubspot", "/integrations/marketo", "/integrations/snowflake"))  # fmt: skip
URLS = tuple(SITE + path for section in SECTIONS for path in section)
PRICING_URL = URLS.index(SITE + "/pricing")
CAMPAIGNS = ("monthly-newsletter", "product-update", "webinar-invite", "nurture-getting-started", "nurture-roi",
             "nurture-case-studies", "pricing-announcement", "event-invite", "reengagement", "customer-stories")  # fmt: skip
ASSETS = (("state-of-lead-qualification-2026", "whitepaper"), ("sla-handbook", "whitepaper"),
          ("bant-playbook", "ebook"), ("lead-scoring-guide", "ebook"), ("leadgate-datasheet", "datasheet"),
          ("integrations-datasheet", "datasheet"), ("northwind-case-study", "case_study"),
          ("globex-case-study", "case_study"))  # fmt: skip
WEBINARS = ("scoring-that-sales-trusts", "from-mql-to-revenue", "bant-in-2026", "decay-and-caps",
            "account-based-qualification", "live-demo")  # fmt: skip
VIDEOS = ("product-tour", "two-minute-demo", "customer-story-globex", "definition-as-code", "routing-and-slas",
          "pricing-explained")  # fmt: skip
SHOWS = ("SaaStr Annual", "Dreamforce", "Hannover Messe", "ACHEMA", "HIMSS Global", "Money20/20", "NRF Big Show",
         "Web Summit")  # fmt: skip
PRODUCTS = ("starter-kit", "evaluation-license", "coating-sample", "polymer-sample", "sensor-sample")
CHANNELS = ("web", "trade_show", "sales")
FORMS = ("newsletter", "contact_sales", "demo_request", "trial_signup", "gated_content", "event_registration")
HAND_RAISE_FORMS = (1, 2, 3)
DEMO_FORMS = (1, 2)  # contact_sales, demo_request: the "demo request" of the outcome model
MAX_DURATION, MAX_MINUTES, MAX_PERCENT = 1800, 60, 100

ANONYMOUS, RESEARCH, BUYING, STUDYING, SNOOPING = range(5)  # activity profiles
TYPE_WEIGHTS = np.array([
    [1.00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0.50, 0.30, 0, 0.06, 0.03, 0, 0.03, 0.06, 0.02, 0, 0],
    [0.55, 0.15, 0, 0.10, 0.06, 0, 0.03, 0.09, 0.02, 0, 0],
    [0.60, 0.15, 0, 0.15, 0.03, 0, 0.03, 0.04, 0, 0, 0],
    [0.60, 0.12, 0, 0.15, 0.05, 0, 0.01, 0.07, 0, 0, 0],
])  # fmt: skip
SECTION_WEIGHTS = np.array([  # home, pricing, product, docs, blog, case studies, careers, integrations
    [0.30, 0.05, 0.15, 0.10, 0.30, 0.03, 0.05, 0.02],
    [0.10, 0.02, 0.10, 0.15, 0.45, 0.03, 0.12, 0.03],
    [0.08, 0.25, 0.25, 0.10, 0.07, 0.12, 0.01, 0.12],
    [0.05, 0.01, 0.04, 0.20, 0.35, 0.02, 0.32, 0.01],
    [0.10, 0.30, 0.25, 0.10, 0.10, 0.10, 0.03, 0.02],
])  # fmt: skip
ASSET_WEIGHTS = np.array(
    [[0.2, 0.2, 0.2, 0.2, 0.05, 0.05, 0.05, 0.05], [0.05, 0.05, 0.1, 0.1, 0.2, 0.2, 0.15, 0.15]]
)
SECTION_START = np.cumsum([0, *(len(s) for s in SECTIONS)])[:-1]
SECTION_SIZE = np.array([len(s) for s in SECTIONS])
ANONYMOUS_SHARE, BUYING_SHARE = 0.06, 0.70
BUYING_SCALE, HAND_RAISE_SCALE = 21.0 * DAY, 10.0 * DAY
IN_MARKET_ACTIVITY, STUDENT_ACTIVITY, COMPETITOR_ACTIVITY = 2.5, 0.6, 1.2
RANDOM_SHARE = 0.93  # of events_per_lead drawn as random activity; the rest are key and follow-up actions
NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class KeyActions:
    """Per lead: when it raised a hand, asked for a demo, asked for a sample (or NEVER)."""

    hand_raise: Seconds  # first hand-raise form or sample request
    demo_request: Seconds  # contact_sales or demo_request form
    sample: Seconds


@dataclass(frozen=True)
class Events:
    """A chunk's events, sorted by lead then time."""

    lead: Ints
    time: Seconds
    type: Ints
    item: Ints
    second: Ints  # the second property: a url, a duration, minutes, percent or channel
    keys: KeyActions

    def per_lead(self, n: int) -> Ints:
        return np.bincount(self.lead, minlength=n)

    def nth_time(self, n_leads: int, nth: int) -> Seconds:
        """When each lead's `nth` event (1-based) happened, or NEVER."""
        counts = self.per_lead(n_leads)
        if len(self.time) == 0:
            return np.full(n_leads, NEVER)
        starts = np.cumsum(counts) - counts
        return np.where(counts >= nth, self.time[np.minimum(starts + nth - 1, len(self.time) - 1)], NEVER)

    def pricing_views_before(self, n_leads: int, limit: Seconds) -> Ints:
        seen = (self.type == PAGE) & (self.item == PRICING_URL) & (self.time < limit[self.lead])
        return np.bincount(self.lead[seen], minlength=n_leads)

    def jsonl(self, first_no: int, lead_ids: list[str]) -> bytes:
        """The events as JSON Lines, numbered from `first_no`."""
        if len(self.time) == 0:
            return b""
        table, offset, width = property_table()
        records = [
            {"event_id": f"E{no:09d}", "lead_id": lead, "type": kind, "time": at, "properties": props}
            for no, lead, kind, at, props in zip(
                range(first_no, first_no + len(self.time)),
                np.array(lead_ids, dtype=object)[self.lead].tolist(),
                np.array(EVENT_TYPES, dtype=object)[self.type].tolist(),
                iso(self.time),
                table[offset[self.type] + self.item * width[self.type] + self.second].tolist(),
                strict=True,
            )
        ]
        # one orjson call for the whole chunk; records are split where a new one starts
        return orjson.dumps(records)[1:-1].replace(b'},{"event_id"', b'}\n{"event_id"') + b"\n"


@cache
def property_table() -> tuple[NDArray[np.object_], Ints, Ints]:
    """Every possible `properties` object, built once: (table, offset per type, width per type)."""

    def axis(key: str, values: tuple[str, ...] | range) -> list[dict[str, object]]:
        return [{key: v} for v in values]

    assets: list[dict[str, object]] = [{"asset": name, "asset_type": kind} for name, kind in ASSETS]
    none: list[dict[str, object]] = [{}]
    axes: list[tuple[list[dict[str, object]], list[dict[str, object]]]] = [
        (axis("url", URLS), axis("duration_s", range(MAX_DURATION + 1))),
        (axis("campaign", CAMPAIGNS), none),
        (axis("campaign", CAMPAIGNS), axis("url", URLS)),
        (assets, none),
        (axis("webinar", WEBINARS), none),
        (axis("webinar", WEBINARS), axis("minutes", range(MAX_MINUTES + 1))),
        (axis("form", FORMS), none),
        (axis("video", VIDEOS), axis("percent", range(MAX_PERCENT + 1))),
        (axis("show", SHOWS), none),
        (axis("product", PRODUCTS), axis("channel", CHANNELS)),
        (none, none),
    ]
    dicts = [{**a, **b} for first, second in axes for a in first for b in second]
    table = np.empty(len(dicts), dtype=object)
    table[:] = dicts
    sizes = np.array([len(first) * len(second) for first, second in axes])
    return table, np.cumsum(sizes) - sizes, np.array([len(second) for _, second in axes])


@dataclass
class Draft:
    """Events being drawn, before sorting: parallel lists of arrays."""

    lead: list[Ints]
    time: list[Seconds]
    type: list[Ints]
    profile: list[Ints]
    item: list[Ints]

    def add(self, lead: Ints, time: Seconds, kind: Ints | int, profile: Ints | int, item: Ints | int) -> None:
        n = len(lead)
        self.lead.append(lead)
        self.time.append(time)
        for target, value in ((self.type, kind), (self.profile, profile), (self.item, item)):
            target.append(np.broadcast_to(np.asarray(value, dtype=np.int64), (n,)))

    def arrays(self) -> tuple[Ints, Seconds, Ints, Ints, Ints]:
        return (np.concatenate(self.lead), np.concatenate(self.time), np.concatenate(self.type),
                np.concatenate(self.profile), np.concatenate(self.item))  # fmt: skip


def draw_key_actions(rng: np.random.Generator, pop: Population, end: int, draft: Draft) -> KeyActions:
    leads, n = pop.leads, len(pop.leads.kind)
    everyone = np.arange(n)
    in_market = leads.in_market
    warm_source = np.isin(leads.source, [SOURCES.index(s) for s in ("webinar", "trade_show", "referral")])
    rate = np.select(
        [in_market & (leads.kind == ACCOUNT), in_market, leads.kind == ACCOUNT, leads.kind == FREE_MAIL,
         leads.kind == COMPETITOR],
        [0.45 * np.where(warm_source, 1.25, 1.0), 0.35, 0.025, 0.03, 0.06], 0.01,
    )  # fmt: skip
    raised = rng.random(n) < rate
    moment = np.where(
        in_market,
        decaying_after(rng, leads.burst_start, HAND_RAISE_SCALE, np.full(n, end)),
        uniform_between(rng, leads.created, end, n),
    )
    form = np.asarray(HAND_RAISE_FORMS)[choose(rng, (0.3, 0.5, 0.2), n)]
    profile = np.where(in_market, BUYING, RESEARCH)
    draft.add(everyone[raised], moment[raised], FORM, profile[raised], form[raised])

    industry = np.where(leads.account >= 0, pop.accounts.industry[np.maximum(leads.account, 0)], -1)
    sample_industry = np.isin(industry, [INDUSTRIES.index(i) for i in SAMPLE_INDUSTRIES])
    sample_rate = np.select(
        [in_market & sample_industry, in_market, leads.kind == STUDENT, leads.kind == COMPETITOR],
        [0.40, 0.06, 0.03, 0.03], 0.01,
    )  # fmt: skip
    sampled = rng.random(n) < sample_rate
    sample_at = np.minimum(moment + rng.integers(0, 2 * DAY, n), end)
    at_show = leads.source == SOURCES.index("trade_show")
    channel = np.where(at_show & (rng.random(n) < 0.7), 1, choose(rng, (0.6, 0.1, 0.3), n))
    product = np.where(sample_industry, rng.integers(2, 5, n), rng.integers(0, 2, n))
    draft.add(everyone[sampled], sample_at[sampled], SAMPLE, profile[sampled],
              (product * len(CHANNELS) + channel)[sampled])  # fmt: skip

    unsubscribed = rng.random(n) < np.where(in_market, 0.01, np.where(leads.kind == STUDENT, 0.10, 0.07))
    unsubscribe_at = decaying_after(rng, leads.created, 60.0 * DAY, np.full(n, end))
    draft.add(everyone[unsubscribed], unsubscribe_at[unsubscribed], UNSUBSCRIBED, RESEARCH, 0)
    for source, kind, choices in (("webinar", REGISTERED, len(WEBINARS)), ("trade_show", SHOW, len(SHOWS))):
        came = leads.source == SOURCES.index(source)
        draft.add(everyone[came], leads.created[came], kind, profile[came], rng.integers(0, choices, n)[came])

    hand_raise = np.minimum(np.where(raised, moment, NEVER), np.where(sampled, sample_at, NEVER))
    demo = np.where(raised & np.isin(form, DEMO_FORMS), moment, NEVER)
    return KeyActions(hand_raise=hand_raise, demo_request=demo, sample=np.where(sampled, sample_at, NEVER))


def draw_activity(
    rng: np.random.Generator, pop: Population, end: int, events_per_lead: float, draft: Draft
) -> None:
    leads, n = pop.leads, len(pop.leads.kind)
    fade = rng.uniform(20.0, 120.0, n) * DAY
    weights = np.stack([
        np.full(n, ANONYMOUS_SHARE),
        np.where(leads.in_market, 1.0 - ANONYMOUS_SHARE - BUYING_SHARE, 1.0 - ANONYMOUS_SHARE)
        * -np.expm1(-(end - leads.created) / fade),
        np.where(leads.in_market, BUYING_SHARE, 0.0) * -np.expm1(-(end - leads.burst_start) / BUYING_SCALE),
    ], axis=1)  # fmt: skip
    activity = leads.intent * np.select(
        [leads.in_market, leads.kind == STUDENT, leads.kind == COMPETITOR],
        [IN_MARKET_ACTIVITY, STUDENT_ACTIVITY, COMPETITOR_ACTIVITY], 1.0,
    ) * weights.sum(axis=1)  # fmt: skip
    expected = activity * (n * events_per_lead * RANDOM_SHARE / max(float(activity.sum()), 1e-9))
    lead = np.repeat(np.arange(n), rng.poisson(expected))
    m = len(lead)
    component = categorical(rng, weights[lead])
    end_all = np.full(m, end)
    time = np.select(
        [component == 0, component == 1],
        [leads.created[lead] - rng.integers(1, 30 * DAY, m, endpoint=True),
         decaying_after(rng, leads.created[lead], fade[lead], end_all)],
        decaying_after(rng, leads.burst_start[lead], BUYING_SCALE, end_all),
    )  # fmt: skip
    research = np.select([leads.kind == STUDENT, leads.kind == COMPETITOR], [STUDYING, SNOOPING], RESEARCH)
    profile = np.select([component == 0, component == 1], [ANONYMOUS, research[lead]], BUYING)
    kind = categorical(rng, TYPE_WEIGHTS[profile])
    draft.add(lead, time, kind, profile, -1)


def draw_follow_ups(rng: np.random.Generator, end: int, draft: Draft) -> None:
    """Clicks follow opens; attendance follows registration."""
    lead, time, kind, profile, item = draft.arrays()
    buying = profile == BUYING
    opened = (kind == OPENED) & (rng.random(len(kind)) < np.where(buying, 0.30, 0.12))
    clicked_at = time[opened] + rng.integers(0, 3 * 3600, int(opened.sum()))
    registered = (kind == REGISTERED) & (rng.random(len(kind)) < np.where(buying, 0.60, 0.35))
    attended_at = time[registered] + rng.integers(DAY, 14 * DAY, int(registered.sum()))
    for picked, at, follow_up in ((opened, clicked_at, CLICKED), (registered, attended_at, ATTENDED)):
        keep = at <= end
        draft.add(lead[picked][keep], at[keep], follow_up, profile[picked][keep], item[picked][keep])


def draw_events(rng: np.random.Generator, pop: Population, end: int, events_per_lead: float) -> Events:
    empty = np.zeros(0, dtype=np.int64)
    draft = Draft([empty], [empty], [empty], [empty], [empty])
    keys = draw_key_actions(rng, pop, end, draft)
    draw_activity(rng, pop, end, events_per_lead, draft)
    m = sum(len(t) for t in draft.time)
    # campaign and webinar are fixed before the follow-ups copy them
    kinds = np.concatenate(draft.type)
    items = np.concatenate(draft.item)
    items = np.where(kinds == OPENED, rng.integers(0, len(CAMPAIGNS), m), items)
    items = np.where((kinds == REGISTERED) & (items < 0), rng.integers(0, len(WEBINARS), m), items)
    draft = Draft([np.concatenate(draft.lead)], [np.concatenate(draft.time)], [kinds],
                  [np.concatenate(draft.profile)], [items])  # fmt: skip
    draw_follow_ups(rng, end, draft)
    lead, time, kind, profile, item = draft.arrays()
    gone = np.isin(kind, [OPENED, CLICKED]) & _after_unsubscribe(lead, time, kind)
    lead, time, kind, profile, item = lead[~gone], time[~gone], kind[~gone], profile[~gone], item[~gone]
    item, second = _properties(rng, kind, profile, item)
    order = np.lexsort((kind, time, lead))
    return Events(lead[order], time[order], kind[order], item[order], second[order], keys)


def _after_unsubscribe(lead: Ints, time: Seconds, kind: Ints) -> Flags:
    """Whether each event comes after its lead unsubscribed (no emails are sent after that)."""
    n = int(lead.max(initial=-1)) + 1
    cutoff = np.full(n, NEVER)
    out = kind == UNSUBSCRIBED
    np.minimum.at(cutoff, lead[out], time[out])
    return time > cutoff[lead]


def _properties(rng: np.random.Generator, kind: Ints, profile: Ints, item: Ints) -> tuple[Ints, Ints]:
    """Fill in each event's (item, second) codes into the property table."""
    m = len(kind)
    buying = profile == BUYING
    section = categorical(rng, SECTION_WEIGHTS[profile])
    url = SECTION_START[section] + (rng.random(m) * SECTION_SIZE[section]).astype(np.int64)
    duration = np.exp(rng.normal(np.log(35.0), 0.9, m)) * np.where(buying | (url == PRICING_URL), 1.6, 1.0)
    minutes = np.where(buying, rng.integers(20, MAX_MINUTES + 1, m), rng.integers(5, MAX_MINUTES + 1, m))
    percent = np.where(buying, rng.beta(3.0, 1.5, m), rng.beta(1.5, 2.0, m)) * MAX_PERCENT
    soft_form = np.asarray((0, 4, 5))[choose(rng, (0.5, 0.3, 0.2), m)]
    asset = categorical(rng, ASSET_WEIGHTS[buying.astype(np.int64)])
    new_item = np.select(
        [kind == PAGE, kind == DOWNLOAD, kind == VIDEO, (kind == FORM) & (item < 0), kind == SHOW],
        [url, asset, rng.integers(0, len(VIDEOS), m), soft_form,
         np.where(item < 0, rng.integers(0, len(SHOWS), m), item)],
        np.maximum(item, 0),
    )  # fmt: skip
    second = np.select(
        [kind == PAGE, kind == CLICKED, kind == ATTENDED, kind == VIDEO, kind == SAMPLE],
        [duration.clip(1, MAX_DURATION).astype(np.int64), url, minutes, percent.round().astype(np.int64),
         item % len(CHANNELS)],
        0,
    )  # fmt: skip
    new_item = np.where(kind == SAMPLE, item // len(CHANNELS), new_item)
    return new_item, second
