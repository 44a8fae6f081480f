"""What people do with draft regulations: one function per action.

Each, in this order and visibly: asks :mod:`participate.policy` (a "no" is a
:class:`~participate.errors.RuleError` with the words the person sees), screens user text
(:mod:`participate.moderation.screening`), writes, flushes, records the audit entry
(status changes through :func:`lifecycle.transition`, which audits them), and puts what
follows into the moderation queue or the outbox (a held comment's queue item, the
reports' threshold, a fresh keyword analysis after the commit). None commits: the
request, job or command around it does (:mod:`participate.boundary`).

The agency's actions: create and edit a draft, its comparison table article by article or
pasted in bulk, publish it with its comment period, save and publish the collated
response table, record the promulgated text. Everyone's: comment on an article or the
whole draft, reply in a thread, agree or disagree, withdraw one's comment, report one.
"""

from participate.regulations.operations.comments import (
    PostResult,
    VoteResult,
    clean_comment,
    delete_comment,
    post_comment,
    reply_comment,
    report_comment,
    vote_comment,
)
from participate.regulations.operations.common import MAX_NESTING, SEPARATORS
from participate.regulations.operations.drafts import (
    ArticleInput,
    DraftInput,
    add_article,
    create_draft,
    paste_articles,
    publish_draft,
    remove_article,
    update_article,
    update_draft,
)
from participate.regulations.operations.responses import (
    RowInput,
    record_final_text,
    save_response_table,
)

__all__ = [
    "MAX_NESTING",
    "SEPARATORS",
    "ArticleInput",
    "DraftInput",
    "PostResult",
    "RowInput",
    "VoteResult",
    "add_article",
    "clean_comment",
    "create_draft",
    "delete_comment",
    "paste_articles",
    "post_comment",
    "publish_draft",
    "record_final_text",
    "remove_article",
    "reply_comment",
    "report_comment",
    "save_response_table",
    "update_article",
    "update_draft",
    "vote_comment",
]
