"""Who took part, on the opinion report: the voters against the population, weighted agree
shares beside the unweighted ones, and the groups' sizes weighted (the groups themselves
unchanged)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from participate.extensions import db
from participate.models import ParticipantProfile
from participate.participants import population as pop
from participate.participants.weighting import Respondent, representation, weigh
from tests.reports_fixtures import CAMP_A, make_camps

YOUNG = ("18-29", "30-39")
OLD = ("50-59", "60-69", "70+")
COUNTIES = ("TPE", "NWT", "TXG", "KHH", "HUA", "TNN")


def _profiles(app, camps):
    """Camp A is young, camp B old; sexes alternate and counties cycle in both."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i, uid in enumerate(camps.user_ids):
        bands = YOUNG if uid in camps.camp_a else OLD
        rows.append(
            {
                "user_id": uid,
                "age_band": bands[i % len(bands)],
                "sex": pop.SEXES[i % 2],
                "county": COUNTIES[i % len(COUNTIES)],
                "indigenous": False,
                "hakka": False,
                "new_immigrant": False,
                "consented_at": now,
                "updated_at": now,
            }
        )
    with app.app_context():
        db.session.execute(insert(ParticipantProfile), rows)
        db.session.commit()


def _analyse(app, discussion_id):
    from participate.reports import scheduler

    with app.test_request_context():
        out = scheduler.run_analysis(discussion_id, "staff", requeue=False)
        db.session.remove()
    assert out.status == "succeeded", out


def test_report_shows_who_took_part_and_weighted_shares(app, client):
    camps = make_camps(app, people=60)
    _profiles(app, camps)
    _analyse(app, camps.discussion_id)
    with app.test_request_context():
        from participate.reports import present, queries
        from participate.reports.representation import build

        analysis = queries.latest_succeeded(camps.discussion_id)
        report = present.build(
            present.cached_result(analysis), queries.visible_texts(camps.discussion_id), "zh"
        )
        rw = build(camps.discussion_id, report)
        assert rw.weighted and rw.rep.weighting.n == 60
        assert 0 < rw.rep.weighting.effective_n < 60
        # Camp A (young) is over-represented: its statements' agree share falls when weighted.
        a_statement = camps.statement_ids[CAMP_A[0]]
        plain = report.statements[a_statement].all.share("agree")
        assert rw.agree[a_statement].value < plain
        # The groups are the analysis's; only their sizes are weighted: the old camp's grows.
        sizes = {g.id: g.share for g in report.groups}
        old_group = next(
            g.id for g in report.groups if set(camps.camp_b) & set(_members(report, g.id))
        )
        assert rw.group_share[old_group] > sizes[old_group]
    html = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert "誰參與了" in html and "加權同意比例" in html
    assert 'class="rep-chart"' in html and 'role="img"' in html
    assert "有效樣本數" in html


def _members(report, gid):
    for g in report.result.get("groups") or []:
        if int(g["id"]) == gid:
            return g.get("members") or []
    return []


def test_report_without_profiles_says_it_is_not_weighted(app, client):
    camps = make_camps(app, people=24)
    _analyse(app, camps.discussion_id)
    html = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert "誰參與了" in html and "未加權" in html
    assert "加權同意比例" not in html


def test_representation_hides_small_counts(app):
    people = {i: Respondent("18-29", "female", "TPE") for i in range(7)}
    people[7] = Respondent("70+", "male", "LIE")
    with app.test_request_context():
        rep = representation(people)
    ages = {row.code: row.count for row in rep.parts[0].rows}
    # The single 70+ is hidden, and so is every other small (or empty) category: with
    # several hidden cells the total of 8 does not tell which of them holds the one person.
    assert ages["70+"] is None and ages["u18"] is None
    assert ages["18-29"] == 7
    counties = {row.code: row.count for row in rep.parts[3].rows}
    assert counties["LIE"] is None
    for part in rep.parts:
        assert all(row.count is None or row.count >= 5 for row in part.rows)


def test_weighting_needs_enough_people_and_names_empty_categories(app):
    few = {i: Respondent("18-29", "female", "TPE") for i in range(10)}
    with app.test_request_context():
        assert weigh(few).reason == "too_few"
        many = {
            i: Respondent(pop.AGE_BANDS[i % 5], pop.SEXES[i % 2], COUNTIES[i % 4])
            for i in range(80)
        }
        w = weigh(many)
    assert w.available and w.n == 80
    # Nobody aged 70+ and nobody from Kinmen or Matsu: those targets are named, not hit.
    assert any("70" in m for m in w.missing)
    assert abs(sum(w.weights.values()) - 80) < 1e-6
    assert max(w.weights.values()) <= 5.0 + 1e-9
