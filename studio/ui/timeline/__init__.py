"""The timeline editor: a QGraphicsView over a scene of clip items, with ruler, track headers and tools."""
