"""Scoring: the reference evaluator and what it returns."""

from leadgate.scoring.evaluate import score_lead, score_leads
from leadgate.scoring.result import Contribution, LeadScore

__all__ = ["Contribution", "LeadScore", "score_lead", "score_leads"]
