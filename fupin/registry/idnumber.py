"""The registry's old address of the ID-number rules, now in fupin.core.idnumber (below every app, so the
template tags can mask numbers): only the importer's modules still import them from here, until their split
(issue 15, item 1) switches them to fupin.core.idnumber and deletes this module."""
from fupin.core.idnumber import IdNumberError, check_character, mask, parse

__all__ = ["IdNumberError", "check_character", "mask", "parse"]
