"""Qt-free core: exact time, the timeline model, edit ops, undo, credits and the local store."""
