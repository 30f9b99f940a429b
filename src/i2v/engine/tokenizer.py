"""The real CLIP BPE tokenizer, built offline from the vocabulary shipped in `i2v/assets`.

The vocabulary file is OpenAI CLIP's `bpe_simple_vocab_16e6.txt.gz` as distributed in the
MIT-licensed `open-clip-torch` wheel. Building `vocab.json`/`merges.txt` from it gives the same
49,408-token vocabulary as `openai/clip-vit-*` tokenizers on the hub, without a download.
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources

from transformers import CLIPTokenizer

CLIP_MAX_TOKENS = 77
_MERGE_TABLE = 49152  # CLIP keeps the first 49152-256-2 merges of the file


def _bytes_to_unicode() -> dict[int, str]:
    """CLIP's reversible byte→unicode table (identical to GPT-2's)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def _vocab_and_merges() -> tuple[dict[str, int], list[tuple[str, str]]]:
    raw = resources.files("i2v.assets").joinpath("bpe_simple_vocab_16e6.txt.gz").read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").split("\n")
    merges = lines[1 : _MERGE_TABLE - 256 - 2 + 1]
    symbols = list(_bytes_to_unicode().values())
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {tok: i for i, tok in enumerate(vocab)}, [tuple(m.split()) for m in merges]


@functools.lru_cache(maxsize=1)
def load_clip_tokenizer() -> CLIPTokenizer:
    """CLIP tokenizer with the real vocabulary, padding with `<|endoftext|>` as SD-2.x/I2VGen-XL do.

    Cached: the tokenizer is immutable and takes ~1 s to build.
    """
    vocab, merges = _vocab_and_merges()
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=CLIP_MAX_TOKENS, pad_token="<|endoftext|>")
