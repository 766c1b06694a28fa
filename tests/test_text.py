"""nn.text: words, word pairs and the bag-of-words encoding the sentiment lesson uses."""

from __future__ import annotations

import pytest

from nn import text


def test_tokenize_lowercases_and_drops_punctuation_and_digits() -> None:
    assert text.tokenize("The soup, sadly, was NOT good (2 stars)!") == [
        "the",
        "soup",
        "sadly",
        "was",
        "not",
        "good",
        "stars",
    ]
    assert text.tokenize("We didn't like it") == ["we", "didn't", "like", "it"]
    assert text.tokenize("  ... ") == []


def test_bigrams_pair_neighbours() -> None:
    assert text.bigrams(["a", "b", "c"]) == ["a b", "b c"]
    assert text.bigrams(["a"]) == []


def test_the_vocabulary_keeps_first_appearance_order_and_encodes_presence() -> None:
    vocabulary = text.Vocabulary(["good food", "bad food, bad service"])
    assert vocabulary.words == ("good", "food", "bad", "service")
    assert len(vocabulary) == 4
    assert vocabulary.index["bad"] == 2
    # presence, not counts; unknown words are ignored
    assert vocabulary.encode("bad bad unknown food") == [0.0, 1.0, 1.0, 0.0]
    assert vocabulary.encode("") == [0.0, 0.0, 0.0, 0.0]
    assert repr(vocabulary) == "Vocabulary(4 words)"


def test_bigrams_become_features_after_the_words() -> None:
    vocabulary = text.Vocabulary(["not good", "good"], bigrams=True)
    assert vocabulary.words == ("not", "good", "not good")
    assert vocabulary.encode("good, not good") == [1.0, 1.0, 1.0]
    assert vocabulary.encode("good not") == [1.0, 1.0, 0.0]
    assert repr(vocabulary) == "Vocabulary(3 words and word pairs)"


def test_min_count_counts_texts_not_occurrences() -> None:
    vocabulary = text.Vocabulary(["tea tea tea", "tea and cake", "cake"], min_count=2)
    assert vocabulary.words == ("tea", "cake")


def test_bad_input_is_refused_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"Vocabulary: texts\[1\]: expected a str, got int 3"):
        text.Vocabulary(["fine", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="got a single str"):
        text.Vocabulary("one text")
    with pytest.raises(ValueError, match="min_count must be a positive int, got 0"):
        text.Vocabulary(["a"], min_count=0)
    with pytest.raises(ValueError, match="no feature occurs in 2 or more texts"):
        text.Vocabulary(["a", "b"], min_count=2)
    with pytest.raises(ValueError, match="no feature occurs"):
        text.Vocabulary(["!!!"])
    with pytest.raises(TypeError, match="tokenize: expected a str, got bytes"):
        text.tokenize(b"abc")  # type: ignore[arg-type]
