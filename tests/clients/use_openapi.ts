// A front end's code on the types openapi-typescript generates from /openapi.json (written
// beside this file as api.d.ts by the test). It must compile under `tsc --strict`, and each
// `@ts-expect-error` line must be an error: tsc fails when one is not.
import type { components, paths } from "./api";

type Schemas = components["schemas"];
type StreamEvent = Schemas["StreamEvent"];
type SendBody = paths["/api/chat/stream"]["post"]["requestBody"]["content"]["application/json"];
type Streamed = paths["/api/chat/stream"]["post"]["responses"][200]["content"]["text/event-stream"];
type Regenerated = paths["/api/conversations/{conversation_id}/messages/{message_id}/regenerate"]["post"]["responses"][200]["content"]["text/event-stream"];
type ResumeHeaders = paths["/api/chat/generations/{generation_id}/events"]["get"]["parameters"]["header"];

// The union is discriminated on `type`: each branch sees its own fields, all required.
export function render(event: StreamEvent, text: string): string {
  switch (event.type) {
    case "start":
      return event.conversation_id + (event.resume_url ?? "");
    case "token":
      return text + event.content;
    case "tool_result":
      return event.status === "ok" ? event.summary : `failed after ${event.duration_ms} ms`;
    case "stat_data": {
      const figures = event.values.map((v) => `${v.label} ${v.value ?? "-"} ${v.unit}`);
      const kind: "number" | "series" | "breakdown" = event.kind;
      return `${event.title} (${kind}, ${event.period?.label ?? "any time"}): ${figures}`;
    }
    case "title":
      return `${event.conversation_id}: ${event.title}`;
    case "confirmation_required":
      return `${event.summary} (until ${event.expires_at}) ${event.action_id}`;
    case "complete":
      return `${event.finish_reason}: ${event.usage.output_tokens} tokens`;
    case "error":
      return event.retryable ? `${event.error} (${event.code})` : event.error;
    case "agent":
    case "tool_call":
      return text;
    default: {
      const never: never = event; // every event type is handled above
      return never;
    }
  }
}

// The stream's schema is the union itself.
export const sameType = (event: Streamed): StreamEvent => event;
export const regenerated = (event: Regenerated): StreamEvent => event;

// Optional request fields are optional; `message` is not.
export const body: SendBody = { message: "Which invoices are overdue?" };
export const full: SendBody = { message: "hi", conversation_id: null, client_message_id: "x" };
// @ts-expect-error: `message` is required
export const empty: SendBody = {};

// The Last-Event-ID header is declared, and optional.
export const resumeHeaders: ResumeHeaders = { "Last-Event-ID": "12" };
export const noHeaders: ResumeHeaders = {};

// Answers: every field present, enums as unions.
export function describe(message: Schemas["Message"]): string {
  const role: "user" | "assistant" = message.role;
  const status: "streaming" | "complete" | "interrupted" | "error" = message.status;
  const rating: "up" | "down" | undefined = message.feedback?.rating;
  const versions = `${message.sibling_ids.indexOf(message.id) + 1}/${message.sibling_ids.length}`;
  return `${role} ${status} ${message.content.length} ${message.created_at} ${versions} ${rating}`;
}
// @ts-expect-error: there is no such role
export const wrongRole: Schemas["Message"]["role"] = "system";
// @ts-expect-error: there is no such error code
export const wrongCode: Schemas["ErrorBody"]["code"] = "OOPS";
export const page = (p: Schemas["ConversationPage"]): number =>
  p.conversations.reduce((sum, c) => sum + c.message_count, p.total);
export const pending = (a: Schemas["Action"]): boolean => a.status === "pending";
