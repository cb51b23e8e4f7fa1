"""The load harness's own protocol handling (bench/load.py): the messages it builds and how
it reads the server's, without a server."""

import asyncio

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput

from bench import load
from tests.apart import apart

CODE_ID = "$$ID-fb2b3af4172fe59a59d45d4f7529a40e-voter_code"
AMOUNT_ID = "$$ID-0123456789abcdef0123456789abcdef-amount_parks"
SLIDER_ID = "$$ID-11111111111111111111111111111111-alloc_parks"
REDRAWN_SLIDER_ID = "$$ID-22222222222222222222222222222222-alloc_parks~1"
BUTTON_ID = "$$ID-e5d2781ed759a7c96c01fc22029b063f-use_code"


def finished(status=ForwardMsg.FINISHED_SUCCESSFULLY) -> ForwardMsg:
    message = ForwardMsg()
    message.script_finished = status
    return message


def element(kind: str, widget_id: str = "", **fields) -> ForwardMsg:
    message = ForwardMsg()
    proto = getattr(message.delta.new_element, kind)
    if widget_id:
        proto.id = widget_id
    for name, value in fields.items():
        if isinstance(value, list):
            getattr(proto, name).extend(value)
        else:
            setattr(proto, name, value)
    return message


def code_page(client: load.Client) -> None:
    start = ForwardMsg()
    start.new_session.page_script_hash = "main"
    navigation = ForwardMsg()
    navigation.navigation.page_script_hash = "vote-page"
    for message in (
        start,
        navigation,
        element("text_input", CODE_ID, default=""),
        element("button", BUTTON_ID),
        element("markdown", body="**Step 1 of 4: Voter code**"),
    ):
        assert client.receive(message) is None
    assert client.receive(finished()) == ForwardMsg.FINISHED_SUCCESSFULLY


def test_key_of_element_ids():
    assert load.key_of(CODE_ID) == "voter_code"
    assert load.key_of("$$ID-abc-service_street-cleaning") == "service_street-cleaning"
    assert load.key_of("$$ID-abc-None") is None
    assert load.key_of("plain") is None


def test_first_message_names_the_page_and_round():
    client = load.Client("vote", "round=r1", url="http://127.0.0.1:1/vote?round=r1")
    message = BackMsg.FromString(client.first_message().SerializeToString())
    state = message.rerun_script
    assert message.WhichOneof("type") == "rerun_script"
    assert (state.page_name, state.query_string, state.page_script_hash) == ("vote", "round=r1", "")
    assert state.context_info.url.endswith("/vote?round=r1")
    assert not state.widget_states.widgets


def test_interaction_sends_value_and_trigger_by_key():
    client = load.Client("vote", "round=r1")
    code_page(client)
    assert set(client.widgets) == {"voter_code", "use_code"}
    assert client.texts == ["**Step 1 of 4: Voter code**"]
    message = client.interaction({"voter_code": "ABCD-EFGH"}, press="use_code")
    state = message.rerun_script
    assert state.page_script_hash == "vote-page"  # the page st.navigation showed
    widgets = {w.id: w for w in state.widget_states.widgets}
    assert widgets[CODE_ID].string_value == "ABCD-EFGH"
    assert widgets[BUTTON_ID].trigger_value is True
    assert widgets[BUTTON_ID].WhichOneof("value") == "trigger_value"


def test_values_follow_the_page_and_leave_with_the_widget():
    client = load.Client("vote", "round=r1")
    code_page(client)
    client.interaction({"voter_code": "ABCD-EFGH"})
    # The next run shows the services: the code field is gone, an amount appears.
    client.receive(element("number_input", AMOUNT_ID, default=10.0))
    client.receive(finished())
    assert client.kept == {}
    message = client.interaction({"amount_parks": 150_000})
    (state,) = message.rerun_script.widget_states.widgets
    assert state.int_value == 150_000
    # The page then sets the amount itself (Balance): the client takes that value.
    client.receive(element("number_input", AMOUNT_ID, value=140_000.0, set_value=True))
    client.receive(finished())
    (state,) = client.interaction().rerun_script.widget_states.widgets
    assert (state.id, state.int_value) == (AMOUNT_ID, 140_000)


def test_a_browser_behind_the_page_sends_the_values_it_still_shows():
    """A tap before the browser has drawn the last run sends the values of the run before,
    a slider's as a list, under the values the browser has changed."""
    client = load.Client("vote", "round=r1")
    code_page(client)
    client.interaction({"voter_code": "ABCD-EFGH"})
    whole = {"data_type": NumberInput.INT, "set_value": True}
    client.receive(element("slider", SLIDER_ID, value=[180_000.0], set_value=True))
    client.receive(element("number_input", AMOUNT_ID, value=180_000.0, **whole))
    client.receive(finished())
    drawn = dict(client.widgets)
    client.interaction({"amount_parks": 250_000})
    client.receive(element("slider", REDRAWN_SLIDER_ID, value=[250_000.0], set_value=True))
    client.receive(element("number_input", AMOUNT_ID, value=250_000.0, **whole))
    client.receive(finished())
    sent = client.interaction(behind=drawn).rerun_script.widget_states.widgets
    states = {state.id: state for state in sent}
    assert set(states) == {SLIDER_ID, AMOUNT_ID}
    assert list(states[SLIDER_ID].double_array_value.data) == [180_000.0]
    assert states[AMOUNT_ID].int_value == 250_000  # typed, and shown so by the last run


