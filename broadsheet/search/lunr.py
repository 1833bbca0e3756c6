"""lunr.js 2.3.9's text pipeline, ported exactly: tokenizer, trimmer, stop words, stemmer.

The index is built here and searched by lunr.js in the reader's browser, so a term must come out
of this module exactly as it comes out of lunr.js, or the browser looks for a term the index does
not hold. lunr.py 0.8.0 differs (it stems `money` to `monei`, keeps `2,485,`), hence this port.
JavaScript quirks kept on purpose: `\\s` is JavaScript's set, `\\W` is ASCII-only (the trimmer
strips `é` from `café`), an empty token survives the pipeline, and the stemmer counts UTF-16
code units. `tests/test_search_pipeline.py` checks every word of the sample archive in node.
"""

from __future__ import annotations

import re

LUNR_VERSION = "2.3.9"

# JavaScript's \s (WhiteSpace and LineTerminator), plus the hyphen: lunr.tokenizer.separator
_SEPARATOR = re.compile(
    "[\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff-]+"
)
_NON_WORD_RUN = re.compile(r"[^A-Za-z0-9_]*")

# lunr.stopWordFilter's list, in its order
# fmt: off
STOP_WORDS = frozenset((
    "a", "able", "about", "across", "after", "all", "almost", "also", "am", "among", "an",
    "and", "any", "are", "as", "at", "be", "because", "been", "but", "by", "can", "cannot",
    "could", "dear", "did", "do", "does", "either", "else", "ever", "every", "for", "from",
    "get", "got", "had", "has", "have", "he", "her", "hers", "him", "his", "how", "however",
    "i", "if", "in", "into", "is", "it", "its", "just", "least", "let", "like", "likely", "may",
    "me", "might", "most", "must", "my", "neither", "no", "nor", "not", "of", "off", "often",
    "on", "only", "or", "other", "our", "own", "rather", "said", "say", "says", "she", "should",
    "since", "so", "some", "than", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "tis", "to", "too", "twas", "us", "wants", "was", "we", "were", "what",
    "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "yet",
    "you", "your",
))
# fmt: on


def tokenize(text: str) -> list[str]:
    """lunr.tokenizer on a string: lowercase, split on whitespace and hyphens."""
    return [t for t in _SEPARATOR.split(text.lower()) if t]


def trim(token: str) -> str:
    """lunr.trimmer: strip leading and trailing non-word characters (ASCII \\w only). Matched
    from each end, not as `\\W+$` (which retries at every character of a long run of
    punctuation inside a word: quadratic)."""
    start = _NON_WORD_RUN.match(token).end()
    end = len(token) - _NON_WORD_RUN.match(token[::-1]).end()
    return token[start:end] if start < end else ""


class Pipeline:
    """Token -> term (or None for a stop word), memoised: word frequencies follow Zipf's law,
    so a few thousand distinct tokens make up most of an archive."""

    def __init__(self) -> None:
        self._terms: dict[str, str | None] = {}

    def term(self, token: str) -> str | None:
        try:
            return self._terms[token]
        except KeyError:
            trimmed = trim(token)
            term = None if trimmed in STOP_WORDS else stem(trimmed)
            self._terms[token] = term
            return term

    def terms(self, text: str) -> list[str]:
        """The terms lunr.js's builder pipeline makes of `text`, in order."""
        cache, term = self._terms, self.term
        out = []
        for token in tokenize(text):
            t = cache[token] if token in cache else term(token)
            if t is not None:
                out.append(t)
        return out


# The Porter stemmer exactly as lunr.js 2.3.9 writes it (lunr.stemmer).
_STEP2 = {
    "ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize",
    "bli": "ble", "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize",
    "ation": "ate", "ator": "ate", "alism": "al", "iveness": "ive", "fulness": "ful",
    "ousness": "ous", "aliti": "al", "iviti": "ive", "biliti": "ble", "logi": "log",
}  # fmt: skip
_STEP3 = {
    "icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "",
    "ness": "",
}  # fmt: skip
_c, _v = "[^aeiou]", "[aeiouy]"
_C, _V = _c + "[^aeiouy]*", _v + "[aeiou]*"
_MGR0 = re.compile("^(" + _C + ")?" + _V + _C)
_MEQ1 = re.compile("^(" + _C + ")?" + _V + _C + "(" + _V + ")?$")
_MGR1 = re.compile("^(" + _C + ")?" + _V + _C + _V + _C)
_S_V = re.compile("^(" + _C + ")?" + _v)
_1A, _1A2 = re.compile(r"^(.+?)(ss|i)es$"), re.compile(r"^(.+?)([^s])s$")
_1B, _1B2 = re.compile(r"^(.+?)eed$"), re.compile(r"^(.+?)(ed|ing)$")
_LAST = re.compile(r".$")
_1B_AT = re.compile(r"(at|bl|iz)$")
_1B_DOUBLE = re.compile(r"([^aeiouylsz])\1$")
_CVC = re.compile("^" + _C + _v + "[^aeiouwxy]$")
_1C = re.compile(r"^(.+?[^aeiou])y$")
_2 = re.compile("^(.+?)(" + "|".join(_STEP2) + ")$")
_3 = re.compile("^(.+?)(" + "|".join(_STEP3) + ")$")
_4 = re.compile(
    r"^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$"
)
_4B = re.compile(r"^(.+?)(s|t)(ion)$")
_5 = re.compile(r"^(.+?)e$")
_5LL = re.compile(r"ll$")


def stem(word: str) -> str:
    """lunr.stemmer. JavaScript strings are UTF-16, so a word with characters outside the BMP is
    stemmed as surrogate pairs, as the browser does."""
    if word and max(word) > "\uffff":
        wide = "".join(
            c
            if ord(c) <= 0xFFFF
            else chr(0xD800 + ((ord(c) - 0x10000) >> 10))
            + chr(0xDC00 + ((ord(c) - 0x10000) & 0x3FF))
            for c in word
        )
        out = _porter(wide)
        return out.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return _porter(word)


def _porter(w: str) -> str:
    if len(w) < 3:
        return w
    firstch = w[0]
    if firstch == "y":
        w = "Y" + w[1:]

    if (m := _1A.match(w)) or (m := _1A2.match(w)):
        w = m[1] + m[2]

    if m := _1B.match(w):
        if _MGR0.match(m[1]):
            w = w[:-1]
    elif m := _1B2.match(w):
        stem_ = m[1]
        if _S_V.match(stem_):
            w = stem_
            if _1B_AT.search(w):
                w += "e"
            elif _1B_DOUBLE.search(w):
                w = w[:-1]
            elif _CVC.match(w):
                w += "e"

    if m := _1C.match(w):
        w = m[1] + "i"

    if (m := _2.match(w)) and _MGR0.match(m[1]):
        w = m[1] + _STEP2[m[2]]

    if (m := _3.match(w)) and _MGR0.match(m[1]):
        w = m[1] + _STEP3[m[2]]

    if m := _4.match(w):
        if _MGR1.match(m[1]):
            w = m[1]
    elif (m := _4B.match(w)) and _MGR1.match(m[1] + m[2]):
        w = m[1] + m[2]

    if m := _5.match(w):
        s = m[1]
        if _MGR1.match(s) or (_MEQ1.match(s) and not _CVC.match(s)):
            w = s

    if _5LL.search(w) and _MGR1.match(w):
        w = w[:-1]

    if firstch == "y":
        w = "y" + w[1:]
    return w
