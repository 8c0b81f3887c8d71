"""The five record tools every domain has — list, get, create, update, delete — and the
cancel tool of those whose records can be cancelled, made once.

A domain calls `add_crud_tools` with its table, its input schemas and how to turn list
arguments into store filters (and which updates need the user's confirmation, if any), and
`add_cancel_tool` if its records can be cancelled; it then adds the tools only it has.
`status_field` is the status its create and update tools may write: never one that only its
own tool sets (a cancel or a send, which the user must confirm). `refuse_before_sending`
refuses, on a draft, the statuses only a sent record can have.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from marshmallow import Schema, fields, validate

from ...store.base import Filter, Search
from ..tools import Agent, ToolContext, ToolError, ToolInput
from ..zone import shown

#: Enough for any one business's whole table (the stores page large reads).
ALL_ROWS = 10_000

ListFilters = Callable[[dict, ToolContext], tuple[list[Filter], Search | None]]
#: `confirm_update(ctx, values, record)`: what an update must ask the user to confirm, or None.
ConfirmUpdate = Callable[[ToolContext, dict, dict], str | None]


class RecordId(ToolInput):
    id = fields.UUID(required=True, metadata={"description": "The record's id."})


class Paging(ToolInput):
    """Mixin for list inputs."""

    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class Settable(validate.OneOf):
    """One of `statuses` except those set only by their own tools (`own_tools` maps such a
    status to them); one of those is refused with the tools' names, so the model calls them."""

    def __init__(self, statuses: Sequence[str], own_tools: dict[str, str]):
        super().__init__([status for status in statuses if status not in own_tools])
        self.own_tools = own_tools

    def _format_error(self, value) -> str:
        if value in self.own_tools:
            return (
                f"{value} is set only by {self.own_tools[value]}: call that instead. "
                f"Here it can be one of: {self.choices_text}."
            )
        return super()._format_error(value)


def status_field(
    statuses: Sequence[str], own_tools: dict[str, str], description: str = "State."
) -> fields.String:
    """The status a create or update tool may write; the model is told which tools set the
    others."""
    others = ", ".join(f"{status} by {tool}" for status, tool in own_tools.items())
    return fields.String(
        validate=Settable(statuses, own_tools),
        metadata={"description": f"{description} Set only by their own tools: {others}."},
    )


def refuse_before_sending(
    values: dict, existing: dict | None, after_sending: Sequence[str], send_tool: str
) -> None:
    """Refuse a status in `after_sending` on a draft (a new record is one): only `send_tool`
    takes a record out of draft."""
    status = values.get("status")
    if status in after_sending and (existing is None or existing["status"] == "draft"):
        raise ToolError(
            f"A draft can't be {status} before it is sent: send it with {send_tool} first."
        )


def dumpable(values: dict) -> dict:
    """Loaded tool input as store values: dates and UUIDs become ISO strings."""
    out = {}
    for key, value in values.items():
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif value.__class__.__name__ == "UUID":
            value = str(value)
        out[key] = value
    return out


def fetch(ctx: ToolContext, table: str, record_id, noun: str) -> dict:
    """The caller's record or a ToolError the model can read; never another user's row."""
    record = ctx.store.get_record(table, str(record_id))
    if record is None:
        raise ToolError(f"No {noun} with id {record_id} was found.")
    return record


@dataclass(frozen=True)
class Records:
    """One domain's table as its tools see it: what a record is called, how it is named in a
    summary (`label` gets it with its instants in the business's time zone), how lists are
    ordered, and what `prepare(values, ctx, existing)` derives before a write."""

    table: str
    noun: str
    plural: str
    label: Callable[[dict], str]
    order_by: str = "created_at"
    descending: bool = True
    prepare: Callable[[dict, ToolContext, dict | None], dict] = lambda values, ctx, existing: values
    confirm_update: ConfirmUpdate | None = None

    def name(self, record: dict, ctx: ToolContext) -> str:
        return self.label(shown(record, ctx.zone))

    def fetch(self, ctx: ToolContext, record_id) -> dict:
        return fetch(ctx, self.table, record_id, self.noun)


def add_crud_tools(
    agent: Agent,
    table: str,
    noun: str,
    plural: str,
    *,
    create: Schema,
    update: Schema,
    list_schema: Schema,
    list_filters: ListFilters,
    label: Callable[[dict], str],
    order_by: str = "created_at",
    descending: bool = True,
    prepare: Callable[[dict, ToolContext, dict | None], dict] | None = None,
    confirm_update: ConfirmUpdate | None = None,
) -> None:
    """Register list_<plural>, get_<noun>, create_<noun>, update_<noun>, delete_<noun>.

    `label(record)` names a record in summaries; it gets the record with its instants in the
    business's time zone. `prepare(values, ctx, existing)` may derive columns (totals,
    defaults) before a write, or refuse it with a ToolError. With `confirm_update`, an update
    for which it returns a summary waits for the user's confirmation (as a delete does).
    """
    records = Records(
        table, noun, plural, label, order_by, descending, confirm_update=confirm_update
    )
    if prepare is not None:
        records = replace(records, prepare=prepare)
    _add_reads(agent, records, list_schema, list_filters)
    _add_writes(agent, records, create, update)


