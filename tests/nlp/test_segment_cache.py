"""The segmenter's prefix dictionary read back from its pickle is jieba's own, entry for
entry, and jieba is imported without pkg_resources (issue 15: the analysis command's
start)."""

from __future__ import annotations

import subprocess
import sys

from nlp import segment


def test_the_pickled_prefix_dictionary_is_jiebas():
    tok = segment.tokenizer()
    path = segment._merged_dictionary()
    segment._save_prefix_dict(tok, path)
    fresh = segment._import_jieba().Tokenizer(dictionary=str(path))
    assert segment._load_prefix_dict(fresh, path)
    assert fresh.total == tok.total and fresh.FREQ == tok.FREQ
    text = "計程車與 UberX 應該遵守相同規範"
    assert list(fresh.cut(text, HMM=True)) == list(tok.cut(text, HMM=True))


def test_jieba_loads_without_pkg_resources():
    code = (
        "import sys; from nlp import segment; segment.tokenizer(); "
        "print('pkg_resources' in sys.modules, segment.tokens('遵守相同規範'))"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=segment.Path(segment.__file__).parent.parent,
    ).stdout
    assert out.startswith("False ['遵守', '相同', '規範']"), out


def test_a_pickle_others_may_write_is_not_loaded():
    """Unpickling runs code: a cache file group or others could have replaced is ignored
    (the dictionary then comes from jieba's own cache)."""
    tok = segment.tokenizer()
    path = segment._merged_dictionary()
    segment._save_prefix_dict(tok, path)
    cached = segment._prefix_pickle(path)
    assert cached.stat().st_mode & 0o777 == 0o600
    fresh = segment._import_jieba().Tokenizer(dictionary=str(path))
    cached.chmod(0o666)
    try:
        assert not segment._load_prefix_dict(fresh, path)
        assert not fresh.initialized
    finally:
        cached.chmod(0o600)
    assert segment._load_prefix_dict(fresh, path) and fresh.FREQ == tok.FREQ
