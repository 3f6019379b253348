"""Lyndon words and the Lyndon bracket basis, for the torch backend's log-signature.

The tensor logarithm's coefficients on Lyndon words determine the log-signature; the
Lyndon *basis* coordinates (what iisignature, signatory's ``brackets`` mode and pysiglib's
method 2 return) follow by a unitriangular change of basis computed here once.
"""

from __future__ import annotations

from functools import cache

import numpy as np

Word = tuple[int, ...]


def lyndon_words(alphabet: int, depth: int) -> list[Word]:
    """Lyndon words up to length ``depth``, by length then lexicographically (Duval)."""
    words: list[Word] = []
    word = [-1]
    while word:
        word[-1] += 1
        words.append(tuple(word))
        size = len(word)
        while len(word) < depth:
            word.append(word[len(word) - size])
        while word and word[-1] == alphabet - 1:
            word.pop()
    return sorted(words, key=lambda w: (len(w), w))


def _standard_factorization(word: Word, lyndon: set[Word]) -> tuple[Word, Word]:
    for split in range(1, len(word)):
        if word[split:] in lyndon:
            return word[:split], word[split:]
    raise ValueError(f"{word} is not a Lyndon word")


def _bracket(word: Word, lyndon: set[Word], memo: dict[Word, dict[Word, int]]) -> dict[Word, int]:
    """The Lyndon bracket of ``word`` expanded as a polynomial in words."""
    if word in memo:
        return memo[word]
    if len(word) == 1:
        memo[word] = {word: 1}
        return memo[word]
    left, right = _standard_factorization(word, lyndon)
    expansion: dict[Word, int] = {}
    for a, ca in _bracket(left, lyndon, memo).items():
        for b, cb in _bracket(right, lyndon, memo).items():
            expansion[a + b] = expansion.get(a + b, 0) + ca * cb
            expansion[b + a] = expansion.get(b + a, 0) - ca * cb
    memo[word] = {w: c for w, c in expansion.items() if c}
    return memo[word]


def word_index(word: Word, alphabet: int) -> int:
    """Position of ``word`` in a flattened signature without the leading 1."""
    offset = sum(alphabet**level for level in range(1, len(word)))
    position = 0
    for letter in word:
        position = position * alphabet + letter
    return offset + position


@cache
def lyndon_projection(alphabet: int, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the Lyndon words in a flat signature, and the matrix that maps their
    tensor-log coefficients to Lyndon-basis coordinates (``coordinates = words @ matrix``)."""
    words = lyndon_words(alphabet, depth)
    lyndon = set(words)
    memo: dict[Word, dict[Word, int]] = {}
    position = {w: i for i, w in enumerate(words)}
    expansion = np.zeros((len(words), len(words)))
    for row, word in enumerate(words):
        for other, coefficient in _bracket(word, lyndon, memo).items():
            if other in position:
                expansion[row, position[other]] = coefficient
    indices = np.array([word_index(w, alphabet) for w in words])
    return indices, np.linalg.inv(expansion)
