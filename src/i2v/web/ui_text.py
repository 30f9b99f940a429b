"""Every visible string of the studio, tied to its component, so switching language misses nothing.

Components are built with their English text; `UiText.add` records which catalogue key (or
function of the language) each property shows. `updates(lang)` then relabels them all at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from i2v.i18n import t

TextSource = str | Callable[[str], Any] | Sequence[tuple[str, Any]]
"""A catalogue key; a function of the language; or, for `choices`, (key, value) pairs."""


def resolve(source: TextSource, lang: str) -> Any:
    """The text (or choices list) `source` stands for in `lang`."""
    if isinstance(source, str):
        return t(source, lang)
    if callable(source):
        return source(lang)
    return [(t(key, lang), value) for key, value in source]


@dataclass(frozen=True)
class Entry:
    component: Any
    prop: str  # "label", "value", "placeholder", "info" or "choices"
    source: TextSource


class UiText:
    """The registry: component → {property: text source}, in the order components were added."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, component, **props: TextSource):
        """Register `component`'s texts (e.g. label="ui.image") and return the component. A
        download button's text is its `label` (its `value` is the file), whichever name is given."""
        if isinstance(component, gr.DownloadButton) and "value" in props:
            props["label"] = props.pop("value")
        for prop, source in props.items():
            self.entries.append(Entry(component, prop, source))
        return component

    def components(self) -> list[Any]:
        seen: dict[int, Any] = {}
        for entry in self.entries:
            seen.setdefault(id(entry.component), entry.component)
        return list(seen.values())

    def texts(self, lang: str) -> list[dict[str, Any]]:
        """For each of `components()`, its properties resolved in `lang` (plain data, for tests)."""
        grouped: dict[int, dict[str, Any]] = {}
        for entry in self.entries:
            grouped.setdefault(id(entry.component), {})[entry.prop] = resolve(entry.source, lang)
        return list(grouped.values())

    def updates(self, lang: str) -> list[Any]:
        """One `gr.update` per component, in the order of `components()`."""
        return [gr.update(**props) for props in self.texts(lang)]
