"""Qt-free use-cases shared by the desktop app and the CLI."""
