"""The model at the provider edge for the tests of titles: one scripted model answers the
turn, another the title call beside it."""

from __future__ import annotations

from canvalo_app.errors import AppError
from canvalo_app.llm.base import ModelProvider, ModelRequest
from tests.helpers import conversation, wait_for
from tests.scripted_model import ScriptedModel

QUESTION = "Which invoices are overdue this month?"


class TitledModel(ModelProvider):
    """The model at the provider edge: the turn's calls go to `answers`, the title call to
    `titles`, each a scripted model of its own (the two run side by side)."""

    name = "scripted"

    def __init__(self, answers: list[list], titles: list[list]):
        self.answers = ScriptedModel(*answers)
        self.titles = ScriptedModel(*titles, default=[AppError("MODEL_ERROR")])

    def describe(self) -> dict:
        return {"provider": "scripted", "model_id": "test"}

    def stream(self, request: ModelRequest):
        model = self.titles if request.purpose == "title" else self.answers
        return model.stream(request)


def install(app, answers: list[list], titles: list[list]) -> TitledModel:
    model = TitledModel(answers, titles)
    app.extensions["model"] = model
    return model


def titled(client, headers, conversation_id, title: str) -> bool:
    return wait_for(lambda: conversation(client, headers, conversation_id)["title"] == title)
