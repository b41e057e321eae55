"""Markdown from models, slides and prompts, rendered to HTML that is safe to show.

Raw HTML in the source is never passed through, and the output is sanitized again
(nh3, the Ammonia sanitizer): an answer that contains a script shows it as text.
"""

from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    "table"
)
# A slide's source is prose: a single line break is a space (paragraphs flow), as in any
# Markdown; a model's answer keeps its line breaks, which models use as such.
_slides = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": False}).enable(
    "table"
)
_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
}


# Forty workshops of one script show the same answers at the same moment: each text is
# rendered once per process (a pure function of the text).
@lru_cache(maxsize=512)
def render(text: str) -> SafeString:
    return _clean(_markdown.render(text or ""))


@lru_cache(maxsize=256)
def render_slide(text: str) -> SafeString:
    """A slide's body under its step's title: a heading that opens the body is that title
    written again (the deck's habit, and the default script's), so it is left out."""
    tokens = _slides.parse(text or "")
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        tokens = tokens[3:]
    return _clean(_slides.renderer.render(tokens, _slides.options, {}))


def _clean(html: str) -> SafeString:
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitized just above
