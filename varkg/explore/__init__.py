"""``varkg explore``: a local, read-only graph explorer served on 127.0.0.1."""
