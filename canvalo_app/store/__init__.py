"""The stores: conversations, messages, pending actions and the business records, in SQLite
(sqlite.py) or Supabase (supabase.py), behind one interface (base.py)."""
