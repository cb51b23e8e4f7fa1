"""The resident ballot (/vote) driven through AppTest against a real store."""

from __future__ import annotations

import hashlib
from fractions import Fraction

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from budgeting.store.codes import normalise_code
from budgeting.ui import ballot_form, drawings
from tests.app.conftest import draft_round, drawn

ROUND = {"round": DEMO_ROUND_ID}
CODE = "DEMO-0007"


def texts(app, kind: str) -> list[str]:
    return [element.value for element in getattr(app, kind)]


def markdown_text(app) -> str:
    return "\n".join(texts(app, "markdown"))


def enter_code(open_page, code: str = CODE, **query: str):
    """Open the ballot and send a voter code: a known code lands on the services step."""
    app = open_page("pages/vote.py", **{**ROUND, **query})
    app.text_input(key="voter_code").input(code)
    return app.run()


def box(app, key: str):
    return next(c for c in app.container if getattr(c, "key", None) == key)


def progress(app) -> str:
    return "\n".join(element.value for element in box(app, "ballot_progress").markdown)


def go_next(app):
    return app.button(key="step_next").click().run()


def go_back(app):
    return app.button(key="step_back").click().run()


def nav_errors(app) -> list[str]:
    """What is said right by the Next button."""
    return [element.value for element in box(app, "step_nav").error]


def slider_of(app, service_id: str):
    """The service's slider as drawn now: its key changes each time the page sets it."""
    return drawn(app.slider, f"alloc_{service_id}")


def amount_box_of(app, service_id: str):
    """The service's number input as drawn now (``slider_of``)."""
    return drawn(app.number_input, f"amount_{service_id}")


def keys(elements) -> list[str]:
    return [element.key for element in elements]


def test_ballot_is_shown_only_after_a_known_voter_code(open_page):
    app = open_page("pages/vote.py", **ROUND)
    assert not app.exception
    assert "Step 1 of 4: Voter code" in progress(app)
    assert not app.slider
    assert not [b for b in app.button if b.key == "submit_ballot"]

    app.text_input(key="voter_code").input("NOT-A-CODE").run()
    assert not app.slider
    assert "Step 1 of 4: Voter code" in progress(app)
    assert any("do not recognise this voter code" in text for text in texts(app, "error"))


def test_every_service_has_a_slider_and_the_start_is_balanced(open_page, conn):
    app = enter_code(open_page)
    assert "Step 2 of 4: Services" in progress(app)
    services = store.list_services(conn, DEMO_ROUND_ID)
    assert [drawings.name_of(s.key) for s in app.slider] == [f"alloc_{s.id}" for s in services]
    budget = store.get_round(conn, DEMO_ROUND_ID).service_budget
    assert sum(s.value for s in app.slider) == budget
    for service, slider in zip(services, app.slider, strict=True):
        assert service.floor <= slider.value <= service.ceiling
        assert slider.min == service.floor and slider.max == service.ceiling
    assert "Balanced" in markdown_text(app)
    assert not app.checkbox and "submit_ballot" not in keys(app.button)  # one step at a time


def test_the_ballot_goes_one_step_at_a_time_saying_where_the_resident_is(open_page):
    app = go_next(enter_code(open_page))
    assert "Step 3 of 4: Projects" in progress(app)
    assert app.checkbox and not app.slider
    assert app.button(key="step_next").label == "Next: Check and send"
    assert app.button(key="step_back").label == "Back: Services"

    app = go_next(app)
    assert "Step 4 of 4: Check and send" in progress(app)
    assert not app.checkbox and not app.slider
    assert "submit_ballot" in keys(app.button) and "step_next" not in keys(app.button)

    app = go_back(go_back(go_back(app)))
    assert "Step 1 of 4: Voter code" in progress(app)
    assert app.text_input(key="voter_code").value == CODE  # kept, and not checked again
    assert any("Code accepted" in text for text in texts(app, "success"))
    app.button(key="use_code").click().run()
    assert "Step 2 of 4: Services" in progress(app)


