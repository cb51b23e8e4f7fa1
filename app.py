"""Budget Together: the router. Declares the pages and the shared page settings, and checks
what every page needs before any runs.

pandas and plotly are imported here, before any page runs: a page never starts on a
half-imported module (runs of a session no longer overlap, ``runner.fastReruns`` being off
in ``.streamlit/config.toml``, but other sessions' runs do).

Before the page: a problem with the officers' configuration (or demo mode) goes to the
server log on the first visit, and a database that cannot be opened (another process holds
the file) is one plain sentence for the visitor instead of a traceback.
"""

import pandas  # noqa: F401  (imported early on purpose, see above)
import plotly.graph_objects  # noqa: F401  (imported early on purpose, see above)
import streamlit as st

from budgeting import i18n
from budgeting.ui import officer, state

state.app_settings()

PAGES = [
    st.Page("pages/home.py", title="Budget Together", url_path="home", default=True),
    st.Page("pages/vote.py", title="Vote", url_path="vote"),
    st.Page("pages/results.py", title="Results", url_path="results"),
    st.Page("pages/receipt.py", title="Check my ballot", url_path="receipt"),
    *(
        st.Page(script, title=i18n.text(title_key), url_path=address)
        for script, address, title_key, _ in officer.OFFICER_PAGES
    ),
]
# Every page is declared, officer pages included, so that an officer address opened by anyone
# reaches that page's sign-in gate (budgeting.ui.officer); the navigation itself is hidden,
# and officer pages are listed only in the signed-in officers' menu.

page = st.navigation(PAGES, position="hidden")
state.connection()
page.run()