class OneMessageSocket:
    """A websocket that receives what is sent and answers with one message."""

    def __init__(self, answer: ForwardMsg) -> None:
        self.sent: list[bytes] = []
        self._answer = answer

    async def send(self, data: bytes) -> None:
        self.sent.append(data)

    async def __aiter__(self):
        yield self._answer.SerializeToString()


def test_a_message_the_client_cannot_read_ends_the_step_at_once_saying_why():
    """Not after the step's time limit, with no reason: the reader task's error is the
    step's."""

    def unreadable(message: ForwardMsg) -> int | None:
        raise ValueError("no such widget kind")

    async def step() -> None:
        session = load.Session(1, "vote", "round=r1")
        session._socket = OneMessageSocket(finished())
        session.client.receive = unreadable  # type: ignore[method-assign]
        session._reader = asyncio.create_task(session._read())
        with pytest.raises(load.JourneyError, match="ValueError: no such widget kind"):
            await asyncio.wait_for(session._run(session.client.first_message()), 5)

    apart(asyncio.run, step())


def test_cached_messages_are_reported_and_resolved():
    client = load.Client("vote", "round=r1")
    code_page(client)
    big = element("markdown", body="receipt: `3S4GT3XZ`")
    big.hash = "h1"
    big.metadata.cacheable = True
    client.begin_run()
    client.receive(big)
    client.receive(finished())
    assert list(client.interaction().rerun_script.cached_message_hashes) == ["h1"]
    reference = ForwardMsg()
    reference.ref_hash = "h1"
    client.receive(reference)
    client.receive(finished())
    assert load.receipt_in(client.texts) == "3S4GT3XZ"


def test_fragment_rerun_on_the_servers_timer():
    client = load.Client("results", "round=r1")
    timer = ForwardMsg()
    timer.auto_rerun.interval = 3.0
    timer.auto_rerun.fragment_id = "frag"
    client.receive(timer)
    client.receive(finished())
    assert client.auto_rerun == (3.0, "frag")
    state = client.fragment_rerun().rerun_script
    assert (state.fragment_id, state.is_auto_rerun) == ("frag", True)


def test_exceptions_on_the_page_are_kept():
    client = load.Client("vote", "round=r1")
    message = ForwardMsg()
    message.delta.new_element.exception.type = "KeyError"
    message.delta.new_element.exception.message = "x"
    client.receive(message)
    assert client.exceptions == ["KeyError: x"]


def test_projects_are_the_checkboxes_not_the_page_switch():
    client = load.Client("vote", "round=r1")
    client.receive(element("checkbox", "$$ID-a-project_P01"))
    client.receive(element("button_group", "$$ID-b-project_page"))
    client.receive(finished())
    assert client.keys("project_", ["checkbox"]) == ["project_P01"]


def in_fragment(message: ForwardMsg, fragment_id: str) -> ForwardMsg:
    message.delta.fragment_id = fragment_id
    return message


def test_a_widget_drawn_by_a_fragment_reruns_that_fragment_only():
    client = load.Client("vote", "round=r1")
    client.receive(element("text_input", "$$ID-a-voter_code"))
    client.receive(in_fragment(element("number_input", AMOUNT_ID, default=10.0), "step"))
    client.receive(in_fragment(element("button", "$$ID-c-balance_allocation"), "step"))
    client.receive(finished())
    state = client.interaction({"amount_parks": 20}).rerun_script
    assert state.fragment_id == "step"
    # The fragment's run draws its own widgets again (Balance is gone); the rest stays.
    client.receive(in_fragment(element("number_input", AMOUNT_ID, default=20.0), "step"))
    client.receive(finished())
    assert set(client.widgets) == {"voter_code", "amount_parks"}
    assert client.interaction({"voter_code": "X"}).rerun_script.fragment_id == ""


def test_a_fragment_that_asks_for_the_whole_page_gets_a_full_run():
    client = load.Client("vote", "round=r1")
    client.receive(in_fragment(element("button", "$$ID-n-step_next"), "step"))
    client.receive(finished())
    assert client.interaction(press="step_next").rerun_script.fragment_id == "step"
    client.receive(finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN))  # st.rerun() in it
    client.receive(element("checkbox", "$$ID-p-project_P01"))
    client.receive(finished())
    assert set(client.widgets) == {"project_P01"}


def test_one_at_a_time_each_step_records_what_it_cost_the_server():
    spent = iter([1.00, 1.03, 1.03, 1.10])  # the server's CPU-seconds, read before and after
    result = load.LevelResult(1, cpu_probe=lambda: next(spent))

    async def step() -> None:
        return None

    async def journey() -> None:
        await load.timed(result, "code", step())
        await load.timed(result, "send", step())

    apart(asyncio.run, journey())
    assert [round(cost, 2) for cost in result.step_cpu["code"]] == [0.03]
    assert [round(cost, 2) for cost in result.step_cpu["send"]] == [0.07]
    assert set(result.steps) == {"code", "send"}


def test_the_step_cost_table_gives_each_steps_mean_and_a_journeys_sum():
    result = load.LevelResult(2, completed=2)
    result.step_cpu = {"code": [0.060, 0.070], "send": [0.050, 0.050]}
    outcome = load.SetupResult(load.Setup("duckdb", 1))
    outcome.levels[2] = result
    lines = load.step_costs([outcome], [1, 2]).splitlines()
    assert lines[1] == "One at a time, 2 residents:"
    rows = {line[:34].strip(): line[34:].strip() for line in lines[4:]}
    assert rows["code"] == "65.0"
    assert rows["send"] == "50.0"
    assert rows["open"] == "-"
    assert rows["journey"] == "115"
