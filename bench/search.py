"""Search benchmark: 100,000 statements indexed, then query latency.

    .venv/bin/python -m bench.search                       # SQLite in a temp folder
    .venv/bin/python -m bench.search --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.search --statements 20000 --queries 300

With a PostgreSQL URL a throwaway database is created next to the one named and dropped at
the end. Prints the index build time (jieba segmentation + FTS5 / GIN) and p50/p95/max query
times over a mix of common, rare, multi-word, Simplified and variant-character queries.
Wall time is what a user waits; "this process's CPU" excludes time lost to other processes on
a busy machine (on SQLite it includes the database's work, on PostgreSQL it does not).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import tempfile
import time

SUBJECTS = [
    "臺北市",
    "台中",
    "高雄",
    "偏鄉",
    "校園",
    "長照",
    "社區",
    "捷運",
    "公車",
    "機車待轉區",
    "自行車道",
    "人行道",
    "垃圾分類",
    "空氣品質",
    "再生能源",
    "電動機車",
    "托育",
    "健保",
    "勞工",
    "房租",
    "社會住宅",
    "食品安全",
    "營養午餐",
    "動物保護",
    "數位身分證",
    "AI 客服",
    "開放資料",
    "災害防救",
    "水資源",
    "農業",
    "觀光",
    "原住民族",
    "新住民",
    "高齡者",
    "青年",
]
VERBS = [
    "應該",
    "需要",
    "建議",
    "希望政府",
    "必須",
    "可以考慮",
    "不應該",
    "請優先",
    "要盡快",
]
OBJECTS = [
    "增加預算",
    "檢討法規",
    "公開資訊",
    "加強稽查",
    "提供補助",
    "改善設計",
    "擴大服務據點",
    "減少等待時間",
    "提高透明度",
    "設置專責窗口",
    "舉辦公聽會",
    "建立評估指標",
    "延長開放時間",
    "降低收費",
    "保障隱私",
    "簡化申請流程",
    "增設無障礙設施",
    "提升人力",
    "落實監督",
]
TAILS = ["。", "，讓大家更安心。", "，才能解決問題。", "，否則會越來越嚴重。", "！", "，謝謝。"]
QUERIES = [
    "長照",
    "长照",
    "臺北",
    "台北",
    "捷運",
    "機車待轉區",
    "自行車道 改善",
    "社會住宅 房租",
    "AI",
    "ＡＩ 客服",
    "营养午餐",
    "空氣品質 稽查",
    "開放資料 透明度",
    "原住民族",
    "托育 補助",
    "災害防救 預算",
    "無障礙設施",
    "数字身份证",
    "簡化申請流程",
    "新住民 服務據點",
]


def sentence(rng: random.Random) -> str:
    parts = [rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS)]
    if rng.random() < 0.5:
        parts += ["，並且", rng.choice(SUBJECTS), rng.choice(OBJECTS)]
    return "".join(parts) + rng.choice(TAILS) + f"（第{rng.randint(1, 999)}號意見）"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=None)
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-search-")
    os.environ.setdefault("PARTICIPATE_INSTANCE_PATH", tmp)
    os.environ.setdefault("PARTICIPATE_HUEY_IMMEDIATE", "1")
    url = args.url or f"sqlite:///{tmp}/bench.db"
    drop = None
    if url.startswith("postgresql"):
        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(url)
        name = f"bench_search_{secrets.token_hex(4)}"
        conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = admin.set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    try:
        run(url, args.statements, args.queries)
    finally:
        if drop:
            drop()


def run(url: str, n: int, n_queries: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from participate import create_app
    from participate import search as engine
    from participate.extensions import db
    from participate.models import Discussion, Proposal, ProposalStatus, Statement
    from participate.timeutil import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" * 8})
    rng = random.Random(42)
    with app.app_context():
        upgrade(revision="head")
        dialect = db.engine.dialect.name
        proposals = []
        for i in range(50):
            p = Proposal(
                title=f"{SUBJECTS[i % len(SUBJECTS)]}政策討論 {i}", status=ProposalStatus.ENDORSING
            )
            db.session.add(p)
            proposals.append(p)
        db.session.flush()
        discussions = [Discussion(proposal_id=p.id) for p in proposals]
        db.session.add_all(discussions)
        db.session.commit()
        now = utcnow()
        started = time.perf_counter()
        batch = []
        for i in range(n):
            batch.append(
                {
                    "discussion_id": discussions[i % len(discussions)].id,
                    "text": sentence(rng),
                    "created_at": now,
                    "is_seed": False,
                    "status": "visible",
                    "agree_count": 0,
                    "disagree_count": 0,
                    "pass_count": 0,
                    "reply_count": 0,
                }
            )
            if len(batch) == 5000:
                db.session.execute(insert(Statement.__table__), batch)
                batch = []
        if batch:
            db.session.execute(insert(Statement.__table__), batch)
        db.session.commit()
        print(f"[{dialect}] inserted {n} statements in {time.perf_counter() - started:.1f} s")

        engine.index_tokens("暖身")  # load jieba once, outside the timing
        started = time.perf_counter()
        docs = engine.rebuild()
        if dialect == "postgresql":
            db.session.execute(db.text("ANALYZE search_document"))
            db.session.commit()
        build = time.perf_counter() - started
        print(
            f"[{dialect}] index build: {docs} documents in {build:.1f} s "
            f"({docs / build:,.0f} docs/s)"
        )

        for q in QUERIES:  # warm caches (OpenCC, jieba, database pages)
            engine.search(q)
        times = []
        cpu = []
        totals = {}
        for i in range(n_queries):
            q = QUERIES[i % len(QUERIES)]
            t0, c0 = time.perf_counter(), time.process_time()
            page = engine.search(q, page=1 + (i % 3 == 0))
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            totals[q] = page.total
        for label, values in (("wall", times), ("this process's CPU", cpu)):
            values.sort()
            p50 = statistics.median(values)
            p95 = values[int(len(values) * 0.95) - 1]
            print(
                f"[{dialect}] {n_queries} queries, {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
                f"max {values[-1]:.1f} ms (target p95 < 50 ms)"
            )
        print(f"[{dialect}] load average during the run: {os.getloadavg()[0]:.1f} (2 cores)")
        for q in QUERIES[:8]:
            print(f"    {q!r}: {totals[q]} hits")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
