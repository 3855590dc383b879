"""Text normalisation shared by every later stage (Arabic first)."""
