"""Helpers of the API tests: a GraphQL client over starlette's TestClient."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

GRAPHQL_DIR = Path(__file__).resolve().parents[2] / "graphql"


class Api:
    """A TestClient that posts GraphQL with one API key."""

    def __init__(self, client: TestClient, key: str | None) -> None:
        self.client = client
        self.key = key

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def post(self, query: str, variables: dict | None = None, operation: str | None = None):
        body = {"query": query, "variables": variables or {}}
        if operation:
            body["operationName"] = operation
        return self.client.post("/graphql", json=body, headers=self.headers)

    def __call__(self, query: str, variables: dict | None = None, operation: str | None = None) -> dict:
        response = self.post(query, variables, operation)
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, variables: dict | None = None, operation: str | None = None) -> dict:
        body = self(query, variables, operation)
        assert not body.get("errors"), body["errors"]
        return body["data"]
