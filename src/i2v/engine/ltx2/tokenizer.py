"""A Gemma tokenizer built offline: transformers' real `GemmaTokenizer` class (byte-fallback BPE)
over a vocabulary made from the stand-in pieces in `engine.tokenizers` (CLIP's BPE merges, which ship
in i2v's assets). Gemma-3's own 262 k vocabulary is not on this machine; counts for English prompts
are close to, not equal to, the real tokenizer's. A checkpoint's own `tokenizer/` folder wins when installed.
"""

from __future__ import annotations

import functools

from i2v.engine.imports import IMPORT_LOCK
from i2v.engine.tokenizers import _t5_pieces

GEMMA_SPECIALS = ("<pad>", "<eos>", "<bos>", "<unk>", "<mask>")  # ids 0–4, as Gemma's (pad 0, eos 1, bos 2, unk 3)
PIECES = 4000  # the best-scored stand-in pieces: enough to count English prompts like a subword tokenizer


@functools.lru_cache(maxsize=1)
def load_gemma_tokenizer():
    """The offline `GemmaTokenizer` (cached: building takes about a second)."""
    with IMPORT_LOCK:
        from transformers import GemmaTokenizer

        vocab: dict[str, int] = {token: i for i, token in enumerate(GEMMA_SPECIALS)}
        pieces = [piece for piece, _ in _t5_pieces()[:PIECES]]
        for char in sorted({c for piece in pieces for c in piece}):
            vocab.setdefault(char, len(vocab))
        for byte in range(256):  # byte fallback, as Gemma's: no text is ever out of vocabulary
            vocab.setdefault(f"<0x{byte:02X}>", len(vocab))
        merges: list[tuple[str, str]] = []
        for piece in pieces:  # each piece reachable by merging its prefix with its next character
            for k in range(2, len(piece) + 1):
                if piece[:k] not in vocab:
                    vocab[piece[:k]] = len(vocab)
                    merges.append((piece[: k - 1], piece[k - 1]))
        return GemmaTokenizer(vocab=vocab, merges=merges)
