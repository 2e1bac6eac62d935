"""The JSON API under /api/v1/, its OpenAPI document at /api/v1/openapi.json."""
from ninja import NinjaAPI

api = NinjaAPI(title="fupin API", version="1", urls_namespace="api")
