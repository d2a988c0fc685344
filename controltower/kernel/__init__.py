"""The small shared kernel every layer may use: the event hub and the errors a user can see."""
