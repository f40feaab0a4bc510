"""The operations page in a real browser: it draws its charts from `opsStats`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ops_page import CHROMIUM, history, open_page, served, small_loads
from starlette.testclient import TestClient

from mdm.api import create_app
from mdm.store import Store
from mdm.store.migrate import upgrade

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def page_hub(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ops-page")
    store = Store.open(f"sqlite:///{tmp / 'mdm.db'}")
    upgrade(store.engine)
    store.reader_key = history(store, small_loads(tmp))
    yield store
    store.close()


@pytest.fixture(scope="module")
def browser_page(page_hub):
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"CI=true but Chromium is missing at {CHROMIUM}")
        pytest.skip("the browser test needs Chromium")
    from playwright.sync_api import sync_playwright

    with served(page_hub) as base, sync_playwright() as p:
        browser, page = open_page(p, base, page_hub.reader_key)
        page.wait_for_selector("body[data-ready=true]", timeout=15000)
        yield page
        browser.close()


def keys_drawn(page, section: str) -> set[str]:
    return set(page.eval_on_selector_all(f"#{section} svg [data-key]", "nodes => nodes.map(n => n.dataset.key)"))


def test_golden_record_changes_are_drawn_per_day(browser_page):
    assert "created" in keys_drawn(browser_page, "ops-golden")
    labels = browser_page.eval_on_selector_all("#ops-golden svg rect title", "ts => ts.map(t => t.textContent)")
    assert any(label.endswith("created: 6") for label in labels)  # the CRM load a week ago


def test_review_trend_has_a_line_for_opened_and_for_decided(browser_page):
    assert browser_page.locator("#ops-review svg polyline").count() == 2


def test_delivery_health_shows_backlog_and_dead_letters_per_subscriber(browser_page):
    assert keys_drawn(browser_page, "ops-delivery") == {"backlog", "deadLetters"}
    rows = browser_page.eval_on_selector_all("#ops-delivery tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))")
    by_name = {r[0]: r for r in rows}
    assert by_name["analytics"][1] == "paused" and int(by_name["analytics"][2]) > 0
    assert int(by_name["crm-sync"][4]) > 0


def test_rejects_are_drawn_per_source_system(browser_page):
    titles = browser_page.eval_on_selector_all("#ops-rejects svg rect title", "ts => ts.map(t => t.textContent)")
    assert titles == ["EDI rejectedRows: 2"]
    assert "rejected rows" in browser_page.inner_text("#ops-tiles")


def test_without_a_key_the_page_asks_for_one(page_hub, browser_page):
    page = browser_page.context.browser.new_page()  # a fresh context: nothing in sessionStorage
    page.goto(browser_page.url)
    page.fill("#ops-key", page_hub.reader_key)
    page.click("form.ops-signin button")
    page.wait_for_selector("#ops-golden svg")
    page.close()


def test_ops_stats_needs_a_key_but_any_role_will_do(page_hub):
    query = {"query": "{ opsStats(days: 7) { since rejects { system rejectedRows } } }"}
    with TestClient(create_app(page_hub)) as client:
        anonymous = client.post("/graphql", json=query)
        reader = client.post("/graphql", json=query, headers={"Authorization": f"Bearer {page_hub.reader_key}"})
    assert anonymous.status_code == 401
    assert {"system": "EDI", "rejectedRows": 2} in reader.json()["data"]["opsStats"]["rejects"]