def _add_reads(agent: Agent, records: Records, list_schema: Schema, list_filters: ListFilters):
    table, noun, plural = records.table, records.noun, records.plural

    @agent.tool(f"list_{plural}", list_schema, f"List {plural}, newest first, with filters.")
    def list_records(ctx: ToolContext, args: dict) -> dict:
        filters, search = list_filters(args, ctx)
        rows = ctx.store.list_records(
            table,
            filters=filters,
            search=search,
            order_by=records.order_by,
            descending=records.descending,
            limit=args.get("limit", 20),
        )
        total = ctx.store.count_records(table, filters=filters, search=search)
        return {
            plural: rows,
            "count": len(rows),
            "total": total,
            "summary": f"Found {total} {plural if total != 1 else noun}",
        }

    @agent.tool(f"get_{noun}", RecordId(), f"Get one {noun} by id.")
    def get_record(ctx: ToolContext, args: dict) -> dict:
        record = records.fetch(ctx, args["id"])
        return {noun: record, "summary": f"Found {records.name(record, ctx)}"}


def _add_writes(agent: Agent, records: Records, create: Schema, update: Schema) -> None:
    table, noun = records.table, records.noun

    @agent.tool(f"create_{noun}", create, f"Create a {noun}.")
    def create_record(ctx: ToolContext, args: dict) -> dict:
        record = ctx.store.create_record(table, records.prepare(dumpable(args), ctx, None))
        return {noun: record, "summary": f"Created {records.name(record, ctx)}"}

    def describe_update(ctx: ToolContext, args: dict) -> str | None:
        values = dumpable(args)
        return records.confirm_update(ctx, values, records.fetch(ctx, values.pop("id")))

    @agent.tool(
        f"update_{noun}",
        update,
        f"Change fields of a {noun}; give its id."
        + (" Some changes ask the user to confirm first." if records.confirm_update else ""),
        describe=describe_update if records.confirm_update else None,
    )
    def update_record(ctx: ToolContext, args: dict) -> dict:
        values = dumpable(args)
        record_id = values.pop("id")
        existing = records.fetch(ctx, record_id)
        if not values:
            raise ToolError("Nothing to change was given.")
        record = ctx.store.update_record(table, record_id, records.prepare(values, ctx, existing))
        return {noun: record, "summary": f"Updated {records.name(record, ctx)}"}

    def describe_delete(ctx: ToolContext, args: dict) -> str:
        return f"Delete {records.name(records.fetch(ctx, args['id']), ctx)}"

    @agent.tool(
        f"delete_{noun}",
        RecordId(),
        f"Delete a {noun} (asks the user to confirm first).",
        describe=describe_delete,
    )
    def delete_record(ctx: ToolContext, args: dict) -> dict:
        record = records.fetch(ctx, args["id"])
        ctx.store.delete_record(table, str(args["id"]))
        summary = f"Deleted {records.name(record, ctx)}"
        return {"deleted": True, "id": str(args["id"]), "summary": summary}


def add_cancel_tool(
    agent: Agent,
    table: str,
    noun: str,
    *,
    description: str,
    finished: Sequence[str],
    label: Callable[[dict], str],
    refusal: Callable[[dict], str],
    asking: Callable[[dict], str] | None = None,
    prepare: Callable[[dict, ToolContext, dict | None], dict] | None = None,
) -> None:
    """Register cancel_<noun>: once the user confirms, the record's status becomes cancelled.

    A record whose status is one of `finished` is refused with `refusal(record)`, both when
    the tool is called and when it is confirmed. The confirmation reads "Cancel <asking>" and
    the result "Cancelled <label>" (`asking` defaults to `label`); all three get the record
    with its instants in the business's time zone. `prepare(values, ctx, record)` may add
    columns to the write (as in `add_crud_tools`).
    """
    asking = asking or label
    prepare = prepare or (lambda values, ctx, existing: values)

    def cancellable(ctx: ToolContext, args: dict) -> dict:
        record = fetch(ctx, table, args["id"], noun)
        if record["status"] in finished:
            raise ToolError(refusal(shown(record, ctx.zone)))
        return record

    def describe_cancel(ctx: ToolContext, args: dict) -> str:
        return f"Cancel {asking(shown(cancellable(ctx, args), ctx.zone))}"

    @agent.tool(f"cancel_{noun}", RecordId(), description, describe=describe_cancel)
    def cancel_record(ctx: ToolContext, args: dict) -> dict:
        record = cancellable(ctx, args)
        values = prepare({"status": "cancelled"}, ctx, record)
        record = ctx.store.update_record(table, record["id"], values)
        return {noun: record, "summary": f"Cancelled {label(shown(record, ctx.zone))}"}
