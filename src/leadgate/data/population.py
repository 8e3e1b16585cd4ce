"""Who the generated leads are: accounts with their buying committees, and the people on them.

Everything is drawn per chunk with numpy; the hidden state the behaviour and the sales outcomes depend
on (`in_market`, `onset`, `burst_start`, the true values behind blanked cells) is kept here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from leadgate.data.timing import DAY, Seconds, decaying_after, uniform_between

Ints = NDArray[np.int64]
Flags = NDArray[np.bool_]

INDUSTRIES = ("software", "fintech", "healthcare", "manufacturing", "chemicals", "retail", "education",
              "government", "logistics", "media")  # fmt: skip
INDUSTRY_WEIGHTS = (0.20, 0.08, 0.10, 0.12, 0.05, 0.10, 0.07, 0.06, 0.10, 0.12)
TARGET_INDUSTRIES = ("software", "fintech", "healthcare")
SAMPLE_INDUSTRIES = ("manufacturing", "chemicals")
REVENUE_PER_EMPLOYEE = (220e3, 300e3, 160e3, 200e3, 260e3, 150e3, 90e3, 110e3, 170e3, 190e3)
NAME_SUFFIXES = (("Labs", "Software", "Systems"), ("Pay", "Capital", "Ledger"), ("Health", "Medical", "Care"),
                 ("Industries", "Manufacturing", "Works"), ("Chemicals", "Materials", "Polymers"),
                 ("Retail", "Stores", "Goods"), ("Learning", "Academy", "Education"),
                 ("Agency", "Authority", "Services"), ("Logistics", "Freight", "Shipping"),
                 ("Media", "Studios", "Publishing"))  # fmt: skip
NAME_PREFIXES = ("Northwind", "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
                 "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Pied Piper", "Bluth", "Dunder", "Oscorp",
                 "Massive Dynamic", "Aperture", "Blue Harbor", "Silver Peak", "Redwood", "Cedar", "Granite",
                 "Summit", "Lakeside", "Ironclad", "Brightline", "Evergreen", "Keystone", "Meridian",
                 "Pinnacle", "Quantum", "Sterling", "Vertex", "Atlas", "Nimbus", "Orion", "Contoso", "Fabrikam")  # fmt: skip
COUNTRIES = ("US", "GB", "DE", "FR", "CA", "NL", "AU", "IN", "BR", "ES", "IT", "SE", "JP", "SG", "MX",
             "KP", "IR", "CU")  # fmt: skip
COUNTRY_WEIGHTS = (0.38, 0.09, 0.08, 0.05, 0.06, 0.04, 0.05, 0.08, 0.05, 0.02, 0.02, 0.02, 0.02, 0.02, 0.01,
                   0.003, 0.004, 0.003)  # fmt: skip
EMBARGOED_COUNTRIES = ("KP", "IR", "CU")
TECHNOLOGIES = ("salesforce", "hubspot", "marketo", "aws", "azure", "gcp", "snowflake", "slack", "sap",
                "oracle", "shopify", "zendesk")  # fmt: skip
TECHNOLOGY_RATES = (0.30, 0.25, 0.10, 0.45, 0.30, 0.20, 0.12, 0.50, 0.08, 0.08, 0.06, 0.15)
CRM_TECHNOLOGIES = ("salesforce", "hubspot")

SENIORITIES = ("c_level", "vp", "director", "manager", "individual", "student")
DEPARTMENTS = ("engineering", "it", "marketing", "sales", "finance", "operations", "procurement", "research",
               "other")  # fmt: skip
SOURCES = ("web", "paid_search", "organic", "webinar", "trade_show", "referral", "content_syndication",
           "list_import")  # fmt: skip
INTERESTS = ("analytics", "automation", "security", "compliance", "integration", "ai", "cost_reduction",
             "growth")  # fmt: skip
FREE_MAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com")
COMPETITOR_DOMAINS = ("rivalsoft.com", "competiq.io", "scorestack.ai", "leadforge.net")
UNIVERSITY_DOMAINS = ("stateu.edu", "techinstitute.edu", "northbridge.edu", "metro-college.edu")
FIRST_NAMES = ("james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "david",
               "elizabeth", "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah",
               "daniel", "karen", "matthew", "nancy", "anthony", "lisa", "mark", "betty", "paul", "sandra",
               "steven", "ashley", "andrew", "emily", "kevin", "donna", "brian", "michelle", "george", "carol",
               "priya", "amit", "wei", "mei", "hans", "anna", "lukas", "sofia", "pierre", "camille", "lucas",
               "julia", "raj", "ananya", "kenji", "yuki", "carlos", "maria", "joao", "ana", "liam", "olivia")  # fmt: skip
LAST_NAMES = ("smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez",
              "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore",
              "jackson", "martin", "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "lewis",
              "robinson", "walker", "young", "allen", "king", "wright", "scott", "green", "baker", "adams",
              "patel", "sharma", "chen", "wang", "mueller", "schmidt", "schneider", "fischer", "dubois",
              "moreau", "laurent", "rossi", "tanaka", "suzuki", "silva", "santos", "kumar", "singh", "nguyen",
              "kim", "jansen", "dejong")  # fmt: skip
# TITLES[seniority][department] = two ways people write that job
TITLES = (
    (("Chief Technology Officer", "CTO"), ("Chief Information Officer", "CIO"),
     ("Chief Marketing Officer", "CMO"), ("Chief Revenue Officer", "Chief Sales Officer"),
     ("Chief Financial Officer", "CFO"), ("Chief Operating Officer", "COO"),
     ("Chief Procurement Officer", "Chief Purchasing Officer"), ("Chief Scientific Officer", "Chief Research Officer"),
     ("Chief Executive Officer", "Founder & CEO")),
    (("VP of Engineering", "Vice President, Engineering"), ("VP of IT", "Vice President, Information Technology"),
     ("VP of Marketing", "VP Demand Generation"), ("VP of Sales", "VP Business Development"),
     ("VP of Finance", "Vice President, Finance"), ("VP of Operations", "VP Supply Chain"),
     ("VP of Procurement", "VP Purchasing"), ("VP of Research", "VP R&D"),
     ("VP of Strategy", "VP Corporate Development")),
    (("Director of Engineering", "Engineering Director"), ("IT Director", "Director of Infrastructure"),
     ("Marketing Director", "Director of Demand Generation"), ("Sales Director", "Director of Sales"),
     ("Finance Director", "Director of Finance"), ("Operations Director", "Director of Operations"),
     ("Procurement Director", "Director of Purchasing"), ("Research Director", "Director of R&D"),
     ("Director of Strategy", "Managing Director")),
    (("Engineering Manager", "Software Development Manager"), ("IT Manager", "Infrastructure Manager"),
     ("Marketing Manager", "Marketing Operations Manager"), ("Sales Manager", "Account Manager"),
     ("Finance Manager", "Controller"), ("Operations Manager", "Plant Manager"),
     ("Procurement Manager", "Purchasing Manager"), ("Research Manager", "Lab Manager"),
     ("Office Manager", "Project Manager")),
    (("Software Engineer", "Senior Software Engineer"), ("Systems Administrator", "IT Specialist"),
     ("Marketing Specialist", "Content Marketer"), ("Account Executive", "Sales Development Representative"),
     ("Financial Analyst", "Accountant"), ("Operations Analyst", "Process Engineer"),
     ("Buyer", "Procurement Specialist"), ("Research Scientist", "Chemist"), ("Consultant", "Analyst")),
    (*(("Student", "Graduate Student") for _ in range(7)), ("PhD Student", "Research Assistant"),
     ("Student", "Graduate Student")),
)  # fmt: skip

ACCOUNT, FREE_MAIL, COMPETITOR, STUDENT = 0, 1, 2, 3  # lead kinds
KIND_SHARES = (0.83, 0.12, 0.02, 0.03)
COMMITTEE_SIZES = np.arange(1, 9)
COMMITTEE_WEIGHTS = 0.6 ** (COMMITTEE_SIZES - 1.0)  # 1-8 contacts per account, skewed to small
# seniority by position in the committee: the first contact, the second (often the decision maker), others
SENIORITY_BY_POSITION = np.array([[0.05, 0.08, 0.17, 0.30, 0.40, 0.0], [0.15, 0.30, 0.20, 0.15, 0.20, 0.0],
                                  [0.04, 0.08, 0.20, 0.28, 0.40, 0.0]])  # fmt: skip
DEPARTMENT_WEIGHTS = np.array([[0.20, 0.12, 0.12, 0.10, 0.12, 0.06, 0.03, 0.05, 0.20],  # c_level
                               [0.20, 0.14, 0.15, 0.10, 0.07, 0.10, 0.07, 0.07, 0.10],  # everyone else
                               [0.20, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.50, 0.30]])  # students  # fmt: skip
SOURCE_WEIGHTS = np.array([[0.20, 0.15, 0.20, 0.10, 0.07, 0.05, 0.10, 0.13],  # not in market
                           [0.25, 0.18, 0.15, 0.12, 0.10, 0.10, 0.05, 0.05]])  # in market  # fmt: skip
ACCOUNT_IN_MARKET_RATE, CUSTOMER_IN_MARKET_RATE = 0.18, 0.30
ENGAGED_MEMBER_RATE = 0.85  # share of an in-market account's contacts that take part in the buying
FREE_MAIL_IN_MARKET_RATE = 0.12
BLANK_RATE = 0.03
YEAR = 365 * DAY


def categorical(rng: np.random.Generator, weights: NDArray[np.float64]) -> Ints:
    """One draw per row of `weights` (rows need not sum to 1)."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights))[:, None] * cum[:, -1:]
    picked: Ints = np.minimum((u >= cum).sum(axis=1), weights.shape[1] - 1).astype(np.int64)
    return picked


