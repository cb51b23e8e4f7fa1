"""The resident ballot (/vote) driven through AppTest against a real store."""

from __future__ import annotations

from fractions import Fraction

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from tests.app.conftest import draft_round

ROUND = {"round": DEMO_ROUND_ID}
CODE = "DEMO-0007"


def texts(app, kind: str) -> list[str]:
    return [element.value for element in getattr(app, kind)]


def markdown_text(app) -> str:
    return "\n".join(texts(app, "markdown"))


def enter_code(open_page, code: str = CODE, **query: str):
    app = open_page("pages/vote.py", **{**ROUND, **query})
    app.text_input(key="voter_code").input(code)
    return app.run()


def test_ballot_is_shown_only_after_a_known_voter_code(open_page):
    app = open_page("pages/vote.py", **ROUND)
    assert not app.exception
    assert not app.slider
    assert not [b for b in app.button if b.key == "submit_ballot"]

    app.text_input(key="voter_code").input("NOT-A-CODE").run()
    assert not app.slider
    assert any("do not recognise this voter code" in text for text in texts(app, "error"))


def test_every_service_has_a_slider_and_the_start_is_balanced(open_page, conn):
    app = enter_code(open_page)
    services = store.list_services(conn, DEMO_ROUND_ID)
    assert [s.key for s in app.slider] == [f"alloc_{s.id}" for s in services]
    budget = store.get_round(conn, DEMO_ROUND_ID).service_budget
    assert sum(s.value for s in app.slider) == budget
    for service, slider in zip(services, app.slider, strict=True):
        assert service.floor <= slider.value <= service.ceiling
        assert slider.min == service.floor and slider.max == service.ceiling
    assert "Balanced" in markdown_text(app)


def test_slider_and_number_input_stay_in_step(open_page):
    app = enter_code(open_page)
    app.slider(key="alloc_parks").set_value(250_000).run()
    assert app.number_input(key="amount_parks").value == 250_000
    app.number_input(key="amount_parks").set_value(130_000).run()
    assert app.slider(key="alloc_parks").value == 130_000


def test_remaining_money_is_live_and_the_balance_helper_fixes_it(open_page):
    app = enter_code(open_page)
    before = app.slider(key="alloc_parks").value
    app.slider(key="alloc_parks").set_value(before + 40_000).run()
    assert "£40,000 over budget" in markdown_text(app)
    app.slider(key="alloc_parks").set_value(before - 30_000).run()
    assert "£30,000 left to allocate" in markdown_text(app)

    app.button(key="balance_allocation").click().run()
    assert "Balanced" in markdown_text(app)
    assert sum(s.value for s in app.slider) == 1_200_000


def test_invalid_ballot_is_refused_with_each_problem_in_words(open_page, conn):
    app = enter_code(open_page)
    app.slider(key="alloc_parks").set_value(app.slider(key="alloc_parks").value + 50_000)
    for project in store.list_projects(conn, DEMO_ROUND_ID)[:6]:  # the round allows 5
        app.checkbox(key=f"project_{project.id}").check()
    app.run()
    app.button(key="submit_ballot").click().run()

    errors = texts(app, "error")
    assert any("not sent" in error for error in errors)
    assert len(errors) >= 3  # the total, the number of projects, and the summary
    assert not [c for c in app.container if getattr(c, "key", None) == "receipt"]
    assert store.latest_ballot(conn, DEMO_ROUND_ID, CODE) is None

    app.button(key="balance_allocation").click().run()
    app.checkbox(key="project_P06").uncheck().run()
    assert not texts(app, "error")  # fixed problems disappear at once


def submit_valid_ballot(app, project_ids: list[str]):
    for project_id in project_ids:
        app.checkbox(key=f"project_{project_id}").check()
    app.run()
    return app.button(key="submit_ballot").click().run()


def shown_receipt(app) -> str:
    lines = [text for text in texts(app, "markdown") if "receipt code" in text]
    assert lines, "no receipt shown"
    return lines[0].split("`")[1]