def test_next_is_refused_while_the_step_has_a_problem_saying_why_by_the_button(open_page):
    app = enter_code(open_page)
    parks = slider_of(app, "parks")
    parks.set_value(parks.value + 40_000).run()
    app = go_next(app)
    assert "Step 2 of 4: Services" in progress(app)  # not moved on
    said = "\n".join(nav_errors(app))
    assert "cannot go on to Projects yet" in said
    assert "£40,000 more than the budget" in said

    app.button(key="balance_allocation").click().run()
    assert not nav_errors(app)  # a fixed problem goes at once
    app = go_next(app)
    assert "Step 3 of 4: Projects" in progress(app)


def test_back_keeps_every_value(open_page):
    app = enter_code(open_page)
    amount_box_of(app, "parks").set_value(250_000).run()
    app.button(key="balance_allocation").click().run()
    amounts = {s.key: s.value for s in app.slider}
    app = go_next(app)
    app.checkbox(key="project_P03").check().run()
    app = go_back(app)
    assert {s.key: s.value for s in app.slider} == amounts
    assert amount_box_of(app, "parks").value == 250_000
    app = go_next(app)
    assert app.checkbox(key="project_P03").value
    assert not app.checkbox(key="project_P01").value


def test_remaining_money_is_live_and_the_balance_helper_fixes_it(open_page):
    app = enter_code(open_page)
    before = slider_of(app, "parks").value
    slider_of(app, "parks").set_value(before + 40_000).run()
    assert "£40,000 over budget" in markdown_text(app)
    slider_of(app, "parks").set_value(before - 30_000).run()
    assert "£30,000 left to allocate" in markdown_text(app)
    assert app.button(key="balance_allocation").label == (
        "Spread the £30,000 left over the 8 services you have not changed"
    )

    app.button(key="balance_allocation").click().run()
    assert "Balanced" in markdown_text(app)
    assert sum(s.value for s in app.slider) == 1_200_000
    assert slider_of(app, "parks").value == before - 30_000  # the one changed stays


def test_balance_keeps_the_service_the_resident_set(open_page, conn):
    """Parks set to £250,000 stays £250,000; the difference goes to the others."""
    app = enter_code(open_page)
    start = amount_box_of(app, "parks").value
    amount_box_of(app, "parks").set_value(250_000).run()
    over = f"£{250_000 - start:,}"
    assert app.button(key="balance_allocation").label == (
        f"Take the {over} over budget from the 8 services you have not changed"
    )
    assert "You changed this one" in "\n".join(c.value for c in box(app, "service_parks").caption)
    app.button(key="balance_allocation").click().run()
    assert amount_box_of(app, "parks").value == 250_000
    assert slider_of(app, "parks").value == 250_000
    assert sum(s.value for s in app.slider) == 1_200_000
    for service in store.list_services(conn, DEMO_ROUND_ID):
        amount = amount_box_of(app, service.id).value
        assert service.floor <= amount <= service.ceiling
    assert not [b for b in app.button if b.key == "balance_allocation"]  # nothing left to do


def test_balance_says_when_the_changed_services_alone_are_over_budget(open_page):
    app = enter_code(open_page)
    amount_box_of(app, "parks").set_value(900_000).run()
    amount_box_of(app, "social-care").set_value(360_000).run()
    assert app.button(key="balance_allocation").disabled
    said = "\n".join(texts(box(app, "left_to_allocate"), "error"))
    assert "£60,000 more than the whole budget" in said
    assert amount_box_of(app, "parks").value == 900_000


def test_an_invalid_allocation_keeps_the_resident_on_the_services_step(open_page, conn):
    app = enter_code(open_page)
    slider_of(app, "parks").set_value(slider_of(app, "parks").value + 50_000).run()
    app = go_next(app)
    assert "Step 2 of 4: Services" in progress(app)
    assert any("£50,000 more than the budget" in error for error in nav_errors(app))
    assert store.latest_ballot(conn, DEMO_ROUND_ID, CODE) is None

    app.button(key="balance_allocation").click().run()
    assert not texts(app, "error")  # fixed problems disappear at once


def test_a_ballot_the_store_refuses_says_why_on_the_review(open_page, conn):
    app = go_next(go_next(enter_code(open_page)))
    store.revoke_voter_code(conn, DEMO_ROUND_ID, CODE, actor="alice")  # while checking
    app.button(key="submit_ballot").click().run()
    assert any("not sent" in error for error in texts(app, "error"))
    assert "Step 4 of 4: Check and send" in progress(app)
    assert not [c for c in app.container if getattr(c, "key", None) == "receipt"]
    assert store.latest_ballot(conn, DEMO_ROUND_ID, CODE) is None


