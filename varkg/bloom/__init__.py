"""Neo4j Bloom perspective generated from the schema."""

from varkg.bloom.perspective import perspective, search_phrases

__all__ = ["perspective", "search_phrases"]
