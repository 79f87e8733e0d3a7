"""Reminders to the people who act next: an in-app list, and e-mail when SMTP is configured."""
