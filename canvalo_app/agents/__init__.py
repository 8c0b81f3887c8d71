"""The assistant: a supervisor that routes to nine domain agents and their tools."""
