"""Officer page under construction."""

from budgeting.ui.officer import officer_page

page = officer_page("officer.menu.review")