def choose(rng: np.random.Generator, weights: tuple[float, ...] | NDArray[np.floating[Any]], n: int) -> Ints:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int64)


@cache
def joined(names: tuple[str, ...]) -> NDArray[np.object_]:
    """`a;b;c` for every bit mask over `names`, indexed by the mask."""
    table = np.empty(1 << len(names), dtype=object)
    table[:] = [";".join(n for bit, n in enumerate(names) if mask >> bit & 1) for mask in range(table.size)]
    return table


def bit_mask(rng: np.random.Generator, rates: NDArray[np.float64]) -> Ints:
    bits = rng.random(rates.shape) < rates
    mask: Ints = (bits.astype(np.int64) << np.arange(rates.shape[1])).sum(axis=1)
    return mask


@dataclass(frozen=True)
class Accounts:
    first_no: int
    prefix: Ints
    suffix: Ints
    industry: Ints
    employees: Ints
    revenue: Ints
    country: Ints
    technologies: Ints  # bit mask over TECHNOLOGIES
    is_customer: Flags
    in_market: Flags
    onset: Seconds  # when an in-market account started buying
    committee: Ints  # known contacts (leads) at the account
    blank: NDArray[np.bool_]  # noise: industry, employees, annual_revenue, country, technologies, is_customer

    @property
    def ids(self) -> list[str]:
        return [f"A{no:07d}" for no in range(self.first_no, self.first_no + len(self.industry))]

    def rows(self) -> list[list[str]]:
        prefix = np.array(NAME_PREFIXES, dtype=object)[self.prefix]
        suffix = np.array(NAME_SUFFIXES, dtype=object)[self.industry, self.suffix]
        cells = [
            np.array(INDUSTRIES, dtype=object)[self.industry],
            self.employees.astype(str).astype(object),
            self.revenue.astype(str).astype(object),
            np.array(COUNTRIES, dtype=object)[self.country],
            joined(TECHNOLOGIES)[self.technologies],
            np.where(self.is_customer, "true", "false").astype(object),
        ]
        for column, cell in enumerate(cells):
            cell[self.blank[:, column]] = ""
        return [
            [aid, domain, f"{p} {s}", *rest]
            for aid, domain, p, s, *rest in zip(
                self.ids,
                self.domains(),
                prefix.tolist(),
                suffix.tolist(),
                *(c.tolist() for c in cells),
                strict=True,
            )
        ]

    def domains(self) -> list[str]:
        """`northwind-labs7.com`: unique, as the account number is part of it."""
        slug = np.array([p.lower().replace(" ", "") for p in NAME_PREFIXES], dtype=object)[self.prefix]
        suffix = np.array(NAME_SUFFIXES, dtype=object)[self.industry, self.suffix]
        return [
            f"{p}-{s.lower()}{no}.com"
            for no, p, s in zip(
                range(self.first_no, self.first_no + len(slug)), slug.tolist(), suffix.tolist(), strict=True
            )
        ]