def test_valid_ballot_is_stored_and_its_receipt_shown(open_page, conn):
    count_before = store.ballot_count(conn, DEMO_ROUND_ID)
    app = enter_code(open_page)
    app.slider(key="alloc_parks").set_value(200_000).run()
    app.button(key="balance_allocation").click().run()
    allocation = {s.key.removeprefix("alloc_"): s.value for s in app.slider}
    app = submit_valid_ballot(app, ["P01", "P02"])

    assert not app.exception
    stored = store.latest_ballot(conn, DEMO_ROUND_ID, CODE)
    assert stored is not None
    assert shown_receipt(app) == stored.receipt
    assert stored.project_scores == {"P01": 1, "P02": 1}
    assert stored.allocation == {sid: Fraction(amount) for sid, amount in allocation.items()}
    assert stored.channel == "web"
    assert store.ballot_count(conn, DEMO_ROUND_ID) == count_before + 1


def test_revision_loads_the_latest_ballot_and_supersedes_it(open_page, conn):
    first = submit_valid_ballot(enter_code(open_page), ["P01", "P02"])
    first_receipt = shown_receipt(first)
    count_after_first = store.ballot_count(conn, DEMO_ROUND_ID)

    again = enter_code(open_page)  # a new visit with the same code
    assert any(first_receipt in text for text in texts(again, "info"))
    assert again.checkbox(key="project_P01").value and again.checkbox(key="project_P02").value
    again.checkbox(key="project_P02").uncheck()
    again.checkbox(key="project_P03").check().run()
    again.button(key="submit_ballot").click().run()

    second_receipt = shown_receipt(again)
    assert second_receipt != first_receipt
    latest = store.latest_ballot(conn, DEMO_ROUND_ID, CODE)
    assert latest.receipt == second_receipt
    assert latest.project_scores == {"P01": 1, "P03": 1}
    assert store.ballot_count(conn, DEMO_ROUND_ID) == count_after_first
    assert store.ballot_by_receipt(conn, first_receipt).superseded


def test_welsh_is_selectable_and_kept_in_the_link(open_page):
    app = enter_code(open_page, lang="cy")
    assert any("Rhannu cyllideb y gwasanaethau" in h.value for h in app.header)
    assert app.button(key="submit_ballot").label == "Anfon fy mhleidlais"

    app = open_page("pages/vote.py", **ROUND)
    app.segmented_control(key="lang").set_value("cy").run()
    assert app.text_input(key="voter_code").label == "Eich cod pleidleisio"
    assert app.query_params.get("lang") == "cy"
    app.segmented_control(key="lang").set_value("en").run()
    assert app.text_input(key="voter_code").label == "Your voter code"
    assert "lang" not in app.query_params


def test_closed_round_takes_no_ballots(open_page, conn):
    store.update_round(conn, DEMO_ROUND_ID, status="closed")
    app = open_page("pages/vote.py", **ROUND)
    assert not app.exception
    assert not app.text_input
    assert any("has closed" in text for text in texts(app, "info"))


def test_unknown_round_says_so(open_page):
    app = open_page("pages/vote.py", round="no-such-round")
    assert not app.exception
    assert any("could not find this voting round" in text for text in texts(app, "error"))


def round_with_format(conn, round_id: str, **settings) -> str:
    """A copy of the demo round's services and projects under another ballot format."""
    demo = store.get_round(conn, DEMO_ROUND_ID)
    store.create_round(
        conn,
        id=round_id,
        name=f"{round_id} test round",
        service_budget=demo.service_budget,
        project_budget=demo.project_budget,
        code_mode="codes",
        **settings,
    )
    store.replace_services(conn, round_id, store.list_services(conn, DEMO_ROUND_ID))
    store.replace_projects(conn, round_id, store.list_projects(conn, DEMO_ROUND_ID))
    store.add_voter_codes(conn, round_id, [CODE])
    store.update_round(conn, round_id, status="open")
    return round_id


