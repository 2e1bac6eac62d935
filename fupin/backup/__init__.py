"""Backup and restore of a whole fupin (fupin backup, fupin restore): the database, the uploaded files and the
keys in one verified archive."""
