"""Interactive API documentation (Swagger UI, ReDoc) served from locally installed assets."""