def test_knapsack_ballot_keeps_a_running_cost_total(open_page, conn):
    round_id = round_with_format(conn, "knapsack-test", ballot_format="knapsack")
    app = enter_code(open_page, round=round_id)
    projects = store.list_projects(conn, round_id)
    expensive = sorted(projects, key=lambda p: p.cost, reverse=True)[:4]
    for project in expensive:
        app.checkbox(key=f"project_{project.id}").check()
    app.run()
    total = sum(p.cost for p in expensive)
    assert f"Chosen so far: £{int(total):,} of £300,000." in markdown_text(app)
    assert total > 300_000
    app.button(key="submit_ballot").click().run()
    assert any("not sent" in error for error in texts(app, "error"))
    assert store.latest_ballot(conn, round_id, CODE) is None

    app.checkbox(key=f"project_{expensive[0].id}").uncheck()
    app.checkbox(key=f"project_{expensive[1].id}").uncheck().run()
    app.button(key="submit_ballot").click().run()
    stored = store.latest_ballot(conn, round_id, CODE)
    assert stored is not None
    assert set(stored.project_scores) == {p.id for p in expensive[2:]}


def test_points_ballot_spreads_points(open_page, conn):
    round_id = round_with_format(conn, "points-test", ballot_format="points", max_points=10)
    app = enter_code(open_page, round=round_id)
    app.number_input(key="project_P01").set_value(6)
    app.number_input(key="project_P02").set_value(4).run()
    assert "10 of 10 points used." in markdown_text(app)
    app.button(key="submit_ballot").click().run()
    assert store.latest_ballot(conn, round_id, CODE).project_scores == {"P01": 6, "P02": 4}


def test_finish_clears_the_screen_for_the_next_resident(open_page, conn):
    app = submit_valid_ballot(enter_code(open_page), ["P04"])
    app.button(key="finish_ballot").click().run()
    assert app.text_input(key="voter_code").value == ""
    assert not app.slider
    assert store.latest_ballot(conn, DEMO_ROUND_ID, CODE).project_scores == {"P04": 1}


def test_round_without_codes_takes_one_ballot_per_visit(open_page, conn):
    round_id = round_with_format(conn, "open-test", ballot_format="approval", max_approvals=3)
    store.update_round(conn, round_id, code_mode="open")
    app = open_page("pages/vote.py", round=round_id)
    assert not app.text_input
    app = submit_valid_ballot(app, ["P01"])
    assert shown_receipt(app)
    assert app.button(key="submit_ballot").disabled
    assert store.ballot_count(conn, round_id) == 1


def service_errors(app, service_id: str) -> list[str]:
    """The problems shown inside a service's box."""
    box = next(c for c in app.container if getattr(c, "key", None) == f"service_{service_id}")
    return [element.value for element in box.error]


def stored_ballot_rows(conn, round_id: str = DEMO_ROUND_ID) -> int:
    """Every ballot stored for the round, superseded ones included."""
    return conn.execute("SELECT count(*) FROM ballots WHERE round_id = ?", [round_id]).fetchone()[0]


def test_an_amount_outside_its_range_is_kept_shown_and_refused(open_page, conn):
    parks = next(s for s in store.list_services(conn, DEMO_ROUND_ID) if s.id == "parks")
    app = enter_code(open_page)
    app.number_input(key="amount_parks").set_value(900_000).run()

    assert not app.exception
    assert app.number_input(key="amount_parks").value == 900_000  # kept as typed
    excess = f"£{int(900_000 - parks.ceiling):,}"
    assert any(excess in error and "ceiling" in error for error in service_errors(app, "parks"))
    assert "Parks and green spaces: **£900,000**" in markdown_text(app)  # the review says so
    assert app.button(key="submit_ballot").disabled  # refused until it is fixed
    assert any("cannot be sent yet" in error for error in texts(app, "error"))
    assert store.latest_ballot(conn, DEMO_ROUND_ID, CODE) is None

    app.number_input(key="amount_parks").set_value(-5).run()
    assert any("less than zero" in error for error in service_errors(app, "parks"))

    app.number_input(key="amount_parks").set_value(int(parks.floor)).run()
    assert not service_errors(app, "parks")
    assert app.slider(key="alloc_parks").value == int(parks.floor)
    app.button(key="balance_allocation").click().run()
    app = submit_valid_ballot(app, ["P01"])
    stored = store.latest_ballot(conn, DEMO_ROUND_ID, CODE)
    assert stored is not None
    assert shown_receipt(app) == stored.receipt


