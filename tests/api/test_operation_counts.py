"""The README's table of API operations per area is generated from the OpenAPI document: it cannot drift."""

from collections import Counter

from django.conf import settings

from fupin.api import api

AREA_OF_TAG = {
    "me": "me",
    "regions": "regions",
    "registry": "registry",
    "consents": "registry",
    "change-requests": "changes",
    "declarations": "declarations",
    "field": "field",
    "procedures": "procedures",
    "assistance": "assistance",
    "monitoring": "monitoring",
    "department-events": "monitoring",
    "funds": "funds",
    "statistics": "statistics",
    "dci": "dci",
    "subscriptions": "subscriptions",
}


def operation_table() -> str:
    document = api.get_openapi_schema()
    counts = Counter(
        AREA_OF_TAG[operation["tags"][0]]
        for methods in document["paths"].values()
        for operation in methods.values()
    )
    rows = [f"| {area} | {counts[area]} |" for area in dict.fromkeys(AREA_OF_TAG.values())]
    return "\n".join(
        ["| area | operations |", "| --- | --- |", *rows, f"| **all** | **{sum(counts.values())}** |"]
    )


def test_the_readme_gives_the_count_of_operations_per_area():
    readme = (settings.BASE_DIR.parent / "README.md").read_text()
    assert operation_table() in readme, (
        "README.md's API table is out of date; it should read:\n" + operation_table()
    )


def test_every_operation_has_an_area():
    document = api.get_openapi_schema()
    tags = {operation["tags"][0] for methods in document["paths"].values() for operation in methods.values()}
    assert tags <= set(AREA_OF_TAG)