def project_box(app, project_id: str):
    """A project's tick box on the projects step, turning to its page first (6 a page)."""
    if not any(c.key == f"project_{project_id}" for c in app.checkbox):
        for page in app.segmented_control(key="project_page").options:
            app.segmented_control(key="project_page").set_value(
                app.segmented_control(key="project_page").options.index(page)
            ).run()
            if any(c.key == f"project_{project_id}" for c in app.checkbox):
                break
    return app.checkbox(key=f"project_{project_id}")


def choose(app, project_ids: list[str]):
    """On the projects step: tick each project in turn, as a resident taps them."""
    for project_id in project_ids:
        project_box(app, project_id).check().run()
    return app


def test_a_sixth_approval_is_refused_at_the_moment_with_the_reason(open_page, conn):
    app = choose(go_next(enter_code(open_page)), ["P01", "P02", "P03", "P04", "P05"])
    assert "5 of up to 5 projects chosen." in markdown_text(app)
    app.checkbox(key="project_P06").check().run()
    assert not app.checkbox(key="project_P06").value  # visibly not taken
    said = texts(box(app, "choice_P06"), "warning")
    assert said and "5 of up to 5 projects are chosen already" in said[0]
    assert "5 of up to 5 projects chosen." in markdown_text(app)

    app.checkbox(key="project_P05").uncheck().run()
    assert not texts(app, "warning")  # the next change taken clears the reason
    app.checkbox(key="project_P06").check().run()
    assert app.checkbox(key="project_P06").value
    app = go_next(app)
    app.button(key="submit_ballot").click().run()
    stored = store.latest_ballot(conn, DEMO_ROUND_ID, CODE)
    assert set(stored.project_scores) == {"P01", "P02", "P03", "P04", "P06"}


def submit_valid_ballot(app, project_ids: list[str]):
    """From the services step: on to the projects, choose, review, send."""
    app = choose(go_next(app), project_ids)
    app = go_next(app)
    return app.button(key="submit_ballot").click().run()


def shown_receipt(app) -> str:
    lines = [text for text in texts(app, "markdown") if "receipt code" in text]
    assert lines, "no receipt shown"
    return lines[0].split("`")[1]


def test_valid_ballot_is_stored_and_its_receipt_shown(open_page, conn):
    count_before = store.ballot_count(conn, DEMO_ROUND_ID)
    app = enter_code(open_page)
    slider_of(app, "parks").set_value(200_000).run()
    app.button(key="balance_allocation").click().run()
    allocation = {drawings.name_of(s.key).removeprefix("alloc_"): s.value for s in app.slider}
    app = submit_valid_ballot(app, ["P01", "P02"])

    assert not app.exception
    assert "Sent: your receipt" in progress(app)
    stored = store.latest_ballot(conn, DEMO_ROUND_ID, CODE)
    assert stored is not None
    assert shown_receipt(app) == stored.receipt
    assert stored.project_scores == {"P01": 1, "P02": 1}
    assert stored.allocation == {sid: Fraction(amount) for sid, amount in allocation.items()}
    assert stored.channel == "web"
    assert store.ballot_count(conn, DEMO_ROUND_ID) == count_before + 1


def review_lines(app) -> list[str]:
    section = box(app, "review_section")
    return [
        line for m in section.markdown for line in m.value.splitlines() if line.startswith("- ")
    ]


def test_the_review_shows_exactly_what_is_stored(open_page, conn):
    app = enter_code(open_page)
    amount_box_of(app, "libraries").set_value(123_457).run()
    app.button(key="balance_allocation").click().run()
    app = go_next(choose(go_next(app), ["P02", "P07"]))
    shown = review_lines(app)
    app.button(key="submit_ballot").click().run()
    assert review_lines(app) == shown  # read back after sending: the same

    stored = store.latest_ballot(conn, DEMO_ROUND_ID, CODE)
    services = store.list_services(conn, DEMO_ROUND_ID)
    projects = {p.id: p.name for p in store.list_projects(conn, DEMO_ROUND_ID)}
    expected = [f"- {s.name}: **£{int(stored.allocation[s.id]):,}**" for s in services]
    expected.append(f"- Total: **£{int(sum(stored.allocation.values())):,}**")
    expected += [f"- {projects[pid]}" for pid in sorted(stored.project_scores)]
    assert shown == expected
    assert stored.allocation["libraries"] == 123_457