@dataclass(frozen=True)
class Leads:
    first_no: int
    kind: Ints
    account: Ints  # index into the chunk's accounts, -1 when not attached
    created: Seconds
    first: Ints
    last: Ints
    seniority: Ints
    department: Ints
    title: Ints  # which of the two ways to write the title
    country: Ints
    source: Ints
    interests: Ints  # bit mask over INTERESTS
    in_market: Flags
    burst_start: Seconds  # when the lead's buying activity starts (in-market leads)
    intent: NDArray[np.float64]  # how active the person is, mean 1
    blank: NDArray[
        np.bool_
    ]  # noise: first_name, last_name, title, seniority, department, country, source, interests

    @property
    def ids(self) -> list[str]:
        return [f"L{no:07d}" for no in range(self.first_no, self.first_no + len(self.kind))]

    def rows(self, accounts: Accounts, created_at: list[str]) -> list[list[str]]:
        n = len(self.kind)
        first = np.array(FIRST_NAMES, dtype=object)[self.first]
        last = np.array(LAST_NAMES, dtype=object)[self.last]
        domain = np.empty(n, dtype=object)
        attached = self.account >= 0
        domain[attached] = np.array(accounts.domains(), dtype=object)[self.account[attached]]
        for kind, names in ((FREE_MAIL, FREE_MAIL_DOMAINS), (COMPETITOR, COMPETITOR_DOMAINS),
                            (STUDENT, UNIVERSITY_DOMAINS)):  # fmt: skip
            picked = self.kind == kind
            domain[picked] = np.array(names, dtype=object)[(self.first + self.last)[picked] % len(names)]
        # a number tells apart people with the same name: per account, or the lead number elsewhere
        key = np.where(attached, self.account * 10_000 + self.first * 100 + self.last, -1 - np.arange(n))
        order = np.argsort(key, kind="stable")
        starts = np.r_[True, key[order][1:] != key[order][:-1]]
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n) - np.maximum.accumulate(np.where(starts, np.arange(n), 0))
        number = np.where(attached, np.where(rank > 0, (rank + 1).astype(str), ""), "").astype(object)
        number[~attached] = (np.arange(self.first_no, self.first_no + n)[~attached]).astype(str)
        account_ids = np.array([*accounts.ids, ""], dtype=object)[self.account]
        cells = [
            first.copy(),
            last.copy(),
            np.array(TITLES, dtype=object)[self.seniority, self.department, self.title],
            np.array(SENIORITIES, dtype=object)[self.seniority],
            np.array(DEPARTMENTS, dtype=object)[self.department],
            np.array(COUNTRIES, dtype=object)[self.country],
            np.array(SOURCES, dtype=object)[self.source],
            joined(INTERESTS)[self.interests],
        ]
        for column, cell in enumerate(cells):
            cell[self.blank[:, column]] = ""
        return [
            [lid, f"{f}.{la}{no}@{d}", aid, at, *rest]
            for lid, f, la, no, d, aid, at, *rest in zip(
                self.ids, first.tolist(), last.tolist(), number.tolist(), domain.tolist(),
                account_ids.tolist(), created_at, *(c.tolist() for c in cells), strict=True)
        ]  # fmt: skip


