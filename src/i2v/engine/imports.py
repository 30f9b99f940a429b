"""One lock for the first import of the machine-learning libraries (transformers, diffusers).

transformers and diffusers resolve most names lazily, importing a submodule the first time a name
is asked for. Two threads doing that at once (the model loading in the background while the first
requests build a prompt tokenizer) can see a half-initialised module: `ImportError: cannot import
name 'CLIPTokenizer' from 'transformers'` for the request, and once for the model load itself.
Every first import of those libraries in i2v happens under `IMPORT_LOCK`; once imported, nothing
waits on it (the tokenizers are cached, the engine modules stay imported).
"""

from __future__ import annotations

import threading

IMPORT_LOCK = threading.RLock()
