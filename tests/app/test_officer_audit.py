"""Audit log (/officer-audit) through AppTest: the entries by kind, and verification that
holds on an untouched database and names a ballot row edited behind the app's back."""

from __future__ import annotations

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from budgeting.ui import auth
from tests.app.test_officer_page import DEMO_MODE, sign_in


def audit_page(open_page):
    return sign_in(
        open_page("pages/officer_audit.py", secrets=DEMO_MODE),
        auth.DEMO_OFFICER,
        auth.DEMO_PASSWORD,
    )


def test_the_log_is_listed_by_kind_newest_first(open_page, conn):
    app = audit_page(open_page)
    assert not app.exception
    table = app.dataframe[0].value
    newest = store.audit_log(conn, newest=1)[0]
    assert table.iloc[0]["No."] == newest.seq
    assert list(table["No."]) == sorted(table["No."], reverse=True)
    app.selectbox(key="audit_kind").set_value("round_created").run()
    table = app.dataframe[0].value
    assert set(table["Kind"]) == {"round_created"}
    assert len(table) == store.audit_kinds(conn)["round_created"]


def test_verification_holds_then_names_an_edited_ballot(open_page, conn):
    app = audit_page(open_page)
    app.button(key="verify_audit").click().run()
    head = store.audit_head(conn)
    assert any(f"{head}" in s.value and "holds" in s.value for s in app.success)

    cursor = conn.cursor()
    ballot_id = cursor.execute(
        "SELECT min(id) FROM ballots WHERE round_id = ?", [DEMO_ROUND_ID]
    ).fetchall()[0][0]
    cursor.execute(
        "UPDATE ballot_allocations SET amount_minor = amount_minor + 100 WHERE ballot_id = ?"
        " AND service_id = 'parks'",
        [ballot_id],
    )
    cursor.close()
    app.button(key="verify_audit").click().run()
    assert not app.success
    problems = "\n".join(e.value for e in app.error)
    assert "does not hold" in problems
    assert f"ballot {ballot_id}" in problems
