"""Check my ballot (/receipt): a receipt code says whether that ballot is counted, or was
replaced by a later one from the same voter; never what was on it, and for a code that
matches no ballot, the same words whatever was typed."""

import streamlit as st

from budgeting.ui import layout, receipt_check, state
from budgeting.ui.markdown import literal

layout.resident_style()
t = state.translator(state.language_switch())
conn = state.connection()

st.title(t("receipt.title"), anchor=False)
st.write(t("receipt.intro"))
st.text_input(t("receipt.label"), key=receipt_check.RECEIPT_KEY, max_chars=40)
st.caption(t("receipt.help"))
st.button(t("receipt.check"), key=receipt_check.CHECK_KEY)

answer = receipt_check.check_receipt(conn, st.session_state.get(receipt_check.RECEIPT_KEY) or "")
if answer is not None:
    with st.container(key="receipt_answer"):
        if answer.status in ("counted", "replaced") and answer.received is not None:
            if answer.status == "counted":
                st.success(t("receipt.counted"), icon=":material/check_circle:")
            else:
                st.warning(t("receipt.replaced"), icon=":material/published_with_changes:")
            st.write(
                t(
                    "receipt.details",
                    round=literal(answer.round_name),
                    channel=t(f"receipt.channel.{answer.channel}"),
                    date=answer.received.strftime("%d/%m/%Y"),
                    time=answer.received.strftime("%H:%M"),
                )
            )
        elif answer.status == "unknown":
            st.error(t("receipt.unknown"), icon=":material/error:")
        if answer.wait:
            st.error(t("receipt.wait", wait=state.wait_text(answer.wait)), icon=":material/timer:")
st.caption(t("receipt.privacy"))
