"""Issue 18, "what it must show": every page reachable from each role's home page answers without error and
without a dead link, in Chinese and in English, labels every form field (finding 11), and in English shows no
Chinese outside data.

The records are the scope test's world (tests/accounts/test_scope_all_routes.py): every role, a helper who
signs in, households, a visit, a suspect record, a problem, a department list and an import. Each role starts
at `/` and follows every same-site link breadth-first (tests/core/crawl.py says which links and how far). The
browser crawl (tests/browser/test_crawl_browser.py) checks the phone layout of fewer pages.
"""

import pytest
from django.test import Client

from tests.accounts.test_scope_all_routes import world_for_a_module
from tests.core.crawl import chinese_outside_data, crawl, read_page, stored_chinese, unlabelled_fields

ROLES = ["clerk", "team", "helper", "township", "county", "prefecture", "province", "liaison", "admin"]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with world_for_a_module(django_db_blocker, media) as built:
        built["data"] = stored_chinese()
        built["media"] = media
        yield built


def fetcher(client: Client):
    def fetch(url: str) -> tuple[int, str, str]:
        response = client.get(url, follow=True)
        content_type = response.get("Content-Type", "")
        streaming = getattr(response, "streaming", False)
        body = "" if streaming or "html" not in content_type else response.content.decode()
        return response.status_code, content_type, body

    return fetch


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ROLES)
def test_every_page_a_role_can_reach_answers_and_reads_in_its_language(world, who, language, settings):
    settings.MEDIA_ROOT = world["media"]
    client = Client()
    client.force_login(world["users"][who])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    faults, visited = [], 0
    for url, status, body, referrer in crawl("/", fetcher(client)):
        visited += 1
        if status != 200:
            faults.append(f"{url} answers {status} (linked from {referrer})")
            continue
        if language == "zh-hans" and body and (unlabelled := unlabelled_fields(body)):
            faults.append(f"{url}: fields without a label: {', '.join(unlabelled)}")
        if language == "en" and body:
            _, text = read_page(body)
            chinese = chinese_outside_data(text, world["data"])
            if chinese:
                faults.append(f"{url}: {' | '.join(chinese[:40])}")
    assert visited > 3, "the crawl found no links"
    assert faults == [], "\n".join(faults)
