"""Command line: ``python -m nlp analyze DIR`` and ``python -m nlp bench``."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace

__all__ = ["main"]


def _fdr(value: str) -> float | None:
    return None if value.lower() in {"none", "polis", "off"} else float(value)


def _encoding(value: str) -> str:
    from nlp.polis_io import check_encoding  # noqa: PLC0415

    try:
        return check_encoding(value)
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding: {value}") from None


def _segment_comments(args: argparse.Namespace) -> None:
    from pathlib import Path  # noqa: PLC0415

    from nlp.analysis import segment_ahead  # noqa: PLC0415
    from nlp.polis_io import PolisFormatError, read_comments  # noqa: PLC0415

    try:
        _, comments = read_comments(Path(args.dir), args.encoding)
    except PolisFormatError:
        return  # load_export meets and reports the same error
    segment_ahead(c.text for c in comments)


def cmd_analyze(args: argparse.Namespace) -> int:
    t_import = time.perf_counter()
    import scipy.sparse.linalg  # noqa: F401, PLC0415  (module imports are not analysis time)

    from nlp.analysis import analyze  # noqa: PLC0415
    from nlp.polis_io import PolisFormatError, load_export  # noqa: PLC0415
    from nlp.segment import tokenizer  # noqa: PLC0415

    tokenizer()  # the segmenter's one-off start (dictionary cache) is not analysis time
    import_s = time.perf_counter() - t_import
    t0 = time.perf_counter()
    # The statements are segmented while the votes load (see nlp.analysis.segment_ahead).
    ahead = threading.Thread(target=_segment_comments, args=(args,), daemon=True)
    ahead.start()
    try:
        ex = load_export(args.dir, encoding=args.encoding)
    except PolisFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        ahead.join()
    load_s = time.perf_counter() - t0
    result = analyze(
        ex.participants,
        ex.statements,
        ex.values,
        statement_texts=ex.texts,
        moderated_out=ex.moderated_out,
        seed=args.seed,
        max_groups=args.max_groups,
        fdr=args.fdr,
        clustering=args.clustering,
        resamples=args.resamples,
    )
    result = replace(result, timings={"import_s": import_s, "load_s": load_s, **result.timings})
    out = result.to_json_dict(include_timings=not args.no_timings)
    # dumps, not dump: json.dump streams through the pure-Python encoder (0.4 s on 33,000
    # participants' membership lists); dumps without indent takes the C one.
    sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=args.indent))
    sys.stdout.write("\n")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from nlp.bench import run  # noqa: PLC0415

    return run(quick=args.quick, shapes=args.shape, red_dwarf=args.red_dwarf, repeat=args.repeat)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the sub-command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m nlp", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    pa = sub.add_parser("analyze", help="analyse a Pol.is export folder, print JSON")
    pa.add_argument("dir")
    pa.add_argument(
        "--encoding",
        type=_encoding,
        default="utf-8",
        help="encoding of the CSV files (default utf-8; big5, cp950...); a BOM wins",
    )
    pa.add_argument("--seed", type=int, default=0)
    pa.add_argument("--max-groups", type=int, default=5, help="upper bound for k (2..9)")
    pa.add_argument(
        "--fdr",
        type=_fdr,
        default=0.1,
        help="Benjamini-Hochberg level for representative statements, or 'polis' for z>1.2816",
    )
    pa.add_argument("--clustering", choices=["polis", "base", "refined", "direct"], default="polis")
    pa.add_argument(
        "--resamples",
        type=int,
        default=None,
        help="bootstrap resamples for the stability figures (default by size; 0: none)",
    )
    pa.add_argument("--indent", type=int, default=None)
    pa.add_argument("--no-timings", action="store_true", help="omit timings (byte-stable)")
    pa.set_defaults(func=cmd_analyze)
    pb = sub.add_parser("bench", help="synthetic planted-group benchmark")
    pb.add_argument("--quick", action="store_true", help="small shapes only")
    pb.add_argument("--shape", action="append", help="PxSxV, e.g. 33000x783x2000000")
    pb.add_argument(
        "--red-dwarf",
        metavar="PYTHON",
        help="a Python with red-dwarf==0.4.0 installed (separate venv) to compare against",
    )
    pb.add_argument("--repeat", type=int, default=1, help="best of N runs")
    pb.set_defaults(func=cmd_bench)
    args = parser.parse_args(argv)
    return int(args.func(args))
