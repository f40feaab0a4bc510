"""Helpers of the steward tests: a GraphQL client with one API key, and
picking review items no earlier test decided on."""

from __future__ import annotations

from pathlib import Path

GRAPHQL_DIR = Path(__file__).resolve().parents[2] / "graphql"

QUEUE = """query($filter: ReviewQueueFilter, $first: Int!) {
  reviewQueue(filter: $filter, first: $first) {
    total
    items { id kind score priority leftRecordId rightRecordId left { system key goldenId } right { system key goldenId } }
  }
}"""
MEMBERS = "query($id: ID!) { goldenRecord(id: $id) { id sourceRecords { id } } }"


class StewardApi:
    """Posts GraphQL to the app with one API key."""

    def __init__(self, client, key: str | None, touched: set[int]) -> None:
        self.client = client
        self.key = key
        self.touched = touched

    def post(self, query: str, variables: dict | None = None):
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    def __call__(self, query: str, variables: dict | None = None) -> dict:
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, variables: dict | None = None) -> dict:
        body = self(query, variables)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def error(self, query: str, variables: dict | None = None) -> dict:
        """The first error of a call that must fail."""
        body = self(query, variables)
        assert body.get("errors"), f"expected an error, got {body['data']}"
        return body["errors"][0]

    def queue(self, **filter) -> list[dict]:
        return self.data(QUEUE, {"filter": filter, "first": 200})["reviewQueue"]["items"]

    def fresh_candidates(self, n: int = 1, **filter) -> list[dict]:
        """Pending match candidates whose records (and their golden records'
        members) no earlier test touched; marks them touched."""
        chosen = []
        for item in self.queue(kind="MATCH", **filter):
            members = self.members(item["left"]["goldenId"]) | self.members(item["right"]["goldenId"])
            members |= {item["leftRecordId"], item["rightRecordId"]}
            if members & self.touched:
                continue
            self.touched.update(members)
            chosen.append(item)
            if len(chosen) == n:
                return chosen
        raise AssertionError(f"fewer than {n} untouched candidates left in the queue")

    def members(self, golden_id: str | None) -> set[int]:
        if golden_id is None:
            return set()
        found = self.data(MEMBERS, {"id": golden_id})["goldenRecord"]
        return {r["id"] for r in found["sourceRecords"]} if found else set()

    def golden_of(self, system: str, key: str) -> str:
        query = 'query($s: String!, $k: String!) { bySourceKey(system: $s, domain: CUSTOMER, key: $k) { id } }'
        return self.data(query, {"s": system, "k": key})["bySourceKey"]["id"]
