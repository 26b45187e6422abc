"""Media engine: ffmpeg runs, probe, thumbnails, waveforms, render plans and credits embedding."""
