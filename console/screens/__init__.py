"""The console's screens: dialogs and detail views pushed over the dashboard."""
