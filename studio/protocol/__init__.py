"""Wire shapes and op semantics shared by the sync client and the server."""
