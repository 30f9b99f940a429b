"""What every tab of the studio is built with: the services, the text registry, the language, the
tab bar, and the parts other tabs reach into (the Create tab's controls).

A tab is one function `build_<name>_tab(studio: Studio) -> None` in its own module, listed in
`ui.TABS`: adding a tab is one entry there. Inside, `studio.tab(...)` opens its `gr.Tab` (whose
`select` event is the moment to load its data), `studio.lang` is the page's language, and
`studio.create` the Create tab's controls, for tabs that fill them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gradio as gr

from i2v.i18n import t
from i2v.web.services import Services
from i2v.web.ui_text import UiText

if TYPE_CHECKING:
    from i2v.web.ui_create import CreateTab

CREATE, LIBRARY, HELP = "create", "library", "help"
"""Tab ids, for `select_tab` (another tab, e.g. a future "lessons", adds its own)."""


@dataclass
class Studio:
    services: Services
    tx: UiText
    lang: gr.State
    tabs: gr.Tabs
    create: CreateTab | None = None  # set by build_create_tab, for tabs that fill its controls

    @contextmanager
    def tab(self, tab_id: str, label_key: str) -> Iterator[gr.Tab]:
        """Open the tab `tab_id` with its label from the catalogue (relabelled on a language switch)."""
        with self.tx.add(gr.Tab(t(label_key, "en"), id=tab_id, elem_id=f"i2v-tab-{tab_id}"), label=label_key) as tab:
            yield tab


def user_error(message: str) -> gr.Error:
    """The studio's answer to a user's mistake (no picture, a frame count the model refuses): a
    message in the page, and no traceback in the server's terminal (Gradio prints one by default)."""
    return gr.Error(message, print_exception=False)


def select_tab(tab_id: str) -> gr.Tabs:
    """An output value that switches the tab bar to `tab_id`."""
    return gr.Tabs(selected=tab_id)
