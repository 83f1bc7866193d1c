"""A tiny model2vec model built in the test itself (nothing downloaded): a handful of words whose vectors
say which mean the same — enough to check that the real loading and re-ranking code works."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from model2vec import StaticModel
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

CONCEPTS = {
    "eyes": ("goggles", "eye", "eyes", "protection", "glasses", "splash"),
    "signs": ("sign", "signs", "label", "labels", "symbol"),
    "money": ("invoice", "payment", "bank"),
}
"""Words that point the same way in the tiny model's space, one axis per concept."""


def save_tiny_model(folder: Path) -> Path:
    """Build the model and save it as model2vec does (config, tokenizer.json, safetensors); returns the folder."""
    vocabulary = ["[UNK]", "[PAD]"] + [word for words in CONCEPTS.values() for word in words]
    tokenizer = Tokenizer(models.WordLevel({word: i for i, word in enumerate(vocabulary)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    vectors = np.zeros((len(vocabulary), len(CONCEPTS)), dtype=np.float32)
    for axis, words in enumerate(CONCEPTS.values()):
        for word in words:
            vectors[vocabulary.index(word), axis] = 1.0
    StaticModel(vectors, tokenizer).save_pretrained(str(folder))
    return folder
