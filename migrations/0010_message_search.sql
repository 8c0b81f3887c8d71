-- Full-text search over message text and conversation titles (GET /api/search). GIN indexes
-- on the text's words ('simple' configuration: lower-cased words, no stemming, no stop words,
-- as the SQLite store's FTS5 tables), and one function PostgREST offers as RPC.
--
-- A word is a run of letters and digits, as the app splits a query (store/account.py): ASCII
-- punctuation becomes a space before the parser sees the text, which would otherwise keep
-- `2024-05-01`, `john@smith.com` or `INV-1001` whole. The index, the matching and the
-- snippet use that one expression, written out the same in each place (the planner uses an
-- index only for the expression it was built on). The class named is punctuation, not
-- [^[:alnum:]]: under the C locale that class knows no accented letter. Accents are not
-- folded here (`unaccent` is not immutable, nor installed everywhere); only SQLite folds them.
--
-- An answer is indexed once it is finished (complete, interrupted or error): the index is
-- partial, and the matching repeats its predicate so the planner uses it. A streaming
-- answer's saves, about one a second, never re-index its text.
--
-- Under row-level security PostgreSQL never uses an index for an operator that is not
-- leakproof, and `@@` is not: a search with the caller's rights reads every row. So the
-- matching runs in `canvalo_search.best_hits`, SECURITY DEFINER, which filters on auth.uid()
-- itself and returns only ids and times; `api.search_conversations`, SECURITY INVOKER, reads
-- the text of those rows under row-level security. Idempotent.

-- Not exposed by PostgREST (only `api` is); the signed-in role may call what is granted here.
create schema if not exists canvalo_search;
revoke all on schema canvalo_search from public;
grant usage on schema canvalo_search to authenticated;

create index if not exists agent_messages_search on api.agent_messages using gin (
    to_tsvector('simple'::regconfig, regexp_replace(content, '[[:punct:]]+', ' ', 'g'))
) where status <> 'streaming';
create index if not exists agent_conversations_search on api.agent_conversations using gin (
    to_tsvector('simple'::regconfig, regexp_replace(title, '[[:punct:]]+', ' ', 'g'))
);

-- Every word of `query`, the last also as a prefix ("invo" finds "invoice"). Any text is
-- safe: plainto_tsquery reads words only, and its output is valid query text, so the last
-- operand can take the prefix mark.
create or replace function canvalo_search.query_of(query text) returns tsquery
language sql immutable set search_path = ''
as $$
    select case when numnode(last_word) = 0 then rest
                else rest && (last_word::text || ':*')::tsquery end
      from (select plainto_tsquery('simple', array_to_string(w[1:cardinality(w) - 1], ' ')) as rest,
                   plainto_tsquery('simple', w[cardinality(w)]) as last_word
              from (select regexp_split_to_array(btrim(regexp_replace(
                               coalesce(query, ''), '[[:punct:]]+', ' ', 'g')), '\s+') as w) words
           ) parts
$$;

-- One hit per conversation of the caller's that matches, newest first: its newest matching
-- message, else its title (message_id null); `total` counts the conversations that match.
create or replace function canvalo_search.best_hits(
    query tsquery, max_rows integer, skip integer
) returns table (conversation_id uuid, message_id uuid, created_at timestamptz, total bigint)
language sql stable security definer set search_path = '' rows 20
as $$
    with hits as (
        select m.conversation_id, m.id as message_id, m.created_at, 0 as title_hit
          from api.agent_messages m
         where m.user_id = (select auth.uid())
           and m.status <> 'streaming'  -- the index's predicate: finished answers only
           and to_tsvector('simple'::regconfig,
                           regexp_replace(m.content, '[[:punct:]]+', ' ', 'g')) @@ query
        union all
        select c.id, null::uuid, c.updated_at, 1
          from api.agent_conversations c
         where c.user_id = (select auth.uid())
           and to_tsvector('simple'::regconfig,
                           regexp_replace(c.title, '[[:punct:]]+', ' ', 'g')) @@ query
    ),
    best as (
        select distinct on (h.conversation_id) h.*
          from hits h
         order by h.conversation_id, h.title_hit, h.created_at desc, h.message_id desc
    )
    select b.conversation_id, b.message_id, b.created_at, count(*) over ()
      from best b
     order by b.created_at desc, b.conversation_id desc
     limit greatest(max_rows, 0) offset greatest(skip, 0)
$$;

revoke all on function canvalo_search.query_of(text) from public, anon;
revoke all on function canvalo_search.best_hits(tsquery, integer, integer) from public, anon;
grant execute on function canvalo_search.query_of(text) to authenticated;
grant execute on function canvalo_search.best_hits(tsquery, integer, integer) to authenticated;

-- The caller's conversations whose title or messages hold every word of `query` (see
-- query_of), one row per conversation: its newest matching message, or the title when no
-- message matches (then message_id and role are null). Newest match first; `snippet` is the
-- matched text with each match in « »; `total` (on every row) counts the conversations that
-- match. SECURITY INVOKER: the text is read under row-level security.
create or replace function api.search_conversations(
    query text, max_rows integer default 20, skip integer default 0
) returns table (
    conversation_id uuid, title text, message_id uuid, role text, snippet text,
    created_at timestamptz, total bigint
)
language sql stable security invoker set search_path = ''
as $$
    with q as (select canvalo_search.query_of(query) as tsq)
    select h.conversation_id, c.title, h.message_id, m.role,
           ts_headline('simple',
                       regexp_replace(coalesce(m.content, c.title), '[[:punct:]]+', ' ', 'g'),
                       q.tsq,
                       'StartSel=«, StopSel=», MaxWords=24, MinWords=8, MaxFragments=1, '
                       'FragmentDelimiter=" … "'),
           h.created_at, h.total
      from q
     cross join lateral canvalo_search.best_hits(q.tsq, max_rows, skip) h
      join api.agent_conversations c on c.id = h.conversation_id
      left join api.agent_messages m on m.id = h.message_id
     where c.user_id = (select auth.uid())
       and (h.message_id is null or m.id is not null)
     order by h.created_at desc, h.conversation_id desc
$$;

revoke all on function api.search_conversations(text, integer, integer) from public, anon;
grant execute on function api.search_conversations(text, integer, integer) to authenticated;

notify pgrst, 'reload schema';
