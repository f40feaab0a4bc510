"""The steward console in a real headless Chromium against a real server
(uvicorn on a free port, the seed customers loaded and matched).

The tests walk one steward session in order — sign in, queue, compare and
merge, not-a-match, split, override, undo, search — and check the golden
records through the GraphQL API after each step. Screenshots of the main
pages go to test-artifacts/steward/."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from steward_seed import IN_CI, sqlite_copy
from mdm.api import create_key

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "steward"
CHROMIUM = os.environ.get("MDM_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
LAPTOP = {"width": 1366, "height": 768}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        message = f"the console tests need Chromium at {CHROMIUM} (set MDM_TEST_CHROMIUM)"
        if IN_CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def server(seeded_sqlite_file, tmp_path_factory):
    """uvicorn serving a copy of the seeded store; yields (base url, steward key)."""
    folder = tmp_path_factory.mktemp("console")
    store = sqlite_copy(seeded_sqlite_file, folder)
    with store.session() as session:
        key = create_key(session, "steward", name="ann").key
    url = store.engine.url.render_as_string(hide_password=False)
    store.close()
    port = free_port()
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "mdm.api.app:create_app_from_env", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env={**os.environ, "MDM_DATABASE_URL": url}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {(folder / 'server.log').read_text()}")
            time.sleep(0.1)
        yield base, key
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@pytest.fixture(scope="module")
def gql(server):
    base, key = server

    def call(query: str, variables: dict | None = None) -> dict:
        body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}},
                          headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    return call


@pytest.fixture(scope="module")
def page(chromium_path, server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport=LAPTOP)
        tab.set_default_timeout(15_000)
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.errors = errors
        yield tab
        browser.close()
    assert not errors, errors


def shot(page, name: str, full: bool = False) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def golden_of(gql, system: str, key: str) -> str:
    return gql('query($s: String!, $k: String!) { bySourceKey(system: $s, domain: CUSTOMER, key: $k) { id } }',
               {"s": system, "k": key})["bySourceKey"]["id"]


QUEUE = "{ reviewQueue(first: 100) { items { id left { system key } right { system key } } } }"
GOLDEN = "query($id: ID!) { goldenRecord(id: $id) { id values lineage { attribute overridden } sourceRecords { id system key } } }"
STATE: dict = {}


def test_sign_in_with_a_steward_key(page, server):
    base, key = server
    page.goto(f"{base}/steward/")
    page.wait_for_selector("#key")
    shot(page, "signin")
    page.fill("#key", "mdm_nope_wrong")
    page.press("#key", "Enter")
    page.wait_for_selector("text=That key is not valid.")
    page.fill("#key", key)
    page.press("#key", "Enter")
    page.wait_for_selector(".cards")
    assert "ann" in page.inner_text("#who")
    assert page.evaluate("sessionStorage.getItem('mdm.steward.key')") == key


def test_home_shows_queue_size_rate_decisions_and_oldest_item(page, gql):
    stats = gql("{ stewardStats { queueSize oldestPending { id } } }")["stewardStats"]
    cards = page.inner_text(".cards")
    assert str(stats["queueSize"]) in cards and "Auto-merge rate" in cards and "Decisions per day" in cards
    assert page.locator(f"a[href='#/item/{stats['oldestPending']['id']}']").count() == 1
    shot(page, "home")


def test_the_queue_lists_items_by_priority_and_moves_by_keyboard(page, gql):
    items = gql(QUEUE)["reviewQueue"]["items"]
    page.click("nav a[data-nav=queue]")
    page.wait_for_selector("#queue-table")
    rows = page.locator("#queue-table tbody tr")
    assert rows.count() == len(items)
    assert [int(r) for r in rows.evaluate_all("rows => rows.map(r => r.dataset.id)")] == [i["id"] for i in items]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.get_attribute("#queue-table tbody tr[aria-selected=true]", "data-id") == str(items[1]["id"])
    # The focused row is visibly outlined.
    outline = page.eval_on_selector("#queue-table tbody tr[aria-selected=true]", "r => getComputedStyle(r).outlineStyle")
    assert page.evaluate("document.activeElement.dataset.id") == str(items[1]["id"]) and outline != "none"
    shot(page, "queue")
    page.select_option("select[name=domain]", "CUSTOMER")
    page.fill("input[name=min]", "0.99")
    page.click("form.filters button[type=submit]")
    page.wait_for_function("location.hash.includes('min=0.99')")
    page.wait_for_selector("#queue-table")
    scores = gql("{ reviewQueue(first: 100, filter: {minScore: 0.99, domain: CUSTOMER}) { total } }")["reviewQueue"]["total"]
    assert page.locator("#queue-table tbody tr").count() == scores
    page.goto(page.url.split("#")[0] + "#/queue")
    page.wait_for_selector("#queue-table")


def test_compare_shows_both_records_with_weights_and_merge_asks_first(page, gql):
    first = gql(QUEUE)["reviewQueue"]["items"][0]
    page.keyboard.press("Enter")
    page.wait_for_selector("#compare-table")
    assert page.url.endswith(f"#/item/{first['id']}")
    head = page.inner_text("#compare-table thead")
    assert f"{first['left']['system']}:{first['left']['key']}" in head and f"{first['right']['system']}:{first['right']['key']}" in head
    assert page.locator("#compare-table tr.diff, #compare-table tr.missing").count() > 0
    assert page.locator("#compare-table td.weight").count() > 0 and page.locator("#preview-table tr").count() > 0
    shot(page, "compare")
    page.keyboard.press("m")
    page.wait_for_selector("dialog#confirm[open]")
    shot(page, "confirm-merge")
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog#confirm", state="hidden")
    assert golden_of(gql, **_sk(first["left"])) != golden_of(gql, **_sk(first["right"]))

    page.keyboard.press("m")
    page.fill("#confirm-reason", "same company, same phone")
    page.keyboard.press("Enter")
    page.wait_for_function(f"!location.hash.endsWith('/item/{first['id']}')")
    merged = golden_of(gql, **_sk(first["left"]))
    assert merged == golden_of(gql, **_sk(first["right"]))
    STATE["merged"] = merged


def test_not_a_match_from_the_next_item(page, gql):
    page.wait_for_selector("#compare-table")
    item_id = int(page.url.rsplit("/", 1)[1])
    item = gql("query($id: Int!) { reviewItem(id: $id) { left { system key } right { system key } } }", {"id": item_id})["reviewItem"]
    page.keyboard.press("x")
    page.wait_for_selector("dialog#confirm[open]")
    page.fill("#confirm-reason", "different people")
    page.click("#confirm-ok")
    page.wait_for_function(f"!location.hash.endsWith('/item/{item_id}')")
    status = gql("query($id: Int!) { reviewItem(id: $id) { status } }", {"id": item_id})["reviewItem"]["status"]
    assert status != "pending"
    assert golden_of(gql, **_sk(item["left"])) != golden_of(gql, **_sk(item["right"]))


def test_split_a_record_out_of_the_merged_golden_record(page, gql, server):
    golden = gql(GOLDEN, {"id": STATE["merged"]})["goldenRecord"]
    # The golden id stays with the larger part, on a tie with the lowest record id.
    moved = max(golden["sourceRecords"], key=lambda r: r["id"])
    page.goto(f"{server[0]}/steward/#/golden/{golden['id']}")
    page.wait_for_selector("#source-records")
    shot(page, "golden", full=True)
    page.click(f"#source-records tr[data-record='{moved['id']}'] button")
    page.wait_for_selector("dialog#confirm[open]")
    page.fill("#confirm-reason", "another branch")
    page.click("#confirm-ok")
    page.wait_for_selector("dialog#confirm", state="hidden")
    page.wait_for_selector(f"#source-records:not(:has(tr[data-record='{moved['id']}']))")
    assert golden_of(gql, moved["system"], moved["key"]) != golden["id"]


def test_override_a_value_on_the_golden_record_page(page, gql):
    golden_id = STATE["merged"]
    page.click("#attributes tr[data-attribute=city] button")
    page.wait_for_selector("dialog#confirm[open]")
    page.fill("#override-value", "Springfield")
    page.click("#confirm-ok")
    assert "reason is required" in page.inner_text("#confirm-error")
    page.fill("#confirm-reason", "confirmed with the customer")
    page.click("#confirm-ok")
    page.wait_for_selector("#attributes tr.pinned[data-attribute=city]")
    golden = gql(GOLDEN, {"id": golden_id})["goldenRecord"]
    assert golden["values"]["city"] == "Springfield"
    assert next(line for line in golden["lineage"] if line["attribute"] == "city")["overridden"]
    STATE["city"] = golden


def test_undo_the_override_from_the_decisions_page(page, gql):
    golden_id = STATE["merged"]
    page.click("nav a[data-nav=decisions]")
    page.wait_for_selector("#decisions")
    shot(page, "decisions")
    override = gql("{ stewardDecisions(first: 1) { id kind } }")["stewardDecisions"][0]
    assert override["kind"] == "override"
    page.click(f"#decisions tr[data-decision='{override['id']}'] button")
    page.wait_for_selector("dialog#confirm[open]")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#decisions tr.undone[data-decision='{override['id']}']")
    golden = gql(GOLDEN, {"id": golden_id})["goldenRecord"]
    assert golden["values"]["city"] != "Springfield"
    assert not next(line for line in golden["lineage"] if line["attribute"] == "city")["overridden"]


def test_search_finds_the_golden_record(page, gql):
    golden = gql("query($id: ID!) { goldenRecord(id: $id) { id values } }", {"id": STATE["merged"]})["goldenRecord"]
    name = golden["values"].get("organization") or golden["values"].get("name") or golden["values"]["family_name"]
    page.keyboard.press("/")
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    page.wait_for_selector("#search-results")
    assert page.locator(f"#search-results a[href='#/golden/{golden['id']}']").count() == 1
    shot(page, "search")


def _sk(record: dict) -> dict:
    return {"system": record["system"], "key": record["key"]}
