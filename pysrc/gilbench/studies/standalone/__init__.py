"""Standard-library-only scripts the studies run in a fresh, minimal interpreter (``-I``).

They are files, not imports: a child started from them pays only for the interpreter and
what the script itself uses, and anything they crash is theirs alone.
"""
