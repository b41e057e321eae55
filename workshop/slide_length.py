"""Whether a slide's text fits the projector at its normal size.

The presenter screen draws a slide too long for it smaller until it fits (static/js/live.js,
fitStage), down to half its size. Far below its normal size, a slide is hard to read from
the back of a room: the back office warns before the workshop, with this estimate.

The estimate counts lines as the projector lays them out at its normal size (live.css: body
text 1.25 em of a 16:9 stage, about 90 characters a line, 15 lines under the title and above
the join corner); an image takes 40 % of the height (its maximum).
"""

import math
import re
from dataclasses import dataclass

CHARACTERS_PER_LINE = 90
LINES_AT_FULL_SIZE = 15
IMAGE_LINES = 6
# Drawn smaller than this, a slide is hard to read: the back office says so.
SMALLEST_COMFORTABLE = 0.75

_MARKUP = re.compile(r"[*_`#>]|\[([^\]]*)\]\([^)]*\)")


@dataclass(frozen=True)
class Estimate:
    lines: float

    @property
    def scale(self) -> float:
        """The size the projector draws the slide at, 1 being its normal size (a slide
        shrinks in both directions, so its lines fit the height at the square root)."""
        if self.lines <= LINES_AT_FULL_SIZE:
            return 1.0
        return math.sqrt(LINES_AT_FULL_SIZE / self.lines)

    @property
    def too_long(self) -> bool:
        return self.scale < SMALLEST_COMFORTABLE


def estimate(body: str, has_image: bool = False) -> Estimate:
    lines = IMAGE_LINES if has_image else 0.0
    blocks = [block for block in re.split(r"\n\s*\n", body or "") if block.strip()]
    for index, block in enumerate(blocks):
        if index == 0 and block.lstrip().startswith("# "):
            continue  # the title, drawn apart (markup.render_slide)
        # A list's items each start a line; a paragraph's lines flow into one another.
        items = re.split(r"\n\s*(?:[-*+]|\d+[.)])\s+", "\n" + block.strip())
        for item in (i for i in items if i.strip()):
            text = _MARKUP.sub(lambda m: m.group(1) or "", " ".join(item.split()))
            lines += max(1, math.ceil(len(text) / CHARACTERS_PER_LINE))
        lines += 0.35  # the space between blocks
    return Estimate(lines)