def test_revision_loads_the_latest_ballot_and_supersedes_it(open_page, conn):
    first = submit_valid_ballot(enter_code(open_page), ["P01", "P02"])
    first_receipt = shown_receipt(first)
    count_after_first = store.ballot_count(conn, DEMO_ROUND_ID)

    again = enter_code(open_page)  # a new visit with the same code
    assert "Step 2 of 4: Services" in progress(again)
    assert any(first_receipt in text for text in texts(again, "info"))
    again = go_next(again)
    assert again.checkbox(key="project_P01").value and again.checkbox(key="project_P02").value
    again.checkbox(key="project_P02").uncheck().run()
    again.checkbox(key="project_P03").check().run()
    go_next(again).button(key="submit_ballot").click().run()

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
    assert "Cam 2 o 4: Gwasanaethau" in progress(app)
    assert go_next(go_next(app)).button(key="submit_ballot").label == "Anfon fy mhleidlais"

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


def test_knapsack_ballot_keeps_a_running_total_and_refuses_what_does_not_fit(open_page, conn):
    round_id = round_with_format(conn, "knapsack-test", ballot_format="knapsack")
    app = go_next(enter_code(open_page, round=round_id))
    projects = store.list_projects(conn, round_id)
    expensive = sorted(projects, key=lambda p: p.cost, reverse=True)[:4]
    taken, refused = [], None
    for project in expensive:
        left = 300_000 - sum(p.cost for p in taken)
        project_box(app, project.id).check().run()
        if project.cost <= left:
            taken.append(project)
            assert app.checkbox(key=f"project_{project.id}").value
        else:
            refused = (project, left)
            break
    assert refused is not None, "the four dearest projects fit: nothing to refuse"
    project, left = refused
    assert not app.checkbox(key=f"project_{project.id}").value  # visibly not taken
    said = texts(box(app, f"choice_{project.id}"), "warning")
    assert said and f"only £{int(left):,} of £300,000 is left" in said[0]
    assert f"costs £{int(project.cost):,}" in said[0]
    total = sum(p.cost for p in taken)
    assert f"Chosen so far: £{int(total):,} of £300,000. £{int(300_000 - total):,} left." in (
        markdown_text(app)
    )

    go_next(app).button(key="submit_ballot").click().run()
    stored = store.latest_ballot(conn, round_id, CODE)
    assert stored is not None
    assert set(stored.project_scores) == {p.id for p in taken}


def test_points_ballot_spreads_points(open_page, conn):
    round_id = round_with_format(conn, "points-test", ballot_format="points", max_points=10)
    app = go_next(enter_code(open_page, round=round_id))
    app.number_input(key="project_P01").set_value(6).run()
    app.number_input(key="project_P02").set_value(4).run()
    assert "10 of 10 points used." in markdown_text(app)
    go_next(app).button(key="submit_ballot").click().run()
    assert store.latest_ballot(conn, round_id, CODE).project_scores == {"P01": 6, "P02": 4}


def test_finish_clears_the_screen_for_the_next_resident(open_page, conn):
    app = submit_valid_ballot(enter_code(open_page), ["P04"])
    app.button(key="finish_ballot").click().run()
    assert app.text_input(key="voter_code").value == ""
    assert "Step 1 of 4: Voter code" in progress(app)
    assert not app.slider
    assert store.latest_ballot(conn, DEMO_ROUND_ID, CODE).project_scores == {"P04": 1}


def test_round_without_codes_takes_one_ballot_per_visit(open_page, conn):
    round_id = round_with_format(conn, "open-test", ballot_format="approval", max_approvals=3)
    store.update_round(conn, round_id, code_mode="open")
    app = open_page("pages/vote.py", round=round_id)
    assert not app.text_input
    assert "Step 1 of 3: Services" in progress(app)
    assert "step_back" not in keys(app.button)
    app = submit_valid_ballot(app, ["P01"])
    assert shown_receipt(app)
    assert app.button(key="submit_ballot").disabled
    assert store.ballot_count(conn, round_id) == 1


