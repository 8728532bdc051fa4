"""The designer's REST API under /api/v1/."""
