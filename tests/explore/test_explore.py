"""The explorer's HTTP API on a real graph, and the page in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def get(base: str, path: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(base + path, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_api_search_node_neighbours(explore_server):
    base, store = explore_server
    (g,) = store.query("MATCH (g:Gene {symbol: 'PAK5'}) RETURN g.id AS id").to_pylist()
    code, hits = get(base, "/api/search?q=pak5")
    assert code == 200 and hits[0] == {"type": "Gene", "id": g["id"], "caption": "PAK5", "exact": True}
    code, node = get(base, f"/api/node?type=Gene&id={g['id']}")
    assert node["properties"]["symbol"] == "PAK5" and "seq_embedding" not in node["properties"]
    code, nb = get(base, f"/api/neighbours?type=Gene&id={g['id']}&limit=300")
    n_aff = store.query("MATCH (v:Variant)-[:AFFECTS]->(g:Gene {symbol: 'PAK5'}) RETURN count(v) AS n")["n"][0].as_py()
    assert sum(e["type"] == "AFFECTS" for e in nb["edges"]) == n_aff > 0
    keys = {n["key"] for n in nb["nodes"]}
    assert all(e["source"] in keys and e["target"] in keys for e in nb["edges"])
    # read-only and schema-checked: an unknown label is refused, nothing is executed
    code, err = get(base, "/api/neighbours?type=Gene)%20DETACH%20DELETE%20(n&id=x")
    assert code == 400 and "unknown node type" in err["error"]
    code, _ = get(base, "/static/../server.py")
    assert code == 404


def _chromium() -> tuple[str, str] | None:
    b = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    d = shutil.which("chromedriver")
    return (b, d) if b and d else None


@pytest.mark.browser
def test_browser_search_expand(explore_server):
    tools = _chromium()
    if tools is None:
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, store = explore_server
    opts = webdriver.ChromeOptions()
    opts.binary_location = tools[0]
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--window-size=1400,900"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(tools[1]), options=opts)
    try:
        drv.get(base + "/")
        drv.find_element(By.ID, "q").send_keys("PAK5")
        drv.find_element(By.ID, "go").click()
        wait = WebDriverWait(drv, 30)
        wait.until(ec.text_to_be_present_in_element((By.ID, "prop-title"), "PAK5"))
        nodes = drv.find_elements(By.CSS_SELECTOR, "#graph g.node")
        first = {n.get_attribute("data-key") for n in nodes}
        (g,) = store.query("MATCH (g:Gene {symbol: 'PAK5'}) RETURN g.id AS id").to_pylist()
        assert f"Gene:{g['id']}" in first and len(first) > 5
        # expand a neighbouring regulatory element by clicking it
        els = [n for n in nodes if n.get_attribute("data-type") == "RegulatoryElement"]
        target = next((n for n in els if n.get_attribute("data-id").startswith("EH38E")), els[0])
        rid = target.get_attribute("data-id")
        drv.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", target)
        wait.until(ec.text_to_be_present_in_element((By.ID, "prop-title"), rid))
        wait.until(
            lambda d: (
                len(d.find_elements(By.CSS_SELECTOR, "#graph g.node")) > len(first)
                or d.find_element(By.CSS_SELECTOR, f"#graph g.node.center[data-key='RegulatoryElement:{rid}']")
            )
        )
        after = {n.get_attribute("data-key") for n in drv.find_elements(By.CSS_SELECTOR, "#graph g.node")}
        want = store.query(
            "MATCH (r:RegulatoryElement)-[]-(m) WHERE r.id = $id RETURN label(m) AS t, m.id AS id", {"id": rid}
        ).to_pylist()
        assert first <= after and {f"{w['t']}:{w['id']}" for w in want} <= after
        out = Path(os.environ.get("VARKG_ARTIFACTS", "artifacts"))
        out.mkdir(parents=True, exist_ok=True)
        drv.save_screenshot(str(out / "explore_pak5.png"))
        assert (out / "explore_pak5.png").stat().st_size > 10_000
    finally:
        drv.quit()
