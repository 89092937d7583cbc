"""pytest plugin: snapshot fixtures for a team's own Amplitude records (filled in by the workflow)."""
