"""Importing households and members from the national form (贫困户信息采集表): one module per concern.

columns (the form's columns and cell converters), reading (.xlsx and .csv files), regions (names to
village codes), the row-wise validation and plan, the PostgreSQL writer, the error report and template,
and the jobs that run an import with visible progress. `fupin.registry.imports` is the entry point.
"""
