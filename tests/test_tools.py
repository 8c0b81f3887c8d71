"""What the model is shown of each tool: the JSON schema made from its marshmallow schema."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains import agents


@pytest.mark.parametrize("agent_type", sorted(agents()))
def test_no_tool_offers_the_model_a_user_id(agent_type):
    specs = agents()[agent_type].specs()
    assert specs and all("user_id" not in str(spec.input_schema) for spec in specs)
    assert all(spec.input_schema["additionalProperties"] is False for spec in specs)


def test_spec_comes_from_the_schema_that_validates():
    invoices = agents()["invoices"]
    schema = invoices.tools["list_invoices"].spec().input_schema
    assert schema["type"] == "object"
    assert schema["properties"]["status"]["enum"] == [
        "draft",
        "sent",
        "viewed",
        "partial",
        "paid",
        "overdue",
        "cancelled",
    ]
    payment = invoices.tools["record_payment"].spec().input_schema
    assert set(payment["required"]) >= {"invoice_id", "amount"}


def test_every_domain_has_its_record_tools():
    for name, agent in agents().items():
        assert any(tool.startswith("list_") for tool in agent.tools), name
        deletes = [tool for tool in agent.tools.values() if tool.name.startswith("delete_")]
        assert deletes and all(tool.destructive for tool in deletes), name