def test_a_send_pressed_as_the_round_closes_is_never_sent_to_another_round(open_page, conn):
    """Send only marks the ballot to be sent by the step's run; when the round has closed
    by then, the page says so and sends nothing, then or on another round's ballot opened
    next in the same browser."""
    other = round_with_format(conn, "open-next", ballot_format="approval", max_approvals=3)
    store.update_round(conn, other, code_mode="open")
    app = enter_code(open_page)
    app = go_next(go_next(app))  # the services as they start, no projects: to the review
    store.update_round(conn, DEMO_ROUND_ID, status="closed")
    app.button(key="submit_ballot").click().run()
    assert any("closed" in text for text in texts(app, "info"))
    assert store.latest_ballot(conn, DEMO_ROUND_ID, CODE) is None
    app.query_params["round"] = other
    app.run()
    assert not app.exception
    assert not any("receipt code" in text for text in texts(app, "markdown"))
    assert store.ballot_count(conn, other) == 0


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
    amount_box_of(app, "parks").set_value(900_000).run()

    assert not app.exception
    assert amount_box_of(app, "parks").value == 900_000  # kept as typed
    excess = f"£{int(900_000 - parks.ceiling):,}"
    assert any(excess in error and "ceiling" in error for error in service_errors(app, "parks"))
    app = go_next(app)  # refused until it is fixed, saying why by the button
    assert "Step 2 of 4: Services" in progress(app)
    assert any(excess in error and "ceiling" in error for error in nav_errors(app))
    assert store.latest_ballot(conn, DEMO_ROUND_ID, CODE) is None

    amount_box_of(app, "parks").set_value(-5).run()
    assert any("less than zero" in error for error in service_errors(app, "parks"))

    amount_box_of(app, "parks").set_value(int(parks.floor)).run()
    assert not service_errors(app, "parks")
    assert slider_of(app, "parks").value == int(parks.floor)
    app.button(key="balance_allocation").click().run()
    assert amount_box_of(app, "parks").value == int(parks.floor)
    app = submit_valid_ballot(app, ["P01"])
    stored = store.latest_ballot(conn, DEMO_ROUND_ID, CODE)
    assert stored is not None
    assert shown_receipt(app) == stored.receipt
    assert stored.allocation["parks"] == parks.floor


def test_an_amount_outside_its_range_is_explained_in_welsh(open_page, conn):
    app = enter_code(open_page, lang="cy")
    amount_box_of(app, "parks").set_value(900_000).run()
    assert any("yn uwch na'r uchafswm" in error for error in service_errors(app, "parks"))
    app = go_next(app)
    assert "Cam 2 o 4: Gwasanaethau" in progress(app)
    assert any("yn uwch na'r uchafswm" in error for error in nav_errors(app))


def test_send_is_disabled_after_the_receipt(open_page, conn):
    rows_before = stored_ballot_rows(conn)
    app = submit_valid_ballot(enter_code(open_page), ["P01"])
    receipt = shown_receipt(app)
    assert app.button(key="submit_ballot").disabled
    assert stored_ballot_rows(conn) == rows_before + 1
    assert "receipt" in [link.proto.page for link in app.get("page_link")]  # check it later
    # Nothing more to change from this visit: no way back to the choices, Send stays off.
    assert not app.checkbox and not app.slider
    assert "step_back" not in keys(app.button)
    app.run()
    assert app.button(key="submit_ballot").disabled
    assert shown_receipt(app) == receipt
    assert stored_ballot_rows(conn) == rows_before + 1


