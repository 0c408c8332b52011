"""Scoring twins with a model: the columns and codes it expects, decisions, scores."""

from twinaudit.scoring._score import ScoredTwins, ScoreSource, model_input, score

__all__ = ["ScoreSource", "ScoredTwins", "model_input", "score"]
