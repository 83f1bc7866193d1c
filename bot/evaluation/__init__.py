"""Offline evaluation of the mastery model on answer logs (``coach eval``)."""

from bot.evaluation.dataset import DatasetError, read_answers
from bot.evaluation.run import Evaluation, Scores, evaluate

__all__ = ["DatasetError", "Evaluation", "Scores", "evaluate", "read_answers"]
