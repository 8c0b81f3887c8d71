"""Branches of a conversation: every version of a message is kept (a parent id per
message); one path through them, the active branch, is what the user sees and what the
model is given.

A message follows its parent: a user message follows the answer before it (the first one
follows nothing), an answer follows its user message. Regenerating an answer adds another
answer to the same user message; editing a user message adds another user message after
the same parent. Such messages are siblings, the versions of one message. The
conversation's `active_leaf_id` is the last message of the active branch: the database sets
it to every new message (migrations/0008), and a switch moves it. The branch is the leaf
and its ancestors, oldest first.

A backend implements three primitives: the conversation's links (`_message_links`), rows by
id (`_messages_by_id`) and the insert of new messages whose parents are set
(`_add_messages`); the tree is worked out here, once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NamedTuple

from .values import ACTIVE_LEAF, Follow, NewMessage, new_id


class Link(NamedTuple):
    """One message's place in the tree."""

    id: str
    parent_id: str | None
    role: str


class Tree:
    """A conversation's messages as links, in the order they were written, and the last
    message of its active branch (its newest message if the stored leaf is not one of
    them)."""

    def __init__(self, links: list[Link], leaf_id: str | None):
        self.links = {link.id: link for link in links}
        self.children: dict[str | None, list[str]] = {}
        for link in links:
            self.children.setdefault(link.parent_id, []).append(link.id)
        newest = links[-1].id if links else None
        self.leaf_id = leaf_id if leaf_id in self.links else newest

    def __contains__(self, message_id: str) -> bool:
        return message_id in self.links

    def role(self, message_id: str) -> str:
        return self.links[message_id].role

    def parent(self, message_id: str) -> str | None:
        return self.links[message_id].parent_id

    def branch(self, leaf_id: str | None = None) -> list[str]:
        """The ids from the first message to `leaf_id` (default: the active leaf)."""
        path: list[str] = []
        node = self.leaf_id if leaf_id is None else leaf_id
        while node in self.links and node not in path:  # a cycle cannot loop forever
            path.append(node)
            node = self.links[node].parent_id
        return path[::-1]

    def siblings(self, message_id: str) -> list[str]:
        """Every version of the message: same parent, same role, oldest first."""
        link = self.links[message_id]
        return [
            other for other in self.children[link.parent_id] if self.links[other].role == link.role
        ]

    def newest_leaf(self, message_id: str) -> str:
        """The leaf reached from `message_id` by following the newest child at each step."""
        seen = {message_id}
        while (children := self.children.get(message_id)) and children[-1] not in seen:
            message_id = children[-1]
            seen.add(message_id)
        return message_id


class MessageTree(ABC):
    """Mixed into `UserStore`: the conversation's message tree, on the store's primitives."""

    @abstractmethod
    def _message_links(self, conversation_id: str) -> list[Link]:
        """The links of the user's messages in the conversation, oldest first."""

    @abstractmethod
    def _messages_by_id(self, conversation_id: str, ids: list[str]) -> list[dict]:
        """The user's messages of the conversation with these ids, in any order."""

    @abstractmethod
    def _add_messages(self, conversation_id: str, messages: list[NewMessage]) -> list[dict] | None:
        """Insert messages (ids and parents set) into the user's conversation, all or none,
        in one write; None if the conversation is not theirs. A parent that is not a
        message of the conversation: AppError MESSAGE_NOT_FOUND. A `client_message_id` the
        user has already sent: AppError DUPLICATE_MESSAGE."""

    def message_tree(self, conversation_id: str) -> Tree | None:
        """The conversation's tree; None if the conversation is not the user's."""
        conversation = self.get_conversation(conversation_id)
        if conversation is None:
            return None
        return Tree(self._message_links(conversation_id), conversation.get("active_leaf_id"))

    def list_messages(
        self, conversation_id: str, limit: int, offset: int
    ) -> tuple[list[dict], int]:
        """A page of the active branch, oldest first, and the branch's length. Each message
        carries its `sibling_ids` (its versions, itself included)."""
        tree = self.message_tree(conversation_id)
        if tree is None:
            return [], 0
        branch = tree.branch()
        rows = self._in_order(conversation_id, branch[offset : offset + limit])
        return [{**row, "sibling_ids": tree.siblings(row["id"])} for row in rows], len(branch)

    def recent_messages(
        self, conversation_id: str, limit: int, through: str | None = None
    ) -> list[dict]:
        """The newest `limit` messages of the active branch (or of the branch that ends at
        `through`), returned oldest first."""
        tree = self.message_tree(conversation_id)
        if tree is None or limit <= 0:
            return []
        return self._in_order(conversation_id, tree.branch(through)[-limit:])

    def _in_order(self, conversation_id: str, ids: list[str]) -> list[dict]:
        if not ids:
            return []
        found = {row["id"]: row for row in self._messages_by_id(conversation_id, ids)}
        return [found[message_id] for message_id in ids if message_id in found]

    def add_message(self, conversation_id: str, role: str, content: str, **fields) -> dict | None:
        """Add one message after the active leaf (see `add_messages`); None if the
        conversation is not theirs."""
        rows = self.add_messages(conversation_id, [NewMessage(role, content, **fields)])
        return rows[0] if rows else None

    def add_messages(
        self,
        conversation_id: str,
        messages: list[NewMessage],
        after: str | Follow | None = ACTIVE_LEAF,
    ) -> list[dict] | None:
        """Add messages to the user's conversation, all or none, in one write; None if the
        conversation is not theirs. The first follows `after` (by default the last message
        of the active branch; None: it starts the conversation anew), each next one the
        message before it. The last one becomes the active leaf.

        A `client_message_id` the user has already sent: AppError DUPLICATE_MESSAGE.
        """
        if after is ACTIVE_LEAF:
            tree = self.message_tree(conversation_id)
            if tree is None:
                return None
            after = tree.leaf_id
        chained = []
        for message in messages:
            # Ids chosen here: a store retry after a lost answer cannot write one twice.
            message = message._replace(message_id=message.message_id or new_id(), parent_id=after)
            chained.append(message)
            after = message.message_id
        return self._add_messages(conversation_id, chained)

    def message_with_siblings(self, message_id: str) -> dict | None:
        """One of the user's messages with its `sibling_ids`, as a conversation lists it."""
        message = self.get_message(message_id)
        if message is None:
            return None
        tree = self.message_tree(message["conversation_id"])
        known = tree is not None and message_id in tree
        return {**message, "sibling_ids": tree.siblings(message_id) if known else [message_id]}

    def switch_branch(self, conversation_id: str, message_id: str) -> dict | None:
        """Make the branch through `message_id` the active one, to the leaf reached by
        following the newest child at each step; the conversation, or None if the message
        is not one of the conversation's."""
        tree = self.message_tree(conversation_id)
        if tree is None or message_id not in tree:
            return None
        leaf = tree.newest_leaf(message_id)
        return self._update("agent_conversations", conversation_id, {"active_leaf_id": leaf})
