"""Screening stage: campaigns of screening and age assessment in the defence and security forces."""