@dataclass(frozen=True)
class Population:
    accounts: Accounts
    leads: Leads


def draw_accounts(rng: np.random.Generator, sizes: Ints, first_no: int, end: int) -> Accounts:
    n = len(sizes)
    industry = choose(rng, INDUSTRY_WEIGHTS, n)
    employees = np.exp(rng.normal(np.log(120.0), 1.7, n)).clip(5, 100_000).astype(np.int64)
    per_head = np.asarray(REVENUE_PER_EMPLOYEE)[industry] * np.exp(rng.normal(0.0, 0.5, n))
    revenue = (np.round(employees * per_head / 1000.0) * 1000).astype(np.int64)
    rates = np.tile(np.asarray(TECHNOLOGY_RATES), (n, 1))
    rates[:, TECHNOLOGIES.index("sap")] *= np.where(employees > 1000, 4.0, 1.0)
    rates[:, TECHNOLOGIES.index("oracle")] *= np.where(employees > 1000, 4.0, 1.0)
    rates[:, TECHNOLOGIES.index("shopify")] *= np.where(industry == INDUSTRIES.index("retail"), 5.0, 1.0)
    technologies = bit_mask(rng, rates.clip(0, 0.95))
    is_customer = rng.random(n) < np.where((employees >= 200) & (employees <= 5000), 0.08, 0.035)
    in_market = rng.random(n) < np.where(is_customer, CUSTOMER_IN_MARKET_RATE, ACCOUNT_IN_MARKET_RATE)
    return Accounts(
        first_no=first_no,
        prefix=rng.integers(0, len(NAME_PREFIXES), n),
        suffix=rng.integers(0, 3, n),
        industry=industry,
        employees=employees,
        revenue=revenue,
        country=choose(rng, COUNTRY_WEIGHTS, n),
        technologies=np.where(technologies == 0, 1 << rng.integers(0, len(TECHNOLOGIES), n), technologies),
        is_customer=is_customer,
        in_market=in_market,
        onset=uniform_between(rng, end - YEAR, end, n),
        committee=sizes,
        blank=rng.random((n, 6)) < BLANK_RATE,
    )


