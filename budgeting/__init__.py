"""Budget Together: participatory budgeting with fair, explainable rules."""