def test_points_outside_their_range_are_kept_and_refused(open_page, conn):
    round_id = round_with_format(conn, "points-range", ballot_format="points", max_points=10)
    app = go_next(enter_code(open_page, round=round_id))
    app.number_input(key="project_P01").set_value(-3).run()
    assert app.number_input(key="project_P01").value == -3  # kept as typed
    assert any("cannot be less than zero" in error for error in texts(app, "error"))
    app = go_next(app)
    assert "Step 3 of 4: Projects" in progress(app)
    assert any("cannot be less than zero" in error for error in nav_errors(app))

    app.number_input(key="project_P01").set_value(4).run()
    app.number_input(key="project_P02").set_value(25).run()  # more than the 6 left
    assert app.number_input(key="project_P02").value == 0  # refused at entry
    said = texts(box(app, "choice_P02"), "warning")
    assert said and "25 points here would make 29 in all, more than the 10" in said[0]
    assert "at most 6" in said[0]
    assert "4 of 10 points used." in markdown_text(app)
    go_next(app).button(key="submit_ballot").click().run()
    assert store.latest_ballot(conn, round_id, CODE).project_scores == {"P01": 4}


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
    projects = go_next(enter_code(open_page, lang="cy")).checkbox
    assert any("Riverside Park play area" in c.label for c in projects)


def test_the_page_says_which_language_it_is_in(open_page):
    html = "\n".join(h.proto.body for h in enter_code(open_page, lang="cy").get("html"))
    assert 'document.documentElement.lang = "cy"' in html


def test_projects_come_a_page_at_a_time_and_choices_on_other_pages_are_kept(open_page, conn):
    """Six projects a page keeps the step within two screens on a phone; a choice made on
    one page is still counted, and sent, after turning to another."""
    app = go_next(enter_code(open_page))
    pages = app.segmented_control(key="project_page")
    assert list(pages.options) == ["1–6", "7–12", "13–18", "19–22"]
    assert [c.key for c in app.checkbox] == [f"project_P{n:02d}" for n in range(1, 7)]
    choose(app, ["P01", "P17"])
    assert "2 of up to 5 projects chosen." in markdown_text(app)
    project_box(app, "P02")
    assert app.checkbox(key="project_P01").value
    app = go_next(app)
    app.button(key="submit_ballot").click().run()
    assert set(store.latest_ballot(conn, DEMO_ROUND_ID, CODE).project_scores) == {"P01", "P17"}


def test_a_rerun_does_not_read_the_ballot_or_hash_the_code_again(open_page, monkeypatch):
    """The resident's latest ballot is read once, when the code is taken; moving a slider
    or a step reads it no more (each read hashes the code with scrypt)."""
    app = enter_code(open_page)
    reads = []
    original = store.latest_ballot
    monkeypatch.setattr(
        store, "latest_ballot", lambda *a, **k: reads.append(a) or original(*a, **k)
    )
    amount_box_of(app, "parks").set_value(200_000).run()
    go_next(app)
    assert not app.exception
    assert reads == []


def test_taking_a_code_hashes_it_once(open_page, conn, monkeypatch):
    """Continue checks the code and reads its ballot with one scrypt hash (slow on purpose):
    a revision starts from the ballot that counts, a first vote from the start."""
    first = submit_valid_ballot(enter_code(open_page), ["P01", "P02"])
    hashes = []
    scrypt = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: hashes.append(a) or scrypt(*a, **k))
    again = enter_code(open_page)
    assert not again.exception
    assert len(hashes) == 1
    assert any(shown_receipt(first) in text for text in texts(again, "info"))
    assert go_next(again).checkbox(key="project_P01").value

    new_code = store.issue_voter_codes(conn, DEMO_ROUND_ID, 1)[0]
    hashes.clear()
    fresh = enter_code(open_page, new_code)
    assert "Step 2 of 4: Services" in progress(fresh)
    assert len(hashes) == 1
    assert not any("You have voted before" in text for text in texts(fresh, "info"))


def test_a_ballot_read_with_an_earlier_runs_code_check_is_never_used_later(open_page, conn):
    """The ballot a code check reads is handed to the services step of the same run only:
    a later run reads the ballot that counts then (one sent meanwhile, say)."""
    first = submit_valid_ballot(enter_code(open_page), ["P01"])
    app = open_page("pages/vote.py", **ROUND)
    checked = (DEMO_ROUND_ID, normalise_code(CODE))
    app.session_state[ballot_form.CODE_CHECKED_KEY] = (checked, "valid")  # checked before
    app.session_state[ballot_form.CHECKED_BALLOT_KEY] = (checked, None)  # then: no ballot
    app.text_input(key="voter_code").input(CODE)
    app.button(key="use_code").click().run()
    assert "Step 2 of 4: Services" in progress(app)
    assert any(shown_receipt(first) in text for text in texts(app, "info"))