def committee_sizes(rng: np.random.Generator, members: int) -> Ints:
    """Committee sizes (1-8) that add up to exactly `members`."""
    sizes = np.zeros(0, dtype=np.int64)
    while sizes.sum() < members:
        drawn = COMMITTEE_SIZES[choose(rng, COMMITTEE_WEIGHTS, members // 2 + 8)]
        sizes = np.concatenate([sizes, drawn])
    total = np.cumsum(sizes)
    count = int(np.searchsorted(total, members)) + 1
    sizes = sizes[:count].copy()
    if count:
        sizes[-1] -= int(total[count - 1]) - members
    return sizes


def draw_population(
    rng: np.random.Generator, n: int, first_lead_no: int, first_account_no: int, end: int
) -> Population:
    kind = choose(rng, KIND_SHARES, n)
    sizes = committee_sizes(rng, int((kind == ACCOUNT).sum()))
    accounts = draw_accounts(rng, sizes, first_account_no, end)
    # committee members first, in account order, then the people without an account; shuffled below
    kind = np.sort(kind)
    members = sizes.sum()
    account = np.full(n, -1, dtype=np.int64)
    account[:members] = np.repeat(np.arange(len(sizes)), sizes)
    position = np.zeros(n, dtype=np.int64)
    position[:members] = np.arange(members) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    shuffle = rng.permutation(n)
    kind, account, position = kind[shuffle], account[shuffle], position[shuffle]
    attached = account >= 0
    safe_account = np.where(attached, account, 0)

    in_market = np.where(
        attached,
        accounts.in_market[safe_account] & (rng.random(n) < ENGAGED_MEMBER_RATE),
        (kind == FREE_MAIL) & (rng.random(n) < FREE_MAIL_IN_MARKET_RATE),
    )
    onset = np.where(attached, accounts.onset[safe_account], end - YEAR)
    created = uniform_between(rng, end - YEAR, end, n)
    came_in_buying = in_market & attached & (rng.random(n) < 0.6)
    created = np.where(came_in_buying, decaying_after(rng, onset, 20.0 * DAY, np.full(n, end)), created)
    burst_start = np.where(attached, np.maximum(created, onset), created)

    seniority_weights = SENIORITY_BY_POSITION[np.minimum(position, 2)].copy()
    small = attached & (accounts.employees[safe_account] < 50)
    seniority_weights[small, 0] *= 3.0
    seniority = categorical(rng, seniority_weights)
    seniority[kind == STUDENT] = SENIORITIES.index("student")
    department = categorical(rng, DEPARTMENT_WEIGHTS[np.where(kind == STUDENT, 2, np.minimum(seniority, 1))])
    country = np.where(
        attached & (rng.random(n) < 0.9), accounts.country[safe_account], choose(rng, COUNTRY_WEIGHTS, n)
    )
    interests = bit_mask(rng, np.full((n, len(INTERESTS)), 0.2))
    interests = np.where(interests == 0, 1 << rng.integers(0, len(INTERESTS), n), interests)
    leads = Leads(
        first_no=first_lead_no,
        kind=kind,
        account=account,
        created=created,
        first=rng.integers(0, len(FIRST_NAMES), n),
        last=rng.integers(0, len(LAST_NAMES), n),
        seniority=seniority,
        department=department,
        title=rng.integers(0, 2, n),
        country=country,
        source=categorical(rng, SOURCE_WEIGHTS[in_market.astype(np.int64)]),
        interests=interests,
        in_market=in_market,
        burst_start=burst_start,
        intent=np.exp(rng.normal(-0.5, 1.0, n)),
        blank=rng.random((n, 8)) < BLANK_RATE,
    )
    return Population(accounts, leads)
