"""Tokenizers built offline from the vocabulary shipped in `i2v/assets` — never a hub download.

- CLIP (I2VGen-XL): OpenAI CLIP's `bpe_simple_vocab_16e6.txt.gz` as distributed in the MIT-licensed
  `open-clip-torch` wheel. Building `vocab.json`/`merges.txt` from it gives the same 49,408-token
  vocabulary as `openai/clip-vit-*` tokenizers on the hub.
- T5/UMT5 stand-in (the Wan and LTX test models, and their prompt check when the real weights are
  not installed): a `T5Tokenizer` (a real sentencepiece-unigram tokenizer class) over a vocabulary
  generated from the same CLIP file — its English word pieces, scored by merge rank, at word start
  (`▁`) and inside words, lower-case and capitalised — plus every CJK ideograph as one piece, as UMT5
  reads Chinese. Real weights bring their own tokenizer folder, which the engines load instead.
"""

from __future__ import annotations

import functools
import gzip
import math
from importlib import resources
from typing import TYPE_CHECKING

from i2v.engine.imports import IMPORT_LOCK

if TYPE_CHECKING:
    from transformers import CLIPTokenizer, T5Tokenizer

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


@functools.lru_cache(maxsize=1)
def _merge_lines() -> tuple[str, ...]:
    raw = resources.files("i2v.assets").joinpath("bpe_simple_vocab_16e6.txt.gz").read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").split("\n")
    return tuple(lines[1 : _MERGE_TABLE - 256 - 2 + 1])


def _vocab_and_merges() -> tuple[dict[str, int], list[tuple[str, str]]]:
    merges = _merge_lines()
    symbols = list(_bytes_to_unicode().values())
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {tok: i for i, tok in enumerate(vocab)}, [tuple(m.split()) for m in merges]


@functools.lru_cache(maxsize=1)
def load_clip_tokenizer() -> CLIPTokenizer:
    """CLIP tokenizer with the real vocabulary, padding with `<|endoftext|>` as SD-2.x/I2VGen-XL do.

    Cached: the tokenizer is immutable and takes ~1 s to build.
    """
    with IMPORT_LOCK:  # the model may be importing transformers in another thread (see engine.imports)
        from transformers import CLIPTokenizer

        vocab, merges = _vocab_and_merges()
        return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=CLIP_MAX_TOKENS, pad_token="<|endoftext|>")


T5_SPECIALS = ("<pad>", "</s>", "<unk>")  # ids 0, 1, 2 as in T5/UMT5
_CJK_RANGES = ((0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF00, 0xFFEF))
_PUNCTUATION = ".,;:!?'\"-()[]/%+=°×·"


def _t5_pieces() -> list[tuple[str, float]]:
    """(piece, log-probability-like score) for the stand-in unigram vocabulary, best first."""
    pieces: dict[str, float] = {}
    for rank, merge in enumerate(_merge_lines()):
        text = "".join(merge.split()).removesuffix("</w>")
        score = -math.log(rank + 2)
        for form, penalty in (("\u2581" + text, 0.0), (text, 0.5), ("\u2581" + text.capitalize(), 1.0)):
            if form not in pieces:
                pieces[form] = score - penalty
    floor = min(pieces.values()) - 1.0
    singles = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    singles += list("0123456789" + _PUNCTUATION)
    singles += [chr(c) for low, high in _CJK_RANGES for c in range(low, high + 1)]
    for char in singles:
        pieces.setdefault(char, floor)
        pieces.setdefault("\u2581" + char, floor - 0.1)
    return sorted(pieces.items(), key=lambda item: -item[1])


@functools.lru_cache(maxsize=4)
def load_t5_tokenizer(max_length: int, vocab_size: int | None = None) -> T5Tokenizer:
    """The offline T5-family tokenizer (see the module docstring), cut at `max_length` tokens, with
    at most `vocab_size` tokens (the best-scored pieces; e.g. T5-XXL's 32,128 for a full-size text
    encoder built with random weights). Cached: building it takes about a second.
    """
    with IMPORT_LOCK:  # see engine.imports
        from transformers import T5Tokenizer

        pieces = _t5_pieces()
        if vocab_size is not None:
            pieces = pieces[: vocab_size - len(T5_SPECIALS)]
        vocab = [(token, 0.0) for token in T5_SPECIALS] + pieces
        return T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=max_length)