def test_an_amount_outside_its_range_is_explained_in_welsh(open_page, conn):
    app = enter_code(open_page, lang="cy")
    app.number_input(key="amount_parks").set_value(900_000).run()
    assert any("yn uwch na'r uchafswm" in error for error in service_errors(app, "parks"))
    assert app.button(key="submit_ballot").disabled


def test_send_is_disabled_after_the_receipt(open_page, conn):
    rows_before = stored_ballot_rows(conn)
    app = submit_valid_ballot(enter_code(open_page), ["P01"])
    receipt = shown_receipt(app)
    assert app.button(key="submit_ballot").disabled
    assert stored_ballot_rows(conn) == rows_before + 1
    assert "receipt" in [link.proto.page for link in app.get("page_link")]  # check it later

    app.checkbox(key="project_P02").check().run()  # a change after the receipt sends nothing
    assert app.button(key="submit_ballot").disabled
    assert shown_receipt(app) == receipt
    assert stored_ballot_rows(conn) == rows_before + 1


def test_points_outside_their_range_are_kept_and_refused(open_page, conn):
    round_id = round_with_format(conn, "points-range", ballot_format="points", max_points=10)
    app = enter_code(open_page, round=round_id)
    app.number_input(key="project_P01").set_value(-3).run()
    assert app.number_input(key="project_P01").value == -3
    assert any("cannot be less than zero" in error for error in texts(app, "error"))
    assert app.button(key="submit_ballot").disabled

    app.number_input(key="project_P01").set_value(25).run()  # more than the 10 to give
    assert "25 of 10 points used." in markdown_text(app)
    app.button(key="submit_ballot").click().run()
    assert any("you have 10 to give" in error for error in texts(app, "error"))
    assert store.latest_ballot(conn, round_id, CODE) is None


def _notices(app) -> str:
    return "\n".join(texts(app, "info") + [str(link.proto) for link in app.get("page_link")])


def test_a_closed_or_published_round_says_voting_has_closed_with_the_results(open_page, conn):
    store.update_round(conn, DEMO_ROUND_ID, status="closed")
    app = open_page("pages/vote.py", **ROUND)
    assert not app.exception
    notices = _notices(app)
    assert "not open at the moment" not in notices
    assert "Voting in this round has closed" in notices
    assert 'page: "results"' in notices and DEMO_ROUND_ID in notices
    assert not app.text_input

    store.update_round(conn, DEMO_ROUND_ID, status="published")
    app = open_page("pages/vote.py", **ROUND)
    notices = _notices(app)
    assert "Voting in this round has closed" in notices
    assert "results are published" in notices
    assert 'page: "results"' in notices


def test_a_draft_round_says_voting_has_not_opened_yet(open_page, conn):
    app = open_page("pages/vote.py", round=draft_round(conn))
    assert "has not opened yet" in _notices(app)
    assert "has closed" not in _notices(app)


def test_service_names_follow_the_language_and_fall_back_to_english(open_page):
    """The demo gives every service a Welsh name (``name_cy``) but keeps descriptions and
    project names in English only: each field falls back on its own."""
    welsh = "\n".join(s.label for s in enter_code(open_page, lang="cy").slider)
    assert "Parciau a mannau gwyrdd" in welsh and "Parks and green spaces" not in welsh
    english = "\n".join(s.label for s in enter_code(open_page).slider)
    assert "Parks and green spaces" in english and "Parciau" not in english
    projects = enter_code(open_page, lang="cy").checkbox
    assert any("Riverside Park play area" in c.label for c in projects)


def test_the_page_says_which_language_it_is_in(open_page):
    html = "\n".join(h.proto.body for h in enter_code(open_page, lang="cy").get("html"))
    assert 'document.documentElement.lang = "cy"' in html
