"""Models of this app arrive with its issue; the app is installed so migrations and imports are in place."""
