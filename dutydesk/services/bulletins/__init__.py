"""Bulletins (信息快报, 信息直呈): drafting, sign-off and issue, short versions, delivery."""
