"""The application object (core.ControlTower) and the services it owns; the UI talks to these, never to the store."""
