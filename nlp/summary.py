"""Traceable summary for agencies, in Traditional Chinese and English.

Templates over computed facts only: every sentence lists the statement ids it rests on, and
every share it quotes is the raw share of latest votes (agree / seen, where seen counts agree,
disagree and pass), recomputed here from the result's counts so that a reader can check it
against ``statement_counts``. Nothing is claimed that these numbers do not show.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from nlp.results import AnalysisResult, Counts, Sentence

__all__ = ["summarize", "share", "DIVIDE_GAP"]

_VERDICT_ZH = {"solid": "穩固", "fragile": "不穩"}

DIVIDE_GAP = 0.25  # two groups' agree shares this far apart count as a split


def share(part: int, seen: int) -> float:
    """Raw share part/seen (0 when nobody saw it)."""
    return part / seen if seen else 0.0


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _quote(text: str, limit: int = 100) -> str:
    """The statement text, cut to ``limit`` display columns (CJK characters count 2)."""
    t = " ".join(text.split())
    width = 0
    for i, ch in enumerate(t):
        width += 2 if ord(ch) >= 0x2E80 else 1
        if width > limit:
            return t[:i].rstrip() + "…"
    return t


def _rest(group_counts: Mapping[int, Counts], gid: int) -> tuple[int, int, int]:
    a = d = s = 0
    for g, c in group_counts.items():
        if g != gid:
            a, d, s = a + c.agree, d + c.disagree, s + c.seen
    return a, d, s


def summarize(result: AnalysisResult, texts: Mapping[Hashable, str]) -> dict[str, list[Sentence]]:
    """Build ``{"zh-Hant": [Sentence], "en": [Sentence]}`` from an analysis result."""
    zh: list[Sentence] = []
    en: list[Sentence] = []

    def add(z: str, e: str, ids: list[Any]) -> None:
        zh.append(Sentence(z, list(ids)))
        en.append(Sentence(e, list(ids)))

    r = result
    sizes = "、".join(f"第 {g.id + 1} 群 {g.size} 人" for g in r.groups)
    sizes_en = ", ".join(f"group {g.id + 1}: {g.size}" for g in r.groups)
    if r.k >= 2:
        z = (
            f"共有 {r.participants} 人對 {r.statements} 則意見投下 {r.votes} 票；"
            f"其中 {r.clustered} 人投票夠多而納入分群，分成 {r.k} 群（{sizes}）。"
        )
        e = (
            f"{r.participants} people cast {r.votes} votes on {r.statements} statements; "
            f"{r.clustered} voted enough to be grouped, into {r.k} opinion groups ({sizes_en})."
        )
    else:
        z = (
            f"共有 {r.participants} 人對 {r.statements} 則意見投下 {r.votes} 票，"
            "目前無法分出意見群。"
        )
        e = (
            f"{r.participants} people cast {r.votes} votes on {r.statements} statements; "
            "no distinct opinion groups can be told apart yet."
        )
    add(z, e, [])

    # How divided: statements whose raw agree shares differ by DIVIDE_GAP between two groups.
    if r.k >= 2:
        split_ids, judged = [], 0
        for sid, per_group in r.group_counts.items():
            seen_ok = [c for c in per_group.values() if c.seen >= 2]
            if len(seen_ok) < 2 or len(seen_ok) < len(per_group):
                continue
            judged += 1
            shares = [share(c.agree, c.seen) for c in seen_ok]
            if max(shares) - min(shares) >= DIVIDE_GAP:
                split_ids.append(sid)
        frac = share(len(split_ids), judged)
        level_zh = "分歧明顯" if frac >= 0.5 else ("有部分分歧" if frac >= 0.2 else "分歧不大")
        level_en = (
            "clearly divided"
            if frac >= 0.5
            else ("partly divided" if frac >= 0.2 else "not very divided")
        )
        add(
            f"討論{level_zh}：在各群都有人投票的 {judged} 則意見中，有 {len(split_ids)} 則"
            f"（{_pct(frac)}）各群的同意比例相差 {_pct(DIVIDE_GAP)} 以上。",
            f"The discussion is {level_en}: on {len(split_ids)} of the {judged} statements "
            f"that every group voted on ({_pct(frac)}), the groups' agree shares differ by "
            f"{_pct(DIVIDE_GAP)} or more.",
            split_ids,
        )

    # What everyone agrees (and disagrees) on.
    for items, zverb, everb, attr in (
        (r.consensus_agree, "同意", "agree", "agree"),
        (r.consensus_disagree, "反對", "disagree", "disagree"),
    ):
        if not items:
            continue
        top = items[:3]
        parts_zh, parts_en = [], []
        for s in top:
            c = r.counts[s.statement]
            sh = share(getattr(c, attr), c.seen)
            txt = _quote(texts.get(s.statement, str(s.statement)))
            per = r.group_counts.get(s.statement, {})
            low = min((share(getattr(gc, attr), gc.seen) for gc in per.values()), default=None)
            g_zh = f"，每群至少 {_pct(low)}" if low is not None and r.k >= 2 else ""
            g_en = f", at least {_pct(low)} in every group" if low is not None and r.k >= 2 else ""
            parts_zh.append(f"「{txt}」（#{s.statement}，{c.seen} 人中 {_pct(sh)} {zverb}{g_zh}）")
            parts_en.append(f'"{txt}" (#{s.statement}: {_pct(sh)} of {c.seen} {everb}{g_en})')
        scope_zh = "各群多數都" if r.k >= 1 else "多數人"
        scope_en = "Most people in every group" if r.k >= 1 else "Most people"
        add(
            f"{scope_zh}{zverb}：" + "；".join(parts_zh) + "。",
            f"{scope_en} {everb}: " + "; ".join(parts_en) + ".",
            [s.statement for s in top],
        )

    # What each group stands for.
    if r.k >= 2:
        for g in r.groups:
            reps = [x for x in g.representative if x.statement in texts][:2]
            if not reps:
                continue
            parts_zh, parts_en = [], []
            for x in reps:
                gc = r.group_counts[x.statement][g.id]
                ra, rd, rs = _rest(r.group_counts[x.statement], g.id)
                if x.direction == "agree":
                    mine, other = share(gc.agree, gc.seen), share(ra, rs)
                    vz, ve = "同意", "agree"
                else:
                    mine, other = share(gc.disagree, gc.seen), share(rd, rs)
                    vz, ve = "反對", "disagree"
                txt = _quote(texts[x.statement])
                parts_zh.append(
                    f"較其他人更{vz}「{txt}」"
                    f"（#{x.statement}：本群 {_pct(mine)}，其他人 {_pct(other)}）"
                )
                parts_en.append(
                    f'{ve} more than others with "{txt}" '
                    f"(#{x.statement}: {_pct(mine)} in the group, {_pct(other)} of others)"
                )
            kw_zh = f"，關鍵詞：{'、'.join(g.keywords[:5])}" if g.keywords else ""
            kw_en = f"; keywords: {', '.join(g.keywords[:5])}" if g.keywords else ""
            weak_zh = "" if reps[0].significant else "（統計上不顯著，僅供參考）"
            weak_en = "" if reps[0].significant else " (not statistically significant)"
            add(
                f"第 {g.id + 1} 群（{g.size} 人{kw_zh}）" + "；".join(parts_zh) + f"{weak_zh}。",
                f"Group {g.id + 1} ({g.size} people{kw_en}) tends to "
                + "; ".join(parts_en)
                + f"{weak_en}.",
                [x.statement for x in reps],
            )

    # Where they split most.
    for s in r.divisive[:2]:
        per = r.group_counts[s.statement]
        lo = min(per, key=lambda g: (share(per[g].agree, per[g].seen), g))
        hi = max(per, key=lambda g: (share(per[g].agree, per[g].seen), -g))
        sh_hi, sh_lo = share(per[hi].agree, per[hi].seen), share(per[lo].agree, per[lo].seen)
        if sh_hi - sh_lo < DIVIDE_GAP:
            continue
        txt = _quote(texts.get(s.statement, str(s.statement)))
        add(
            f"分歧最大的意見之一是「{txt}」（#{s.statement}）：第 {hi + 1} 群 {_pct(sh_hi)} 同意，"
            f"第 {lo + 1} 群只有 {_pct(sh_lo)} 同意。",
            f'One of the most divisive statements is "{txt}" (#{s.statement}): '
            f"{_pct(sh_hi)} of group {hi + 1} agree, only {_pct(sh_lo)} of group {lo + 1}.",
            [s.statement],
        )

    _reliability(r, add)

    # Where people are unsure.
    if r.uncertain:
        s = r.uncertain[0]
        c = r.counts[s.statement]
        txt = _quote(texts.get(s.statement, str(s.statement)))
        add(
            f"許多人對「{txt}」（#{s.statement}）選擇略過："
            f"{c.seen} 人中 {_pct(share(c.passes, c.seen))}。",
            f'Many people passed on "{txt}" (#{s.statement}): '
            f"{_pct(share(c.passes, c.seen))} of {c.seen}.",
            [s.statement],
        )
    return {"zh-Hant": zh, "en": en}


def _reliability(r: AnalysisResult, add: Any) -> None:
    """One plain sentence on what held up under resampling and what did not.

    Groups: bootstrap over participants (:mod:`nlp.stability`). Findings quoted above
    (consensus, what each group stands for, the splits): "solid" when their 95 % intervals
    keep the claim (and their group is solid), "fragile" otherwise.
    """
    stab = r.stability
    if stab is None or r.k < 2:
        return
    per_zh = "，".join(
        f"第 {g.id + 1} 群成員平均 {_pct(g.stability.together)} 留在同群"
        f"（{_VERDICT_ZH[g.stability.verdict]}）"
        for g in r.groups
        if g.stability is not None
    )
    per_en = ", ".join(
        f"group {g.id + 1} keeps {_pct(g.stability.together)} of its members "
        f"({g.stability.verdict})"
        for g in r.groups
        if g.stability is not None
    )
    quoted: list[tuple[Any, str]] = []
    for item in r.consensus_agree[:3] + r.consensus_disagree[:3]:
        quoted.append((item.statement, item.verdict))
    for g in r.groups:
        for x in g.representative[:2]:
            quoted.append((x.statement, x.verdict))
    for item in r.divisive[:2]:
        quoted.append((item.statement, item.verdict))
    seen: set[Any] = set()
    solid, fragile = [], []
    for sid, verdict in quoted:
        if sid in seen or not verdict:
            continue
        seen.add(sid)
        (solid if verdict == "solid" else fragile).append(sid)
    ids_zh = (f"穩固的發現：{'、'.join(f'#{x}' for x in solid)}" if solid else "沒有穩固的發現") + (
        f"；不穩的發現（差距在 95% 信賴區間內、票數太少或所屬群不穩，僅供參考）："
        f"{'、'.join(f'#{x}' for x in fragile)}"
        if fragile
        else ""
    )
    ids_en = (
        f"solid findings: {', '.join(f'#{x}' for x in solid)}" if solid else "no solid findings"
    ) + (
        "; fragile (the difference is within the 95% intervals, too few votes, or the "
        f"group is unstable; treat with care): {', '.join(f'#{x}' for x in fragile)}"
        if fragile
        else ""
    )
    add(
        f"可信度（重抽樣參與者 {stab.resamples} 次檢驗）：分成 {r.k} 群的結果"
        f"{_VERDICT_ZH[stab.verdict]}，{_pct(stab.k_share)} 的重抽樣得到同樣群數；"
        f"{per_zh}。{ids_zh}。",
        f"Reliability ({stab.resamples} resamples of the participants): the split into "
        f"{r.k} groups is {stab.verdict}, {_pct(stab.k_share)} of resamples give the same "
        f"number of groups; {per_en}. The {ids_en}.",
        solid + fragile,
    )
