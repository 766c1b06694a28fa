"""Text as numbers for a bag-of-words model: `tokenize`, `bigrams` and `Vocabulary`.

A bag of words forgets the order of the words and keeps only which ones occur: a sentence
becomes one input per word of the vocabulary, 1.0 if the sentence contains that word and
0.0 if not. Word pairs (bigrams such as ``"not good"``) bring back a little of the order.

>>> vocabulary = Vocabulary(["the soup was good", "the soup was not good"])
>>> vocabulary.words
('the', 'soup', 'was', 'good', 'not')
>>> vocabulary.encode("Good soup!")
[0.0, 1.0, 0.0, 1.0, 0.0]
>>> Vocabulary(["the soup was not good"], bigrams=True).features("The soup was NOT good!")
['the', 'soup', 'was', 'not', 'good', 'the soup', 'soup was', 'was not', 'not good']
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise

__all__ = ["WORD", "Vocabulary", "bigrams", "tokenize"]

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
"""A word: lowercase letters, with one inner apostrophe allowed (``didn't`` stays one word)."""


def _check_text(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{what}: expected a str, got {type(text).__name__} {text!r}")
    return text


def tokenize(text: str) -> list[str]:
    """The words of ``text`` in order, lowercased, without punctuation or digits."""
    return WORD.findall(_check_text(text, "tokenize").lower())


def bigrams(tokens: Sequence[str]) -> list[str]:
    """Each pair of neighbouring tokens as one string: ``["a", "b", "c"]`` gives
    ``["a b", "b c"]``."""
    return [f"{first} {second}" for first, second in pairwise(tokens)]


class Vocabulary:
    """The words (and optionally word pairs) of a collection of texts, each with an index.

    Args:
        texts: the training texts; the vocabulary is what they contain, in order of first
            appearance (so the same texts always give the same indices).
        bigrams: also count each pair of neighbouring words as a feature.
        min_count: keep only features that occur in at least this many texts (rare words
            are mostly noise for a model trained on a few dozen sentences).
    """

    def __init__(self, texts: Iterable[str], *, bigrams: bool = False, min_count: int = 1) -> None:
        """See the class docstring."""
        if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
            raise ValueError(f"Vocabulary: min_count must be a positive int, got {min_count!r}")
        if isinstance(texts, str):
            raise TypeError("Vocabulary: expected a list of texts, got a single str")
        self.bigrams = bool(bigrams)
        documents = Counter[str]()
        order: dict[str, None] = {}
        for i, text in enumerate(texts):
            features = self.features(_check_text(text, f"Vocabulary: texts[{i}]"))
            documents.update(set(features))
            order.update(dict.fromkeys(features))
        self.words: tuple[str, ...] = tuple(w for w in order if documents[w] >= min_count)
        """Every feature, in index order."""
        if not self.words:
            raise ValueError(f"Vocabulary: no feature occurs in {min_count} or more texts")
        self.index: dict[str, int] = {word: i for i, word in enumerate(self.words)}
        """The position of each feature in an encoded text."""

    def __len__(self) -> int:
        """The number of features: the length of every encoded text."""
        return len(self.words)

    def features(self, text: str) -> list[str]:
        """The words of ``text``, then its word pairs when the vocabulary uses bigrams."""
        tokens = tokenize(text)
        return tokens + bigrams(tokens) if self.bigrams else tokens

    def encode(self, text: str) -> list[float]:
        """``text`` as one number per feature: 1.0 if it occurs in the text, else 0.0.

        Words the vocabulary does not know are ignored.
        """
        vector = [0.0] * len(self.words)
        for feature in self.features(text):
            position = self.index.get(feature)
            if position is not None:
                vector[position] = 1.0
        return vector

    def __repr__(self) -> str:
        kind = "words and word pairs" if self.bigrams else "words"
        return f"Vocabulary({len(self.words)} {kind})"
