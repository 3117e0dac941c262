"""The OpenAPI schema and its docs page, served with no internet."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_schema_describes_every_sync_endpoint(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert {
        "/api/sync/config/",
        "/api/sync/pull/{collection}/",
        "/api/sync/push/",
        "/api/auth/login/",
        "/api/auth/logout/",
        "/api/auth/me/",
    } <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["deviceToken"]["scheme"] == "bearer"


def test_docs_page_loads_only_assets_of_this_server(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page should load Swagger UI"
    assert all(asset.startswith("/static/") for asset in assets)
    assert not re.search(r"https?://", html)  # no CDN
    for asset in assets:
        assert client.get(asset).status_code == 200
