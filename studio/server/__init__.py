"""The shared server: FastAPI app factory, routers and storage."""
