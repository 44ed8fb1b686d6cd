"""OWSLib, the published Python OGC client, against a running Minqing Map
with the test fixture (tests/it/common/fixture.rs). Run by tests/it/ogc.rs:

    python3 tests/ogc/owslib_check.py http://127.0.0.1:PORT

Exits non-zero with the failed expectation on stderr; prints a JSON summary.
"""

import json
import sys
import urllib.request

from owslib.ogcapi.features import Features


def expect(cond, what):
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)


def ids(page):
    return sorted(f["id"] for f in page["features"])


base = sys.argv[1].rstrip("/")
api = Features(base + "/ogc")

collections = api.feature_collections()
expect(collections == ["grids", "hazards", "shelters", "places"],
       f"anonymous OWSLib lists the public collections only: {collections}")

queryables = api.collection_queryables("hazards")
risk = queryables["properties"]["risk"]
expect(risk["enum"] == ["红", "橙", "黄", "蓝"], f"risk is an enum of the four colours: {risk}")
expect(queryables["properties"]["geometry"]["format"] == "geometry-point",
       f"the spatial queryable is a point: {queryables['properties']['geometry']}")

red = api.collection_items("hazards", filter="risk='红'")
expect([f["properties"]["risk"] for f in red["features"]] == ["红"],
       f"filter=risk='红' returns only the red hazard: {red}")
expect(red["numberMatched"] == 1, "numberMatched counts the filtered items")

# A spatial filter answers like /api/query/within for the same polygon.
ring = [[113.0, 23.0], [113.08, 23.0], [113.0, 23.08], [113.0, 23.0]]
wkt = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in ring) + "))"
spatial = api.collection_items("hazards", filter=f"S_INTERSECTS(geometry, {wkt})")
req = urllib.request.Request(
    base + "/api/query/within",
    data=json.dumps({"type": "Polygon", "coordinates": [ring]}).encode(),
    headers={"Content-Type": "application/json"},
)
within = json.load(urllib.request.urlopen(req))
within_ids = sorted(h["id"] for h in within["hazards"]["items"])
expect(ids(spatial) == within_ids and within_ids,
       f"S_INTERSECTS {ids(spatial)} matches within {within_ids}")

as_json = api.collection_items("hazards", **{
    "filter": json.dumps({"op": "s_intersects", "args": [{"property": "geometry"},
                                                         {"type": "Polygon", "coordinates": [ring]}]}),
    "filter-lang": "cql2-json",
})
expect(ids(as_json) == within_ids, f"CQL2 JSON gives the same answer: {ids(as_json)}")

# EPSG:4490 is latitude first, as EPSG defines it; Content-Crs names it.
one = api.collection_items("hazards", crs="EPSG:4490", filter="id = 'HZ1'")
coords = one["features"][0]["geometry"]["coordinates"]
expect(coords == [23.01, 113.01], f"EPSG:4490 swaps to lat/lon: {coords}")
content_crs = api.response_headers.get("Content-Crs")
expect(content_crs == "<http://www.opengis.net/def/crs/EPSG/0/4490>", f"Content-Crs: {content_crs}")
plain = api.collection_items("hazards", filter="id = 'HZ1'")
expect(plain["features"][0]["geometry"]["coordinates"] == [113.01, 23.01], "CRS84 stays lon/lat")
expect(api.response_headers.get("Content-Crs") == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>",
       "the default answer names CRS84")

by_persons = api.collection_items("hazards", sortby=("threatened_persons", "desc"))
persons = [f["properties"]["threatened_persons"] for f in by_persons["features"]]
expect(persons == sorted(persons, reverse=True) and len(persons) == 4, f"sortby descending: {persons}")

for bad, words in [("nope = 1", "not a queryable"), ("risk = ", "not valid CQL2")]:
    try:
        api.collection_items("hazards", filter=bad)
        expect(False, f"{bad!r} was accepted")
    except RuntimeError as e:
        expect(words in str(e), f"{bad!r} is refused naming the problem: {e}")

print(json.dumps({"collections": collections, "red": ids(red), "spatial": ids(spatial),
                  "epsg4490": coords, "sorted": persons}, ensure_ascii=False))
