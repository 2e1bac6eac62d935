"""fupin: the targeted poverty-alleviation registry."""
