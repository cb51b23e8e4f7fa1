"""Page styling: large touch targets on phones, a high-contrast wall display on projectors.

Streamlit's theme (``.streamlit/config.toml``) sets the light, high-contrast colours every
page shares; these style sheets add what a theme cannot express. Each is injected by the
page that needs it, so the projector's dark wall style never leaks onto a phone.
"""

from __future__ import annotations

import streamlit as st

TOUCH_TARGET_PX = 48
PROJECTOR_MIN_TEXT_PX = 28

RESIDENT_CSS = f"""
<style>
/* Phones: a single readable column; long words wrap instead of widening the page. */
.stMainBlockContainer {{ max-width: 46rem; padding: 3.5rem 1rem 4rem 1rem; }}
.stMarkdown, .stCaption, label {{ overflow-wrap: anywhere; }}
.stApp h1 {{ font-size: 2.2rem; }}
.stApp h3 {{ font-size: 1.4rem; }}
/* Touch targets of at least 44 px (WCAG 2.5.5); we use {TOUCH_TARGET_PX} px. */
.stButton button, .stFormSubmitButton button, .stPageLink a, [data-testid="stMainMenuButton"],
[data-testid="stButtonGroup"] button, .stTextInput input, .stNumberInput input,
.stNumberInput button, .stSelectbox [data-baseweb="select"], .stCheckbox label {{
  min-height: {TOUCH_TARGET_PX}px;
}}
.stNumberInput button, [data-testid="stMainMenuButton"] {{ min-width: {TOUCH_TARGET_PX}px; }}
.stCheckbox label {{ align-items: center; }}
/* The whole slider track takes a touch, and the thumb is large enough to grab. */
[data-testid="stSlider"] [role="group"] > div:first-child {{
  min-height: {TOUCH_TARGET_PX}px; display: flex; align-items: center;
}}
[data-testid="stSlider"] [role="group"] > div:first-child > div[style*="translate"] {{
  width: 28px; height: 28px; top: 50%;
}}
/* The money left to allocate, and the projects chosen so far, stay in view while scrolling
   through their section (Streamlit wraps each keyed container in a layout wrapper, which is
   the element that has to stick). */
[data-testid="stLayoutWrapper"]:has(> .st-key-left_to_allocate),
[data-testid="stLayoutWrapper"]:has(> .st-key-project_counter) {{
  position: sticky; top: 3.75rem; z-index: 50;
}}
.st-key-left_to_allocate, .st-key-project_counter {{
  background: #ffffff; border: 2px solid #0b3d91; border-radius: 0.5rem; padding: 0.5rem 0.75rem;
}}
/* The ballot's services, one compact block each so the step fits a phone screen or two:
   the name, its bounds, a slider and the exact amount side by side (the slider does the
   coarse moves, so the amount box needs no step buttons). */
[class*="st-key-service_"] {{ border-top: 1px solid #8a8a8a; padding-top: 0.5rem; }}
.st-key-allocation_section h2, .st-key-projects_section h2, .st-key-review_section h2 {{
  font-size: 1.5rem; padding: 0.25rem 0;
}}
[class*="st-key-service_"] h3 {{ font-size: 1.2rem; padding: 0; }}
[class*="st-key-service_"] .stNumberInput button {{ display: none; }}
[class*="st-key-service_"] [data-testid="stExpander"] summary {{ min-height: {TOUCH_TARGET_PX}px; }}
.st-key-receipt {{ border: 3px solid #0b6e2e; border-radius: 0.5rem; padding: 1rem; }}
.st-key-receipt code {{ font-size: 1.6rem; letter-spacing: 0.1em; }}
</style>
"""

PROJECTOR_CSS = f"""
<style>
/* A wall display read from 10 m: black background, white and yellow text, no scrolling. */
.stApp, .stMain, header[data-testid="stHeader"] {{ background: #000000; color: #ffffff; }}
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] {{
  display: none;
}}
.stMainBlockContainer {{ max-width: 100%; padding: 1.25rem 2rem 0 2rem; }}
.stApp * {{ font-size: max(1em, {PROJECTOR_MIN_TEXT_PX}px); }}
.stApp h1, .stApp h1 * {{ font-size: 52px; line-height: 1.1; color: #ffffff; padding: 0; }}
.stApp h2, .stApp h2 * {{
  font-size: 40px; line-height: 1.15; color: #ffd60a; padding: 0 0 0.25rem 0;
}}
.stApp p, .stApp li, .stApp span, .stApp div {{ color: #ffffff; }}
.projector-count {{
  font-size: 120px !important; font-weight: 800; line-height: 1; color: #ffd60a !important;
}}
.projector-link {{ font-size: 34px !important; font-weight: 700; overflow-wrap: anywhere; }}
.projector-qr {{ width: 100%; max-width: 380px; display: block; background: #ffffff; }}
.projector-note {{ font-size: 32px !important; color: #ffffff; }}
.projector-list {{ list-style: none; padding: 0; margin: 0; }}
.projector-list li {{ margin: 0 0 0.6rem 0; line-height: 1.25; }}
.projector-list .why {{ color: #d9d9d9 !important; }}
</style>
"""


def resident_style() -> None:
    """Large touch targets and no horizontal scrolling (phones from 390 px wide)."""
    st.html(RESIDENT_CSS)


def projector_style() -> None:
    """The high-contrast wall style of the projector page."""
    st.html(PROJECTOR_CSS)


OFFICER_CSS = """
<style>
/* An officer's desk: wide tables, text that wraps rather than widening the page. */
.stMainBlockContainer { max-width: 80rem; padding: 3.5rem 2rem 4rem 2rem; }
.stMarkdown, .stCaption, label { overflow-wrap: anywhere; }
</style>
"""


def officer_style() -> None:
    """The officers' working pages: wide enough for tables, with the sidebar menu."""
    st.html(OFFICER_CSS)
