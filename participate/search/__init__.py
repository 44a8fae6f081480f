"""Chinese full-text search: the one module for indexing and querying (see DESIGN.md).

How it works, and why:

- Every searchable item (a proposal, a consultation, a discussion statement, an official
  response) has one ``search_document`` row holding ``search_text``: its text normalised
  (台→臺 and other variants, full-width→half-width, case folded, by :func:`nlp.segment.normalize`)
  and segmented by the project's jieba tokenizer, tokens joined by spaces. Indexing uses
  jieba's *search mode* (a long word also yields its dictionary sub-words: 臺北市政府 → 臺北, 市政,
  政府, 市政府, 臺北市政府), so a query for 臺北 finds 臺北市政府; queries use the precise mode.
- Each token is cut into runs of letters and digits, so neither database's tokenizer splits it
  again: FTS5 ``unicode61`` (SQLite) and the ``'simple'`` text-search parser (PostgreSQL) then
  see exactly the same words, and both return the same hits. (On PostgreSQL the
  ``to_tsvector('simple', search_text)`` is a stored generated column with a GIN index, so
  ranking reads it instead of re-parsing every matching row.)
- A query is normalised the same way, also converted from Simplified to Traditional Chinese with
  OpenCC (``s2twp``: Taiwan phrasing, so 长照 → 長照 and 软件 → 軟體); the tokens are ANDed, and the
  original and the converted form are ORed, so a Traditional query OpenCC would mangle still works.
- Ranking: bm25 on SQLite, ts_rank on PostgreSQL, then newer first, then id.
- Snippets are built from the stored plain text: escaped first, then matched words wrapped in
  ``<mark>``.
- The index is written after the commit, by the operations that change a searchable item:
  they queue ``index_proposal`` (which also refreshes the proposal's statements and response,
  whose visibility follows it) or ``index_statement`` in :mod:`participate.outbox`. Bulk
  writers call ``index_discussion`` (the Pol.is importer) or ``rebuild`` (the demo data);
  ``flask reindex`` rebuilds everything from the proposals, statements and responses.
"""

from participate.search.index import (
    FTS_TABLE,
    KINDS,
    SearchDoc,
    index_discussion,
    index_document,
    index_proposal,
    index_response,
    index_statement,
    proposal_doc,
    rebuild,
    remove_document,
    response_doc,
    statement_doc,
)
from participate.search.query import (
    MAX_PAGE,
    SearchHit,
    SearchPage,
    highlight,
    search,
)
from participate.search.tokens import (
    MAX_QUERY_LENGTH,
    index_tokens,
    query_tokens,
    query_variants,
    to_traditional,
)

__all__ = [
    "FTS_TABLE",
    "KINDS",
    "MAX_PAGE",
    "MAX_QUERY_LENGTH",
    "SearchDoc",
    "SearchHit",
    "SearchPage",
    "highlight",
    "index_discussion",
    "index_document",
    "index_proposal",
    "index_response",
    "index_statement",
    "index_tokens",
    "proposal_doc",
    "query_tokens",
    "query_variants",
    "rebuild",
    "remove_document",
    "response_doc",
    "search",
    "statement_doc",
    "to_traditional",
]
