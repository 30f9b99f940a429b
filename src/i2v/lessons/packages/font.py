"""The Chinese glyphs a lesson page needs, cut from the bundled Noto Sans SC (SIL OFL) as a small
WOFF2 embedded in the page: the page's font list tries the viewer's own Chinese fonts first and
falls back to this subset, so Chinese renders even on a machine with none (a bare Linux, a
locked-down school PC). Only the characters the page shows are kept (a few KB, not the 5 MB font)."""

from __future__ import annotations

import base64
import functools
import io
import re

from fontTools import subset

from i2v.post.labels import FONT_PATH

FAMILY = "i2v-lesson-cjk"
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def wide_characters(text: str) -> str:
    """The Chinese (CJK and full-width) characters of `text`, each once, sorted."""
    return "".join(sorted(set(_WIDE.findall(text))))


@functools.lru_cache(maxsize=32)
def subset_woff2(characters: str) -> bytes:
    """A WOFF2 of the bundled font holding only `characters` (empty bytes for none)."""
    if not characters:
        return b""
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    font = subset.load_font(str(FONT_PATH), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


def font_face(text: str) -> str:
    """An @font-face rule for the Chinese characters of `text`, or "" when it has none."""
    data = subset_woff2(wide_characters(text))
    if not data:
        return ""
    return (f"@font-face {{ font-family: '{FAMILY}'; font-display: swap; "
            f"src: url(data:font/woff2;base64,{base64.b64encode(data).decode()}) format('woff2'); }}")
