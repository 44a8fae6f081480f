"""The demo site as each demo role sees it: every same-site link followed (GET only, up to
200 pages a role, a few of each kind of page), and on every page nothing a person should
not read. See tests/crawl.py for the checks."""

from __future__ import annotations

from tests.crawl import crawl_all


def test_demo_site_reads_cleanly_for_every_role(app):
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output

    results = crawl_all(app, limit=200)

    assert [c.role.split(":")[0] for c in results] == [
        "anonymous",
        "admin",
        "moderator",
        "agency_staff",
        "agency_staff",
        "citizen",
    ]
    for c in results:
        # Enough of the site to mean something: lists, items, discussions, reports,
        # regulations, surveys, projects, and each role's own pages.
        assert c.pages >= 60, (c.role, c.pages, sorted(c.shapes))
        for shape in ("/proposals/N/discussion", "/proposals/N/report", "/regulations/N"):
            assert shape in c.shapes, (c.role, shape)
    by_role = {c.role.split(":")[0]: c for c in results}
    assert "/admin/audit" in by_role["admin"].shapes
    assert "/moderation/" in by_role["moderator"].shapes
    assert "/staff/" in by_role["agency_staff"].shapes
    assert "/api/vN/docs" in by_role["anonymous"].shapes

    findings = [str(f) for c in results for f in c.findings]
    assert not findings, "\n".join(findings[:50])
